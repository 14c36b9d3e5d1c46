import { recentEventLoopLagMs } from './event-loop';
import { BREAKER_STATES, type BreakerState, metricsState } from './metrics';

/**
 * The metrics of this process as typed values, for views that chart them (the dashboard's System
 * view): read a snapshot every few seconds and turn two of them into rates with `ratesBetween`.
 * Counters are cumulative since the process started, as in Prometheus.
 */

export interface ConnectionSnapshot {
  connectionId: string;
  /** Requests sent to Notion for this connection (every attempt). */
  requests: number;
  /** 429 and 529 answers. */
  rateLimited: number;
  /** The request budget (requests per second), when an export of the connection ran in this process. */
  budgetPerSecond?: number;
  /** The rate the limiter paces at (the budget, or lower after 429s). */
  pacedPerSecond?: number;
  breaker?: BreakerState;
  /** Of the 429s, those that said the workspace's shared budget ran out (`rate_limit_reason: workspace_limit`). */
  workspaceRateLimited?: number;
  /** The workspace of the connection's token and its limit in this process, when known. */
  workspace?: WorkspaceSnapshot;
}

/** A workspace's limit as this process applies it: the budget of every process together, its share, its pace. */
export interface WorkspaceSnapshot {
  key: string;
  /** The configured workspace budget (null: none; the pace is then learned from 429s only). */
  budgetPerSecond: number | null;
  /** Runners (processes) with exports into the workspace now, this one included. */
  sharedBy: number;
  /** This process's share of the budget. */
  sharePerSecond: number | null;
  /** The rate this process's limiter of the workspace paces at (null: no budget, nothing learned). */
  pacedPerSecond: number | null;
}

/** A cumulative histogram: `counts[i]` observations were at most `bounds[i]` seconds (the last bound is Infinity). */
export interface HistogramSnapshot {
  bounds: number[];
  counts: number[];
  count: number;
  sumSeconds: number;
}

export interface MetricSnapshot {
  /** When it was read (ms since the epoch). */
  at: number;
  connections: ConnectionSnapshot[];
  /** Latency of Notion requests, every connection and endpoint together. */
  notionLatency: HistogramSnapshot;
  /** Pages and databases finished by this process's exports. */
  items: { exported: number; failed: number };
  /** The export queue, when this process reports the database (the dashboard's does). */
  queue?: { due: number; scheduled: number; activeLeases: number };
  memory: { rssBytes: number; heapUsedBytes: number };
  /** Worst lateness of the event loop over the last 30 s. */
  eventLoopLagMs: number;
  /** When this process runs a runner. */
  runner?: { heartbeatAgeSeconds?: number; activeExports: number };
}

type Values = { value: number; labels: Partial<Record<string, string | number>>; metricName?: string }[];

async function valuesOf(metric: { get(): Promise<{ values: unknown[] }> }): Promise<Values> {
  return (await metric.get()).values as Values;
}

const sum = (values: Values, match: (labels: Values[number]['labels']) => boolean = () => true) =>
  values.reduce((total, v) => (match(v.labels) ? total + v.value : total), 0);

function histogramOf(values: Values): HistogramSnapshot {
  const byBound = new Map<number, number>();
  let count = 0;
  let sumSeconds = 0;
  for (const v of values) {
    if (v.metricName?.endsWith('_bucket')) {
      const le = v.labels.le === '+Inf' ? Number.POSITIVE_INFINITY : Number(v.labels.le);
      byBound.set(le, (byBound.get(le) ?? 0) + v.value);
    } else if (v.metricName?.endsWith('_count')) count += v.value;
    else if (v.metricName?.endsWith('_sum')) sumSeconds += v.value;
  }
  const bounds = [...byBound.keys()].sort((a, b) => a - b);
  return { bounds, counts: bounds.map((b) => byBound.get(b) ?? 0), count, sumSeconds };
}

/** The metrics of this process now (runs the scrape-time collectors it needs). */
export async function readMetricSnapshot(): Promise<MetricSnapshot> {
  const state = metricsState();
  const m = state.process;
  const [requests, rateLimited, budget, pace, breaker, latency, items] = await Promise.all([
    valuesOf(m.notionRequests),
    valuesOf(m.notionRateLimited),
    valuesOf(m.notionBudget),
    valuesOf(m.notionPace),
    valuesOf(m.notionBreaker),
    valuesOf(m.notionRequestDuration),
    valuesOf(m.exportItems),
  ]);
  const connections = new Map<string, ConnectionSnapshot>();
  const connection = (id: unknown) => {
    const key = String(id ?? '');
    let found = connections.get(key);
    if (!found) {
      found = { connectionId: key, requests: 0, rateLimited: 0 };
      connections.set(key, found);
    }
    return found;
  };
  for (const v of requests) connection(v.labels.connection_id).requests += v.value;
  for (const v of rateLimited) {
    const c = connection(v.labels.connection_id);
    c.rateLimited += v.value;
    if (v.labels.rate_limit_reason === 'workspace_limit') c.workspaceRateLimited = (c.workspaceRateLimited ?? 0) + v.value;
  }
  for (const v of budget) connection(v.labels.connection_id).budgetPerSecond = v.value;
  for (const v of pace) connection(v.labels.connection_id).pacedPerSecond = v.value;
  for (const [connectionId, watched] of state.connections) {
    if (watched.workspace) connection(connectionId).workspace = { key: watched.workspace.key, ...watched.workspace.rates() };
  }
  for (const v of breaker) {
    const s = BREAKER_STATES.find((known) => known === v.labels.state);
    if (v.value === 1 && s) connection(v.labels.connection_id).breaker = s;
  }

  let queue: MetricSnapshot['queue'];
  if (state.database) {
    const [depth, leases] = await Promise.all([valuesOf(state.database.queueDepth), valuesOf(state.database.activeLeases)]);
    if (depth.length > 0) {
      queue = {
        due: sum(depth, (l) => l.state === 'due'),
        scheduled: sum(depth, (l) => l.state === 'scheduled'),
        activeLeases: sum(leases),
      };
    }
  }
  let runner: MetricSnapshot['runner'];
  if (state.runner && state.runners.size > 0) {
    const [age, active] = await Promise.all([valuesOf(state.runner.heartbeatAge), valuesOf(state.runner.activeExports)]);
    runner = { heartbeatAgeSeconds: age[0]?.value, activeExports: sum(active) };
  }
  const memory = process.memoryUsage();
  return {
    at: state.now(),
    connections: [...connections.values()],
    notionLatency: histogramOf(latency),
    items: { exported: sum(items, (l) => l.outcome === 'exported'), failed: sum(items, (l) => l.outcome === 'failed') },
    queue,
    memory: { rssBytes: memory.rss, heapUsedBytes: memory.heapUsed },
    eventLoopLagMs: recentEventLoopLagMs(),
    runner,
  };
}

/**
 * The `q` quantile of a histogram's observations (Prometheus's histogram_quantile: linear within
 * the bucket it falls in); undefined without observations. A quantile in the last (+Inf) bucket
 * is the highest finite bound.
 */
export function histogramQuantile(q: number, histogram: Pick<HistogramSnapshot, 'bounds' | 'counts'>): number | undefined {
  const { bounds, counts } = histogram;
  const total = counts.at(-1) ?? 0;
  if (total <= 0) return undefined;
  const rank = q * total;
  for (let i = 0; i < bounds.length; i++) {
    const upTo = counts[i] ?? 0;
    if (upTo < rank) continue;
    const upper = bounds[i] ?? 0;
    const lower = i === 0 ? 0 : (bounds[i - 1] ?? 0);
    if (upper === Number.POSITIVE_INFINITY) return lower;
    const below = i === 0 ? 0 : (counts[i - 1] ?? 0);
    const inBucket = upTo - below;
    return inBucket <= 0 ? upper : lower + ((upper - lower) * (rank - below)) / inBucket;
  }
  return bounds.at(-2);
}

export interface SnapshotRates {
  seconds: number;
  connections: { connectionId: string; requestsPerSecond: number; rateLimitedPerSecond: number; budgetPerSecond?: number; pacedPerSecond?: number }[];
  itemsPerSecond: number;
  /** The 95th percentile of Notion request latency between the two snapshots. */
  notionLatencyP95Seconds?: number;
}

/** What happened between two snapshots of the same process, per second. */
export function ratesBetween(before: MetricSnapshot, after: MetricSnapshot): SnapshotRates {
  const seconds = Math.max(0.001, (after.at - before.at) / 1000);
  const earlier = new Map(before.connections.map((c) => [c.connectionId, c]));
  const perSecond = (now: number, then: number | undefined) => Math.max(0, now - (then ?? 0)) / seconds;
  const boundsBefore = new Map(before.notionLatency.bounds.map((b, i) => [b, before.notionLatency.counts[i] ?? 0]));
  const window = {
    bounds: after.notionLatency.bounds,
    counts: after.notionLatency.bounds.map((b, i) => Math.max(0, (after.notionLatency.counts[i] ?? 0) - (boundsBefore.get(b) ?? 0))),
  };
  const itemsAfter = after.items.exported + after.items.failed;
  const itemsBefore = before.items.exported + before.items.failed;
  return {
    seconds,
    connections: after.connections.map((c) => ({
      connectionId: c.connectionId,
      requestsPerSecond: perSecond(c.requests, earlier.get(c.connectionId)?.requests),
      rateLimitedPerSecond: perSecond(c.rateLimited, earlier.get(c.connectionId)?.rateLimited),
      budgetPerSecond: c.budgetPerSecond,
      pacedPerSecond: c.pacedPerSecond,
    })),
    itemsPerSecond: perSecond(itemsAfter, itemsBefore),
    notionLatencyP95Seconds: histogramQuantile(0.95, window),
  };
}
