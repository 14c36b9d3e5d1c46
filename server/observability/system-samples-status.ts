import { isNull, sql } from 'drizzle-orm';
import { connections } from '@/db/schema';
import { checkLiveness, checkReadiness, type HealthCheck, type HealthContext, type ReadinessOptions } from './health';
import { logger } from './logger';
import { type MetricSnapshot, readMetricSnapshot } from './metric-snapshot';
import type { BreakerState } from './metrics';
import type { RequestOutcome, SystemSample, SystemSampler } from './system-samples';

/**
 * What the System view shows besides its charts: the health of each part (the readiness and
 * liveness checks of health.ts), each connection as this process knows it, and the conditions
 * the alert rules of deploy/prometheus/alerts.yml watch for, seen in the recent samples. Nothing
 * here calls Notion.
 */

/**
 * The thresholds of deploy/prometheus/alerts.yml (system-samples-status.test.ts reads the rules
 * and checks they agree). The `for:` of a rule is not waited for here: a condition shows as soon
 * as the samples meet it, and Prometheus pages only once it lasts.
 */
export const ALERT_THRESHOLDS = {
  /** NotionSyncRateLimited: 429 answers above this share of a connection's requests… */
  rateLimitedRatio: 0.01,
  /** …over this window (`rate(…[5m])`). */
  rateLimitedWindowMs: 5 * 60_000,
  /** NotionSyncRunnerHeartbeatMissing: the runner's heartbeat older than this. */
  heartbeatStaleSeconds: 180,
  /** NotionSyncDiskAlmostFull: less than this share of the exports disk free. */
  diskAlmostFullRatio: 0.05,
  /** NotionSyncDiskFilling: less than this share free… */
  diskFillingRatio: 0.25,
  /** …and full within this time at the recent pace (`predict_linear(…, 24 * 3600) < 0`). */
  diskFillingHorizonSeconds: 24 * 3600,
} as const;

export const ALERT_NAMES = [
  'NotionSyncRateLimited',
  'NotionSyncCircuitBreakerOpen',
  'NotionSyncRunnerHeartbeatMissing',
  'NotionSyncDiskAlmostFull',
  'NotionSyncDiskFilling',
  'NotionSyncQueueBacklogGrowing',
] as const;

export interface AlertCondition {
  /** The rule of deploy/prometheus/alerts.yml it matches; docs/runbook.md has a section of that name. */
  alert: (typeof ALERT_NAMES)[number];
  severity: 'warning' | 'critical';
  /** The condition in words, with the figures. */
  text: string;
  connectionId?: string;
}

const percent = (ratio: number) => `${(ratio * 100).toFixed(ratio < 0.1 ? 1 : 0)} %`;

/** A span in words: "40 s", "5 min". */
function span(seconds: number): string {
  return seconds < 90 ? `${Math.round(seconds)} s` : `${Math.round(seconds / 60)} min`;
}

/** Least-squares slope of `value` over time, per second (Prometheus's `deriv`); undefined with fewer than two times. */
export function slopePerSecond(points: { at: number; value: number }[]): number | undefined {
  if (points.length < 2) return undefined;
  const meanT = points.reduce((s, p) => s + p.at / 1000, 0) / points.length;
  const meanV = points.reduce((s, p) => s + p.value, 0) / points.length;
  let num = 0;
  let den = 0;
  for (const p of points) {
    const dt = p.at / 1000 - meanT;
    num += dt * (p.value - meanV);
    den += dt * dt;
  }
  return den === 0 ? undefined : num / den;
}

function rateLimitedConditions(samples: SystemSample[], latest: SystemSample, nameOf: (id: string) => string): AlertCondition[] {
  const recent = samples.filter((s) => s.at > latest.at - ALERT_THRESHOLDS.rateLimitedWindowMs);
  const seconds = recent.reduce((total, s) => total + s.seconds, 0);
  const totals = new Map<string, { requests: number; rateLimited: number }>();
  for (const sample of recent) {
    for (const c of sample.connections) {
      const t = totals.get(c.connectionId) ?? { requests: 0, rateLimited: 0 };
      t.requests += c.requests;
      t.rateLimited += c.rateLimited;
      totals.set(c.connectionId, t);
    }
  }
  return [...totals].flatMap(([connectionId, t]) => {
    const ratio = t.requests > 0 ? t.rateLimited / t.requests : 0;
    if (ratio <= ALERT_THRESHOLDS.rateLimitedRatio) return [];
    return [
      {
        alert: 'NotionSyncRateLimited' as const,
        severity: 'warning' as const,
        connectionId,
        text: `Notion answered ${percent(ratio)} of the requests of ${nameOf(connectionId)} with 429 (rate limited) in the last ${span(seconds)}: ${t.rateLimited} of ${t.requests}, above ${percent(ALERT_THRESHOLDS.rateLimitedRatio)}.`,
      },
    ];
  });
}

const BREAKER_WORDS: Record<Exclude<BreakerState, 'closed'>, string> = {
  open: 'is open: its requests to Notion are held back after repeated failures',
  half_open: 'is half-open: a trial request tests whether Notion answers again',
};

/**
 * The conditions of the alert rules that the samples (oldest first) meet now: 429s above 1 % of a
 * connection's requests over the last 5 minutes, a circuit breaker not closed, a stale runner
 * heartbeat, a disk almost full or filling, a queue of due exports that grows.
 */
export function conditionsOf(samples: SystemSample[], nameOf: (connectionId: string) => string = (id) => id): AlertCondition[] {
  const latest = samples.at(-1);
  if (!latest) return [];
  const conditions = rateLimitedConditions(samples, latest, nameOf);

  for (const c of latest.connections) {
    if (c.breaker === 'open' || c.breaker === 'half_open') {
      conditions.push({
        alert: 'NotionSyncCircuitBreakerOpen',
        severity: 'warning',
        connectionId: c.connectionId,
        text: `The circuit breaker of ${nameOf(c.connectionId)} ${BREAKER_WORDS[c.breaker]}.`,
      });
    }
  }

  const heartbeat = latest.runner?.heartbeatAgeSeconds;
  if (heartbeat !== undefined && heartbeat > ALERT_THRESHOLDS.heartbeatStaleSeconds) {
    conditions.push({
      alert: 'NotionSyncRunnerHeartbeatMissing',
      severity: 'critical',
      text: `The runner of this process has not shown it is alive for ${span(heartbeat)} (more than ${span(ALERT_THRESHOLDS.heartbeatStaleSeconds)}).`,
    });
  }

  const disk = latest.disk;
  if (disk && disk.sizeBytes > 0) {
    const free = disk.freeBytes / disk.sizeBytes;
    const slope = slopePerSecond(samples.flatMap((s) => (s.disk ? [{ at: s.at, value: s.disk.freeBytes }] : [])));
    if (free < ALERT_THRESHOLDS.diskAlmostFullRatio) {
      conditions.push({
        alert: 'NotionSyncDiskAlmostFull',
        severity: 'critical',
        text: `The exports disk has ${percent(free)} free (less than ${percent(ALERT_THRESHOLDS.diskAlmostFullRatio)}): exports pause when it is full.`,
      });
    } else if (free < ALERT_THRESHOLDS.diskFillingRatio && slope !== undefined && disk.freeBytes + slope * ALERT_THRESHOLDS.diskFillingHorizonSeconds < 0) {
      conditions.push({
        alert: 'NotionSyncDiskFilling',
        severity: 'warning',
        text: `The exports disk has ${percent(free)} free and, at the pace of the last ${span((latest.at - (samples[0]?.at ?? latest.at)) / 1000)}, is full in about ${span(disk.freeBytes / -slope)}.`,
      });
    }
  }

  const due = latest.queue?.due ?? 0;
  const growth = slopePerSecond(samples.flatMap((s) => (s.queue ? [{ at: s.at, value: s.queue.due }] : [])));
  if (due > 0 && growth !== undefined && growth > 0) {
    const first = samples.find((s) => s.queue)?.queue?.due ?? 0;
    conditions.push({
      alert: 'NotionSyncQueueBacklogGrowing',
      severity: 'warning',
      text: `${due} ${due === 1 ? 'export waits' : 'exports wait'} for a runner, up from ${first} ${span((latest.at - (samples[0]?.at ?? latest.at)) / 1000)} ago.`,
    });
  }
  return conditions;
}

/** Order of concern when one interval had several answers: the most telling one names it. */
const OUTCOME_WEIGHT: RequestOutcome[] = ['tokenRefused', 'serverError', 'overloaded', 'noAnswer', 'refused', 'rateLimited', 'ok'];

/** A connection as this process knows it, from its metrics and its row: never by calling Notion. */
export interface ConnectionStatus {
  id: string;
  name: string;
  workspaceName: string | null;
  /**
   * The newest interval (of the recent samples) in which it sent requests: when it ended, how many
   * requests, each answer's count, and the most telling answer. Null without requests lately.
   */
  lastCall: { at: number; requests: number; outcome: RequestOutcome; outcomes: Record<RequestOutcome, number> } | null;
  /** Null when no gateway of the connection lives in this process (no export of it ran here). */
  breaker: BreakerState | null;
  /** The rate its limiter paces at, and its budget; null as for `breaker`. */
  pace: { pacedPerSecond: number; budgetPerSecond: number } | null;
  /**
   * Whether Notion accepts its token, from what is known: `refused` after a 401 no older than the
   * last success and newer than the last check (connections.checkedAt), `accepted` after either,
   * `unknown` otherwise; `at` is when.
   */
  token: { state: 'accepted' | 'refused' | 'unknown'; at: number | null };
}

export interface ConnectionRow {
  id: string;
  name: string;
  workspaceName: string | null;
  checkedAt: Date | null;
}

/** Each connection's status from its row, the samples (oldest first) and a snapshot of the metrics now. */
export function connectionStatuses(rows: ConnectionRow[], samples: SystemSample[], snapshot: Pick<MetricSnapshot, 'connections'>): ConnectionStatus[] {
  const now = new Map(snapshot.connections.map((c) => [c.connectionId, c]));
  return rows.map((row) => {
    let lastCall: ConnectionStatus['lastCall'] = null;
    let lastOk: number | undefined;
    let lastRefused: number | undefined;
    for (const sample of samples) {
      const c = sample.connections.find((x) => x.connectionId === row.id);
      if (!c || c.requests === 0) continue;
      const outcome = OUTCOME_WEIGHT.find((o) => c.outcomes[o] > 0) ?? 'ok';
      lastCall = { at: sample.at, requests: c.requests, outcome, outcomes: { ...c.outcomes } };
      if (c.outcomes.ok > 0) lastOk = sample.at;
      if (c.outcomes.tokenRefused > 0) lastRefused = sample.at;
    }
    const checked = row.checkedAt?.getTime() ?? Number.NEGATIVE_INFINITY;
    const accepted = Math.max(lastOk ?? Number.NEGATIVE_INFINITY, checked);
    // A 401 in the same interval as a success counts as the later of the two: a token is refused once it was revoked.
    const token: ConnectionStatus['token'] =
      lastRefused !== undefined && lastRefused >= (lastOk ?? Number.NEGATIVE_INFINITY) && lastRefused > checked
        ? { state: 'refused', at: lastRefused }
        : Number.isFinite(accepted)
          ? { state: 'accepted', at: accepted }
          : { state: 'unknown', at: null };
    const gauges = now.get(row.id);
    return {
      id: row.id,
      name: row.name,
      workspaceName: row.workspaceName,
      lastCall,
      breaker: gauges?.breaker ?? null,
      pace:
        gauges?.pacedPerSecond !== undefined && gauges.budgetPerSecond !== undefined
          ? { pacedPerSecond: gauges.pacedPerSecond, budgetPerSecond: gauges.budgetPerSecond }
          : null,
      token,
    };
  });
}

export const HEALTH_PARTS = ['database', 'migrations', 'exportsDir', 'diskSpace', 'runner', 'eventLoop'] as const;

/** One part's health, as a badge shows it. */
export interface PartHealth extends HealthCheck {
  part: (typeof HEALTH_PARTS)[number];
}

export interface SystemStatus {
  at: number;
  /** Readiness's checks (the runner only when this process runs one) and liveness's event loop. */
  health: PartHealth[];
  connections: ConnectionStatus[];
  conditions: AlertCondition[];
  sampling: { intervalMs: number; windowMs: number; running: boolean; samples: number };
  /** Whether exports run in this process (RUNNER_ENABLED); otherwise a worker runs them and reports on its own METRICS_PORT. */
  runnerInProcess: boolean;
}

export interface SystemStatusOptions extends Pick<ReadinessOptions, 'statfs' | 'migrationsFolder'> {
  /** A snapshot of the metrics now (tests give one). */
  snapshot?: Pick<MetricSnapshot, 'connections'>;
}

async function connectionRows(ctx: HealthContext): Promise<ConnectionRow[]> {
  return ctx.database.db
    .select({ id: connections.id, name: connections.name, workspaceName: connections.workspaceName, checkedAt: connections.checkedAt })
    .from(connections)
    .where(isNull(connections.removedAt))
    .orderBy(sql`${connections.name} collate nocase`);
}

/** The System view's status: health, connections and the conditions worth an alert, from `sampler`'s recent samples. */
export async function systemStatus(ctx: HealthContext, sampler: SystemSampler, options: SystemStatusOptions = {}): Promise<SystemStatus> {
  const log = (line: string, error: unknown) => logger.warn({ err: error }, line);
  const [readiness, rows, snapshot] = await Promise.all([
    checkReadiness(ctx, { log, statfs: options.statfs, migrationsFolder: options.migrationsFolder }),
    connectionRows(ctx),
    options.snapshot ?? readMetricSnapshot(),
  ]);
  const samples = sampler.samples();
  const names = new Map(rows.map((r) => [r.id, r.name]));
  const checks: Partial<Record<PartHealth['part'], HealthCheck>> = { ...readiness.checks, eventLoop: checkLiveness().checks.eventLoop };
  const health = HEALTH_PARTS.flatMap((part): PartHealth[] => {
    const check = checks[part];
    return check ? [{ part, ...check }] : [];
  });
  return {
    at: Date.now(),
    health,
    connections: connectionStatuses(rows, samples, snapshot),
    conditions: conditionsOf(samples, (id) => names.get(id) ?? `connection ${id}`),
    sampling: { intervalMs: sampler.intervalMs, windowMs: sampler.windowMs, running: sampler.running, samples: samples.length },
    runnerInProcess: ctx.config.runnerEnabled === true,
  };
}
