import type { DB } from '@/db/client';
import { type Clock, systemClock, waitOrAbort } from '@/server/retry/clock';
import { reportDatabaseMetrics } from './database-metrics';
import { logger } from './logger';
import { type HistogramSnapshot, histogramQuantile, type MetricSnapshot, readMetricSnapshot } from './metric-snapshot';
import { type BreakerState, diskSpace, metricsState, NO_CONNECTION } from './metrics';

/**
 * The dashboard's System view, live: every 2 s the sampler reads this process's metrics and turns
 * the last two readings into one sample (rates per second over the interval, the p95 latency of
 * the requests made in it, the gauges as they are now). The last 10 minutes are kept in a ring.
 *
 * Memory: at most SAMPLE_CAPACITY (300) samples of at most MAX_SAMPLED_CONNECTIONS (16)
 * connections each (and as many workspaces at most, usually fewer). Measured on Node 20: a full ring takes about 0.4 MB with 3 connections and
 * 1.5 MB with 16. A subscriber's queue holds the same sample objects, at most as many (it is
 * empty unless its client falls behind).
 *
 * The sampler runs only while someone listens (it starts with the first subscriber and stops
 * with the last), so an idle dashboard reads nothing.
 */

export const SAMPLE_INTERVAL_MS = 2_000;
export const SAMPLE_WINDOW_MS = 10 * 60_000;
export const SAMPLE_CAPACITY = Math.ceil(SAMPLE_WINDOW_MS / SAMPLE_INTERVAL_MS);
/** Connections a sample keeps (those with the most requests): an install has a handful. */
export const MAX_SAMPLED_CONNECTIONS = 16;

/** What Notion answered, in the words the System view uses (429 and 529 apart, as the alert rule counts 429 only). */
export const REQUEST_OUTCOMES = ['ok', 'rateLimited', 'overloaded', 'tokenRefused', 'refused', 'serverError', 'noAnswer'] as const;
export type RequestOutcome = (typeof REQUEST_OUTCOMES)[number];
export type OutcomeCounts = Record<RequestOutcome, number>;

/** The outcome of a `status` label of notion_sync_notion_requests_total: an HTTP status, or why no answer came. */
export function outcomeOfStatus(status: string): RequestOutcome {
  const code = /^\d{3}$/.test(status) ? Number(status) : Number.NaN;
  if (Number.isNaN(code)) return 'noAnswer';
  if (code === 429) return 'rateLimited';
  if (code === 529) return 'overloaded';
  if (code === 401) return 'tokenRefused';
  if (code >= 500) return 'serverError';
  if (code >= 400) return 'refused';
  return 'ok';
}

const noOutcomes = (): OutcomeCounts => ({ ok: 0, rateLimited: 0, overloaded: 0, tokenRefused: 0, refused: 0, serverError: 0, noAnswer: 0 });

/** One reading of the process: its metric snapshot, the answers per connection (cumulative), the exports disk. */
export interface SystemReading {
  snapshot: MetricSnapshot;
  /** Requests of each connection by what Notion answered, since the process started. */
  outcomes: Map<string, OutcomeCounts>;
  disk?: { freeBytes: number; sizeBytes: number };
}

export interface ConnectionSample {
  connectionId: string;
  /** Requests sent in the interval (every attempt), and per second. */
  requests: number;
  requestsPerSecond: number;
  /** 429 answers in the interval, and per second. */
  rateLimited: number;
  rateLimitedPerSecond: number;
  /** The answers of the interval's requests. */
  outcomes: OutcomeCounts;
  /** Known while a gateway of the connection lives in this process (an export of it ran here). */
  budgetPerSecond?: number;
  pacedPerSecond?: number;
  breaker?: BreakerState;
}

/**
 * A workspace's requests from this process against its limit: every connection of it sampled here
 * together. A workspace is shared by the integrations into it and, in Notion's eyes, by every
 * process: the limit shown is this process's share of the configured budget.
 */
export interface WorkspaceSample {
  /** The workspace's key (a hash; the view names it by its connections). */
  key: string;
  connectionIds: string[];
  requests: number;
  requestsPerSecond: number;
  /** 429s that said the workspace's budget ran out, and per second. */
  rateLimited: number;
  rateLimitedPerSecond: number;
  /** The configured budget of every process together (null: none set; learned from 429s only). */
  budgetPerSecond: number | null;
  /** Runners (processes) exporting into it now, this one included, and this process's share of the budget. */
  sharedBy: number;
  sharePerSecond: number | null;
  /** The rate this process's limiter of the workspace paces at (null: no budget, nothing learned). */
  pacedPerSecond: number | null;
}

/** What happened in this process between two readings, and its gauges at the end. */
export interface SystemSample {
  /** End of the interval (ms since the epoch): the sample's id on the stream. */
  at: number;
  seconds: number;
  connections: ConnectionSample[];
  /** The workspaces of the sampled connections, where known. */
  workspaces: WorkspaceSample[];
  /** 95th percentile of the latency of the Notion requests of the interval; absent without requests. */
  notionLatencyP95Ms?: number;
  /** Pages and databases finished (exported or failed) per second. */
  pagesPerSecond: number;
  /** The export queue (every process's exports: read from the database). */
  queue?: { due: number; scheduled: number; activeLeases: number };
  memory: { rssBytes: number; heapUsedBytes: number };
  eventLoopLagMs: number;
  /** When this process runs a runner. */
  runner?: { heartbeatAgeSeconds?: number; activeExports: number };
  disk?: { freeBytes: number; sizeBytes: number };
}

/**
 * How much a counter grew from `before` to `after`. A counter lower than before was reset (the
 * process restarted, or its registry was rebuilt): it counted `after` since, as Prometheus's
 * `increase` takes it. A counter not seen before (a connection that appeared) started at zero.
 */
export function counterIncrease(after: number, before: number | undefined): number {
  if (before === undefined || after < before) return after;
  return after - before;
}

function outcomesIncrease(after: OutcomeCounts | undefined, before: OutcomeCounts | undefined): OutcomeCounts {
  const now = after ?? noOutcomes();
  const reset = before !== undefined && REQUEST_OUTCOMES.some((o) => now[o] < before[o]);
  const grown = noOutcomes();
  for (const o of REQUEST_OUTCOMES) grown[o] = reset ? now[o] : counterIncrease(now[o], before?.[o]);
  return grown;
}

/**
 * The observations of a cumulative histogram between two readings, bucket by bucket. A reset
 * (fewer observations than before, or any bucket lower) counts everything `after` holds.
 */
export function histogramIncrease(before: HistogramSnapshot, after: HistogramSnapshot): Pick<HistogramSnapshot, 'bounds' | 'counts'> {
  const earlier = new Map(before.bounds.map((bound, i) => [bound, before.counts[i] ?? 0]));
  const reset = after.count < before.count || after.bounds.some((bound, i) => (after.counts[i] ?? 0) < (earlier.get(bound) ?? 0));
  return {
    bounds: after.bounds,
    counts: after.bounds.map((bound, i) => (reset ? (after.counts[i] ?? 0) : (after.counts[i] ?? 0) - (earlier.get(bound) ?? 0))),
  };
}

/** The sample of the interval between two readings of the same process (`after` later than `before`). */
export function sampleBetween(before: SystemReading, after: SystemReading): SystemSample {
  const seconds = Math.max(0.001, (after.snapshot.at - before.snapshot.at) / 1000);
  const earlier = new Map(before.snapshot.connections.map((c) => [c.connectionId, c]));
  const connections = after.snapshot.connections
    .filter((c) => c.connectionId !== NO_CONNECTION)
    .sort((a, b) => b.requests - a.requests)
    .slice(0, MAX_SAMPLED_CONNECTIONS)
    .sort((a, b) => a.connectionId.localeCompare(b.connectionId))
    .map((c): ConnectionSample => {
      const requests = counterIncrease(c.requests, earlier.get(c.connectionId)?.requests);
      const outcomes = outcomesIncrease(after.outcomes.get(c.connectionId), before.outcomes.get(c.connectionId));
      return {
        connectionId: c.connectionId,
        requests,
        requestsPerSecond: requests / seconds,
        rateLimited: outcomes.rateLimited,
        rateLimitedPerSecond: outcomes.rateLimited / seconds,
        outcomes,
        ...(c.budgetPerSecond === undefined ? {} : { budgetPerSecond: c.budgetPerSecond }),
        ...(c.pacedPerSecond === undefined ? {} : { pacedPerSecond: c.pacedPerSecond }),
        ...(c.breaker === undefined ? {} : { breaker: c.breaker }),
      };
    });
  const workspaces = new Map<string, WorkspaceSample>();
  for (const c of after.snapshot.connections) {
    const sampled = connections.find((s) => s.connectionId === c.connectionId);
    if (!c.workspace || !sampled) continue;
    const { key, budgetPerSecond, sharedBy, sharePerSecond, pacedPerSecond } = c.workspace;
    let workspace = workspaces.get(key);
    if (!workspace) {
      workspace = { key, connectionIds: [], requests: 0, requestsPerSecond: 0, rateLimited: 0, rateLimitedPerSecond: 0, budgetPerSecond, sharedBy, sharePerSecond, pacedPerSecond };
      workspaces.set(key, workspace);
    }
    const refused = counterIncrease(c.workspaceRateLimited ?? 0, earlier.get(c.connectionId)?.workspaceRateLimited);
    workspace.connectionIds.push(c.connectionId);
    workspace.requests += sampled.requests;
    workspace.requestsPerSecond += sampled.requestsPerSecond;
    workspace.rateLimited += refused;
    workspace.rateLimitedPerSecond += refused / seconds;
  }
  const p95 = histogramQuantile(0.95, histogramIncrease(before.snapshot.notionLatency, after.snapshot.notionLatency));
  const items =
    counterIncrease(after.snapshot.items.exported, before.snapshot.items.exported) + counterIncrease(after.snapshot.items.failed, before.snapshot.items.failed);
  const { queue, memory, eventLoopLagMs, runner } = after.snapshot;
  return {
    at: after.snapshot.at,
    seconds,
    connections,
    workspaces: [...workspaces.values()],
    ...(p95 === undefined ? {} : { notionLatencyP95Ms: p95 * 1000 }),
    pagesPerSecond: items / seconds,
    ...(queue ? { queue: { ...queue } } : {}),
    memory: { ...memory },
    eventLoopLagMs,
    ...(runner ? { runner: { ...runner } } : {}),
    ...(after.disk ? { disk: { ...after.disk } } : {}),
  };
}

/** A fixed number of samples, oldest dropped first. */
export class SampleRing {
  readonly #slots: (SystemSample | undefined)[];
  #next = 0;
  #size = 0;

  constructor(readonly capacity: number) {
    this.#slots = new Array(capacity);
  }

  push(sample: SystemSample): void {
    this.#slots[this.#next] = sample;
    this.#next = (this.#next + 1) % this.capacity;
    this.#size = Math.min(this.#size + 1, this.capacity);
  }

  get size(): number {
    return this.#size;
  }

  /** Oldest first. */
  toArray(): SystemSample[] {
    const out: SystemSample[] = [];
    const start = (this.#next - this.#size + this.capacity) % this.capacity;
    for (let i = 0; i < this.#size; i++) {
      const sample = this.#slots[(start + i) % this.capacity];
      if (sample) out.push(sample);
    }
    return out;
  }
}

export interface SystemSamplerOptions {
  read: () => Promise<SystemReading>;
  /** Waits between readings (tests move a manual clock). */
  clock?: Clock;
  intervalMs?: number;
  windowMs?: number;
  /** Where a failed reading is reported (the process log by default). */
  log?: (error: unknown) => void;
}

export type SampleListener = (sample: SystemSample) => void;

/**
 * Reads the process every `intervalMs` while it has subscribers and keeps the samples of the last
 * `windowMs`. A failed reading is logged and skipped; the next interval is measured from the last
 * good one.
 */
export class SystemSampler {
  readonly intervalMs: number;
  readonly windowMs: number;
  readonly capacity: number;
  readonly #read: () => Promise<SystemReading>;
  readonly #clock: Clock;
  readonly #log: (error: unknown) => void;
  readonly #ring: SampleRing;
  readonly #listeners = new Set<SampleListener>();
  #run: AbortController | undefined;
  #loop: Promise<void> = Promise.resolve();

  constructor(options: SystemSamplerOptions) {
    this.#read = options.read;
    this.#clock = options.clock ?? systemClock;
    this.intervalMs = options.intervalMs ?? SAMPLE_INTERVAL_MS;
    this.windowMs = options.windowMs ?? SAMPLE_WINDOW_MS;
    this.capacity = Math.ceil(this.windowMs / this.intervalMs);
    this.#log = options.log ?? ((error) => logger.warn({ err: error }, 'system view: reading the metrics failed'));
    this.#ring = new SampleRing(this.capacity);
  }

  /** Calls `listener` with each new sample; the first subscriber starts the sampling, the last one to leave stops it. */
  subscribe(listener: SampleListener): () => void {
    this.#listeners.add(listener);
    if (!this.#run) {
      const run = new AbortController();
      this.#run = run;
      this.#loop = this.#sample(run.signal);
    }
    return () => {
      if (!this.#listeners.delete(listener) || this.#listeners.size > 0) return;
      this.#run?.abort();
      this.#run = undefined;
    };
  }

  get running(): boolean {
    return this.#run !== undefined;
  }

  /** Resolves when the current (or last) sampling loop has ended. */
  stopped(): Promise<void> {
    return this.#loop;
  }

  /** The samples of the last `windowMs` taken after `afterAt` (ms since the epoch), oldest first. */
  samples(afterAt = Number.NEGATIVE_INFINITY): SystemSample[] {
    const since = this.#clock.now() - this.windowMs;
    return this.#ring.toArray().filter((s) => s.at > afterAt && s.at >= since);
  }

  async #sample(signal: AbortSignal): Promise<void> {
    let previous: SystemReading | undefined;
    while (!signal.aborted) {
      try {
        const reading = await this.#read();
        if (signal.aborted) return;
        // A reading no later than the previous one (a clock that did not move) measures nothing.
        if (!previous || reading.snapshot.at > previous.snapshot.at) {
          if (previous) this.#add(sampleBetween(previous, reading));
          previous = reading;
        }
      } catch (error) {
        this.#log(error);
      }
      if (!(await waitOrAbort(this.#clock, this.intervalMs, signal))) return;
    }
  }

  #add(sample: SystemSample): void {
    this.#ring.push(sample);
    for (const listener of [...this.#listeners]) {
      try {
        listener(sample);
      } catch (error) {
        this.#log(error);
      }
    }
  }
}

/**
 * The samples after `afterAt`, then each new one as it is taken, until `signal` aborts. Subscribes
 * first and backfills from the ring, so nothing taken in between is lost or sent twice. A reader
 * that falls behind keeps the newest `sampler.capacity` samples.
 */
export async function* followSamples(sampler: SystemSampler, afterAt: number, signal: AbortSignal): AsyncGenerator<SystemSample> {
  const pending: SystemSample[] = [];
  let wake: (() => void) | undefined;
  const unsubscribe = sampler.subscribe((sample) => {
    pending.push(sample);
    if (pending.length > sampler.capacity) pending.shift();
    wake?.();
  });
  const onAbort = () => wake?.();
  signal.addEventListener('abort', onAbort);
  try {
    let last = afterAt;
    for (const sample of sampler.samples(afterAt)) {
      last = sample.at;
      yield sample;
    }
    while (!signal.aborted) {
      const next = pending.shift();
      if (!next) {
        await new Promise<void>((resolve) => {
          wake = resolve;
          if (signal.aborted) resolve();
        });
        wake = undefined;
        continue;
      }
      if (next.at <= last) continue;
      last = next.at;
      yield next;
    }
  } finally {
    signal.removeEventListener('abort', onAbort);
    unsubscribe();
  }
}

/** The requests of each connection so far, by what Notion answered (from notion_sync_notion_requests_total). */
export async function readRequestOutcomes(): Promise<Map<string, OutcomeCounts>> {
  const { values } = await metricsState().process.notionRequests.get();
  const byConnection = new Map<string, OutcomeCounts>();
  for (const { labels, value } of values) {
    const id = String(labels.connection_id ?? NO_CONNECTION);
    let counts = byConnection.get(id);
    if (!counts) {
      counts = noOutcomes();
      byConnection.set(id, counts);
    }
    counts[outcomeOfStatus(String(labels.status ?? ''))] += value;
  }
  return byConnection;
}

/** What the sampler of a dashboard reads: its database (for the queue) and its exports folder (for the disk). */
export interface SamplingSource {
  database: { db: DB };
  config: { exportsDir: string };
}

/** Reads this process: its metric snapshot (the queue from `source`'s database), the answers per connection, the exports disk. */
export function systemReader(source: SamplingSource): () => Promise<SystemReading> {
  return async () => {
    // The queue figures come from the database gauges, which this process reports (as its /api/metrics does).
    reportDatabaseMetrics(source.database.db);
    const [snapshot, outcomes, disk] = await Promise.all([
      readMetricSnapshot(),
      readRequestOutcomes(),
      diskSpace(source.config.exportsDir).catch(() => undefined),
    ]);
    return { snapshot, outcomes, ...(disk ? { disk } : {}) };
  };
}

const SAMPLERS_KEY = Symbol.for('notion-sync.observability.system-samplers');
type Holder = typeof globalThis & { [SAMPLERS_KEY]?: WeakMap<DB, SystemSampler> };

function samplers(): WeakMap<DB, SystemSampler> {
  const holder = globalThis as Holder;
  holder[SAMPLERS_KEY] ??= new WeakMap();
  return holder[SAMPLERS_KEY];
}

/**
 * The sampler of the process for `source`'s database, made on first use (not started: it starts
 * with its first subscriber). Kept on globalThis: Next builds route handlers as separate module graphs.
 */
export function systemSampler(source: SamplingSource): SystemSampler {
  let sampler = samplers().get(source.database.db);
  if (!sampler) {
    sampler = new SystemSampler({ read: systemReader(source) });
    samplers().set(source.database.db, sampler);
  }
  return sampler;
}

/** Gives `source`'s database another sampler (tests: one on a clock they move). */
export function replaceSystemSampler(source: SamplingSource, sampler: SystemSampler): void {
  samplers().set(source.database.db, sampler);
}
