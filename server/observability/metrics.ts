import fs from 'node:fs/promises';
import path from 'node:path';
import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry } from 'prom-client';

/**
 * Every Prometheus metric of the process, in one registry kept on `globalThis`: Next builds
 * `instrumentation.ts` (where the runner lives) and each route handler as separate module graphs,
 * so a registry held by a module would be a different, empty one in `/api/metrics`.
 *
 * Names follow Prometheus conventions under `notion_sync_`: base units in the name (`_seconds`,
 * `_bytes`), `_total` on counters, and labels of a bounded set only (endpoint templates such as
 * `/v1/blocks/{id}/children`, never an id; a connection id, of which an install has a handful).
 * docs/metrics.md lists them with what each is for.
 *
 * Three groups:
 * - process metrics, counted where the work happens (every process: the server, the worker, the CLI);
 * - runner metrics, registered once a runner exists in the process;
 * - database metrics, read from the database at scrape time, registered only by the process that
 *   serves `/api/metrics` (the dashboard), so that they are not reported twice.
 */

export const METRIC_PREFIX = 'notion_sync_';

/** Connection id of requests made before a connection exists (checking a token being added). */
export const NO_CONNECTION = '';

const SECONDS_FAST = [0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60];
const SECONDS_WAIT = [0.001, 0.01, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300];
const SECONDS_RETRY_AFTER = [1, 2, 5, 10, 30, 60, 120, 300, 900, 3600];
const SECONDS_RUN = [1, 10, 30, 60, 300, 600, 1800, 3600, 7200, 14_400, 43_200, 86_400];
const SECONDS_APPEND = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 10];

/** Circuit breaker states, as the `state` label of `notion_sync_notion_circuit_breaker_state`. */
export const BREAKER_STATES = ['closed', 'open', 'half_open'] as const;
export type BreakerState = (typeof BREAKER_STATES)[number];

/** What the scrape-time gauges read about a connection's limiter and breaker (structural: nothing of server/notion is imported). */
export interface WatchedConnection {
  limiter: { learned(): { effective: number; configured: number } };
  breaker: { state(): BreakerState };
  /** The workspace the connection's token belongs to, when known (the System view's per-workspace rates). */
  workspace?: WatchedWorkspace;
}

/** A workspace's limit as this process applies it (server/notion/workspace-limiter.ts's `workspaceRates`). */
export interface WatchedWorkspace {
  /** The workspace's key (a hash: neither its id nor its name). */
  key: string;
  rates(): { budgetPerSecond: number | null; sharedBy: number; sharePerSecond: number | null; pacedPerSecond: number | null };
}

/** One runner of this process: when it last showed it is alive. */
export interface RunnerBeat {
  lastBeatAt: number;
  active: number;
}

/** A database the scrape-time gauges read (structural, see database-metrics.ts). */
export type DatabaseReader = () => Promise<DatabaseFigures>;

export interface DatabaseFigures {
  exportsByStatus: { status: string; count: number }[];
  queue: { due: number; scheduled: number; oldestDueAgeSeconds: number; activeLeases: number; expiredLeases: number };
  /** Per connection in use with a finished export: when its newest one finished, and the pages and databases it could not export. */
  connections: { connectionId: string; lastSuccessSeconds: number; deadLetters: number }[];
}

/** Most connections watched at once: an install has a handful; the oldest is forgotten beyond this. */
const MAX_WATCHED = 64;

function defineProcessMetrics(registry: Registry, state: () => MetricsState) {
  const registers = [registry];
  return {
    notionRequests: new Counter({
      name: 'notion_sync_notion_requests_total',
      help: 'HTTP requests sent to the Notion API: every attempt, retries included, whatever the answer (status: the HTTP status, or error, timeout, aborted when none came).',
      labelNames: ['connection_id', 'method', 'endpoint', 'status'] as const,
      registers,
    }),
    notionRequestDuration: new Histogram({
      name: 'notion_sync_notion_request_duration_seconds',
      help: 'Time of one attempt at a Notion API request, from sending it to its whole answer (or its failure).',
      labelNames: ['connection_id', 'endpoint'] as const,
      buckets: SECONDS_FAST,
      registers,
    }),
    notionRateLimited: new Counter({
      name: 'notion_sync_notion_rate_limited_total',
      help: "Answers 429 and 529 from Notion, by the answer's additional_data.rate_limit_reason (unknown when it gives none).",
      labelNames: ['connection_id', 'status', 'rate_limit_reason'] as const,
      registers,
    }),
    notionRetryAfter: new Histogram({
      name: 'notion_sync_notion_retry_after_seconds',
      help: 'The Retry-After of 429 and 529 answers that carried one.',
      labelNames: ['connection_id'] as const,
      buckets: SECONDS_RETRY_AFTER,
      registers,
    }),
    notionLimiterWait: new Histogram({
      name: 'notion_sync_notion_limiter_wait_seconds',
      help: "Time each attempt waited for the connection's circuit breaker and rate limiter before it was sent.",
      labelNames: ['connection_id'] as const,
      buckets: SECONDS_WAIT,
      registers,
    }),
    notionBudget: new Gauge({
      name: 'notion_sync_notion_budget_requests_per_second',
      help: 'The request budget of the connection (the settings; Notion asks for 3 per second on average).',
      labelNames: ['connection_id'] as const,
      registers,
      collect() {
        this.reset();
        for (const [connectionId, watched] of state().connections) this.set({ connection_id: connectionId }, watched.limiter.learned().configured);
      },
    }),
    notionPace: new Gauge({
      name: 'notion_sync_notion_paced_requests_per_second',
      help: "The rate the connection's limiter paces at: the budget, or lower after Notion's 429 and 529 answers.",
      labelNames: ['connection_id'] as const,
      registers,
      collect() {
        this.reset();
        for (const [connectionId, watched] of state().connections) this.set({ connection_id: connectionId }, watched.limiter.learned().effective);
      },
    }),
    notionBreaker: new Gauge({
      name: 'notion_sync_notion_circuit_breaker_state',
      help: "The connection's circuit breaker: 1 for the state it is in (closed, open, half_open), 0 for the others.",
      labelNames: ['connection_id', 'state'] as const,
      registers,
      collect() {
        this.reset();
        for (const [connectionId, watched] of state().connections) {
          const current = watched.breaker.state();
          for (const s of BREAKER_STATES) this.set({ connection_id: connectionId, state: s }, s === current ? 1 : 0);
        }
      },
    }),
    exportRunDuration: new Histogram({
      name: 'notion_sync_export_run_duration_seconds',
      help: 'One run of an export by a runner, from its claim to its end, by outcome (completed, completed_with_errors, failed, retrying, paused, aborted, skipped); its _count counts runs.',
      labelNames: ['outcome'] as const,
      buckets: SECONDS_RUN,
      registers,
    }),
    exportItems: new Counter({
      name: 'notion_sync_export_items_total',
      help: 'Pages and databases finished by the exports of this process (kind: page, database; outcome: exported, failed). Failed ones are the dead letters.',
      labelNames: ['kind', 'outcome'] as const,
      registers,
    }),
    exportFiles: new Counter({
      name: 'notion_sync_export_files_total',
      help: 'Files written into exports, by format (markdown, html, json, csv, attachment).',
      labelNames: ['format'] as const,
      registers,
    }),
    exportBytes: new Counter({
      name: 'notion_sync_export_bytes_total',
      help: 'Bytes of the files written into exports, by format (markdown, html, json, csv, attachment).',
      labelNames: ['format'] as const,
      registers,
    }),
    attachments: new Counter({
      name: 'notion_sync_attachments_total',
      help: 'Attachments saved into exports (outcome: downloaded, a new file; deduplicated, the same file already in the export; failed).',
      labelNames: ['outcome'] as const,
      registers,
    }),
    eventAppendDuration: new Histogram({
      name: 'notion_sync_event_store_append_duration_seconds',
      help: 'Time of one append to the event store: its transaction with the inline projections.',
      buckets: SECONDS_APPEND,
      registers,
    }),
    zipDownloads: new Counter({
      name: 'notion_sync_zip_downloads_total',
      help: 'Zip downloads of exports, by outcome (completed, aborted by the client, failed).',
      labelNames: ['outcome'] as const,
      registers,
    }),
    zipBytes: new Counter({
      name: 'notion_sync_zip_download_bytes_total',
      help: 'Bytes of zip sent to clients.',
      registers,
    }),
  };
}

function defineDiskMetrics(registry: Registry, disk: () => Promise<{ freeBytes: number; sizeBytes: number } | undefined>) {
  const registers = [registry];
  return {
    diskFree: new Gauge({
      name: 'notion_sync_exports_disk_free_bytes',
      help: 'Free bytes (available to this process) on the disk of EXPORTS_DIR.',
      registers,
      async collect() {
        const read = await disk();
        if (read) this.set(read.freeBytes);
      },
    }),
    diskSize: new Gauge({
      name: 'notion_sync_exports_disk_size_bytes',
      help: 'Size in bytes of the disk of EXPORTS_DIR.',
      registers,
      async collect() {
        const read = await disk();
        if (read) this.set(read.sizeBytes);
      },
    }),
  };
}

function defineRunnerMetrics(registry: Registry, state: () => MetricsState) {
  const registers = [registry];
  return {
    heartbeatAge: new Gauge({
      name: 'notion_sync_runner_heartbeat_age_seconds',
      help: "Seconds since the runners of this process last showed they are alive (a poll for work, or a lease renewed); the stalest runner's.",
      registers,
      collect() {
        const age = runnerHeartbeatAgeSeconds(state());
        if (age !== undefined) this.set(age);
      },
    }),
    activeExports: new Gauge({
      name: 'notion_sync_runner_active_exports',
      help: 'Exports the runners of this process are performing now.',
      registers,
      collect() {
        let active = 0;
        for (const beat of state().runners.values()) active += beat.active;
        this.set(active);
      },
    }),
  };
}

const NOTE = 'Read from the database at scrape time by the process that serves /api/metrics.';

function defineDatabaseMetrics(registry: Registry, figures: () => Promise<DatabaseFigures | undefined>) {
  const registers = [registry];
  return {
    exports: new Gauge({
      name: 'notion_sync_exports',
      help: `Exports by status. ${NOTE}`,
      labelNames: ['status'] as const,
      registers,
      async collect() {
        const read = await figures();
        this.reset();
        for (const { status, count } of read?.exportsByStatus ?? []) this.set({ status }, count);
      },
    }),
    queueDepth: new Gauge({
      name: 'notion_sync_queue_depth',
      help: `Exports queued and waiting for a runner (state: due, may run now; scheduled, a retry after a backoff). ${NOTE}`,
      labelNames: ['state'] as const,
      registers,
      async collect() {
        const read = await figures();
        this.reset();
        if (!read) return;
        this.set({ state: 'due' }, read.queue.due);
        this.set({ state: 'scheduled' }, read.queue.scheduled);
      },
    }),
    queueOldest: new Gauge({
      name: 'notion_sync_queue_oldest_due_age_seconds',
      help: `How long the oldest due export has been waiting for a runner (0 when none waits). ${NOTE}`,
      registers,
      async collect() {
        const read = await figures();
        if (read) this.set(read.queue.oldestDueAgeSeconds);
      },
    }),
    activeLeases: new Gauge({
      name: 'notion_sync_queue_active_leases',
      help: `Exports a runner holds a live lease on (running now, in any process). ${NOTE}`,
      registers,
      async collect() {
        const read = await figures();
        if (read) this.set(read.queue.activeLeases);
      },
    }),
    expiredLeases: new Gauge({
      name: 'notion_sync_queue_expired_leases',
      help: `Running exports whose runner's lease ran out (a runner stopped without giving them back; the next runner resumes them). ${NOTE}`,
      registers,
      async collect() {
        const read = await figures();
        if (read) this.set(read.queue.expiredLeases);
      },
    }),
    deadLetters: new Gauge({
      name: 'notion_sync_dead_letters',
      help: `Pages and databases the newest completed export of the connection could not export (they wait for a retry by hand). ${NOTE}`,
      labelNames: ['connection_id'] as const,
      registers,
      async collect() {
        const read = await figures();
        this.reset();
        for (const { connectionId, deadLetters } of read?.connections ?? []) this.set({ connection_id: connectionId }, deadLetters);
      },
    }),
    lastSuccess: new Gauge({
      name: 'notion_sync_last_successful_export_timestamp_seconds',
      help: `When the newest export of the connection that completed (with or without pages that failed) finished, in Unix seconds; connections in use only. ${NOTE}`,
      labelNames: ['connection_id'] as const,
      registers,
      async collect() {
        const read = await figures();
        this.reset();
        for (const { connectionId, lastSuccessSeconds } of read?.connections ?? []) this.set({ connection_id: connectionId }, lastSuccessSeconds);
      },
    }),
    databaseUp: new Gauge({
      name: 'notion_sync_database_up',
      help: 'Whether the database answered the queries of this scrape (1) or not (0).',
      registers,
      async collect() {
        this.set((await figures()) ? 1 : 0);
      },
    }),
  };
}

/** The metrics of the process and what their scrape-time collectors read. */
export interface MetricsState {
  registry: Registry;
  process: ReturnType<typeof defineProcessMetrics>;
  runner?: ReturnType<typeof defineRunnerMetrics>;
  database?: ReturnType<typeof defineDatabaseMetrics>;
  disk?: ReturnType<typeof defineDiskMetrics>;
  /** Limiter and breaker of each connection with a gateway in this process (at most MAX_WATCHED). */
  connections: Map<string, WatchedConnection>;
  /** Runners of this process, by owner (removed when they stop). */
  runners: Map<string, RunnerBeat>;
  /** Reads the database figures; one read serves every database gauge of a scrape. */
  readDatabase?: DatabaseReader;
  /** The figures of the scrape under way (a short-lived promise shared by the database gauges). */
  databaseRead?: { at: number; figures: Promise<DatabaseFigures | undefined> };
  /** Folder whose disk the disk gauges report. */
  exportsDir?: string;
  now: () => number;
}

const STATE_KEY = Symbol.for('notion-sync.observability.metrics');
type Holder = typeof globalThis & { [STATE_KEY]?: MetricsState };

/**
 * The default process metrics (memory, CPU, event-loop lag, GC, heap spaces) but the three
 * `nodejs_active_*_total` gauges: sums of the by-type gauges beside them, named like counters
 * (`promtool check metrics` refuses a gauge ending in `_total`).
 */
function addDefaultMetrics(registry: Registry): void {
  collectDefaultMetrics({ register: registry, prefix: METRIC_PREFIX });
  for (const name of ['nodejs_active_handles_total', 'nodejs_active_requests_total', 'nodejs_active_resources_total']) {
    registry.removeSingleMetric(`${METRIC_PREFIX}${name}`);
  }
}

/** The metrics of this process, created on first use. */
const OFF_KEY = Symbol.for('notion-sync.observability.metrics-off');
type OffHolder = typeof globalThis & { [OFF_KEY]?: boolean };

/**
 * For a process that serves no metrics (a worker or the CLI without METRICS_PORT): from now on
 * nothing is recorded and no registry is made. The worker must stay under 100 MB at 10,000
 * pages; counting what nobody scrapes cost it about 4 MB at its peak.
 */
export function recordNoMetrics(): void {
  (globalThis as OffHolder)[OFF_KEY] = true;
}

/** Whether this process records metrics (the dashboard always; a worker or the CLI with METRICS_PORT). */
export function metricsRecorded(): boolean {
  return (globalThis as OffHolder)[OFF_KEY] !== true;
}

export function metricsState(): MetricsState {
  const holder = globalThis as Holder;
  let state = holder[STATE_KEY];
  if (!state) {
    const registry = new Registry();
    const created: Omit<MetricsState, 'process'> = { registry, connections: new Map(), runners: new Map(), now: Date.now };
    state = { ...created, process: defineProcessMetrics(registry, () => holder[STATE_KEY] as MetricsState) };
    addDefaultMetrics(registry);
    holder[STATE_KEY] = state;
  }
  return state;
}

/** The process's registry (for reading; record through the functions of this folder). */
export function metricsRegistry(): Registry {
  return metricsState().registry;
}

/** The registry's content type for the text exposition format. */
export function metricsContentType(): string {
  return metricsRegistry().contentType;
}

/** Every metric in the text exposition format, the scrape-time collectors run first. */
export function metricsText(): Promise<string> {
  return metricsRegistry().metrics();
}

/** Registers the runner metrics (once per process): called when the first runner appears. */
export function ensureRunnerMetrics(state: MetricsState = metricsState()): void {
  state.runner ??= defineRunnerMetrics(state.registry, () => state);
}

/** The age the heartbeat gauge shows: of the stalest runner; undefined without runners. */
export function runnerHeartbeatAgeSeconds(state: MetricsState = metricsState()): number | undefined {
  let oldest: number | undefined;
  for (const beat of state.runners.values()) oldest = oldest === undefined ? beat.lastBeatAt : Math.min(oldest, beat.lastBeatAt);
  return oldest === undefined ? undefined : Math.max(0, (state.now() - oldest) / 1000);
}

/** How long one database read serves the gauges of a scrape (prom-client collects them side by side). */
const DATABASE_READ_REUSE_MS = 1000;

function ensureDatabaseMetrics(state: MetricsState): void {
  state.database ??= defineDatabaseMetrics(state.registry, () => {
    const reader = state.readDatabase;
    if (!reader) return Promise.resolve(undefined);
    const now = state.now();
    if (!state.databaseRead || now - state.databaseRead.at > DATABASE_READ_REUSE_MS) {
      // A database that does not answer shows as notion_sync_database_up 0, not as a failed scrape.
      state.databaseRead = { at: now, figures: reader().catch(() => undefined) };
    }
    return state.databaseRead.figures;
  });
}

/**
 * Registers the database metrics (once per process) and sets what they read. Only the process
 * serving `/api/metrics` calls this; a worker's own scrape has none of them.
 */
export function enableDatabaseMetrics(read: DatabaseReader, state: MetricsState = metricsState()): void {
  if (state.readDatabase !== read) state.databaseRead = undefined;
  state.readDatabase = read;
  ensureDatabaseMetrics(state);
}

/** Reports the disk of `exportsDir` (free and total bytes) at every scrape from now on. */
export function watchExportsDisk(exportsDir: string, state: MetricsState = metricsState()): void {
  state.exportsDir = exportsDir;
  ensureDiskMetrics(state);
}

function ensureDiskMetrics(state: MetricsState): void {
  state.disk ??= defineDiskMetrics(state.registry, async () => {
    if (!state.exportsDir) return undefined;
    return diskSpace(state.exportsDir).catch(() => undefined);
  });
}

/** Free (available to this process) and total bytes of the disk holding `dir`, or of its nearest existing parent. */
export async function diskSpace(dir: string, statfs: StatFs = fs.statfs): Promise<{ freeBytes: number; sizeBytes: number }> {
  const stats = await statfs(await nearestFolder(dir));
  return { freeBytes: stats.bavail * stats.bsize, sizeBytes: stats.blocks * stats.bsize };
}

/** `dir`, or its nearest ancestor that exists (EXPORTS_DIR is made with the first export). */
async function nearestFolder(dir: string): Promise<string> {
  let at = path.resolve(dir);
  for (;;) {
    const stats = await fs.stat(at).catch(() => undefined);
    const parent = path.dirname(at);
    if (stats?.isDirectory() || parent === at) return at;
    at = parent;
  }
}

export type StatFs = (dir: string) => Promise<{ bavail: number; bsize: number; blocks: number }>;

/** Keeps the limiter and breaker of a connection for the scrape-time gauges (the newest gateway's, at most MAX_WATCHED connections). */
export function watchConnection(connectionId: string, watched: WatchedConnection, state: MetricsState = metricsState()): void {
  state.connections.delete(connectionId);
  state.connections.set(connectionId, watched);
  if (state.connections.size > MAX_WATCHED) {
    const oldest = state.connections.keys().next().value;
    if (oldest !== undefined) state.connections.delete(oldest);
  }
}

/** The names of every metric this code can register (the groups registered on demand included), for checks of rules and dashboards. */
export function everyMetricName(): string[] {
  const state = metricsState();
  ensureRunnerMetrics(state);
  ensureDatabaseMetrics(state);
  ensureDiskMetrics(state);
  return state.registry.getMetricsAsArray().map((metric) => (metric as unknown as { name: string }).name);
}
