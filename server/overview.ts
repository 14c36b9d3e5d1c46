import { and, desc, eq, gte, inArray, isNull, max, sql } from 'drizzle-orm';
import { auditEvents, connections, exports } from '@/db/schema';
import type { AppContext } from '@/server/app-context';
import { CHECK_ACTIONS, type CheckProblem } from '@/server/connections/connections';
import { withoutAbsolutePaths } from '@/server/export/control/export-queries';
import { diskSpace, type StatFs } from '@/server/observability/metrics';
import { readRunnerSettings, readSettings } from '@/server/settings';

/**
 * The dashboard's overview: what runs now, what failed lately, and whether the database, the
 * disk of the exports and each connection are well. Nothing in it names a path or a token.
 */

/** Below either, the disk of EXPORTS_DIR is reported as low. */
export const LOW_DISK_BYTES = 1024 ** 3;
export const LOW_DISK_FRACTION = 0.05;
/** How far back failures count as recent. */
export const RECENT_FAILURES_MS = 24 * 60 * 60 * 1000;
const RECENT_FAILURES_SHOWN = 10;
const RUNNING_SHOWN = 20;

/** A running export as the overview shows it: its progress counters, never its folder. */
export interface RunningExport {
  id: string;
  connectionName: string;
  workspaceName: string | null;
  phase: (typeof exports.$inferSelect)['phase'];
  pagesDiscovered: number;
  pagesDone: number;
  pagesFailed: number;
  requests: number;
  /** The rate Notion's answers taught its token's limiter, when below the budget: its own budget now. */
  pacedRate: number | null;
  /**
   * Requests per second over the time it ran (this run and the ones before it), against its own
   * budget: what it had until the dashboard measures it live. Null before a second has passed.
   */
  averageRate: number | null;
  /** Position of the newest event the counters reflect (to tell a newer copy from the live feed). */
  lastPosition: number;
  startedAt: Date | null;
  requestedByUser: string | null;
}

export interface RecentFailure {
  id: string;
  connectionName: string;
  failedAt: Date;
  /** The failure in words, without absolute paths. */
  reason: string | null;
}

export type DatabaseHealth = { ok: true; latencyMs: number } | { ok: false; error: string };

export type DiskHealth =
  | { ok: true; freeBytes: number; totalBytes: number; /** under 1 GB or 5 % free */ low: boolean }
  | { ok: false; error: string };

export interface ConnectionHealth {
  id: string;
  name: string;
  workspaceName: string | null;
  /** When Notion last accepted its token. */
  checkedAt: Date | null;
  /** Whether the newest check (added, tested, token replaced) failed, and why. */
  lastCheckFailed: boolean;
  lastCheckAt: Date | null;
  problem: string | null;
}

export interface Overview {
  at: Date;
  /** The request budget per integration token (settings). */
  budget: number | null;
  /** The budget shared by the connections into one workspace (the runner's setting); null: none set (learned from Notion's answers). */
  workspaceBudget: number | null;
  /** How many exports (each of another connection) one runner performs at once. */
  maxExportsPerRunner: number | null;
  running: RunningExport[];
  queued: number;
  recentFailures: RecentFailure[];
  /** Failures in the last 24 h, all of them (the list shows the newest few). */
  recentFailureCount: number;
  health: { database: DatabaseHealth; disk: DiskHealth; connections: ConnectionHealth[] };
}

/** Short words for a failed check (the check's own answer has the full sentence). */
const PROBLEM_WORDS: Record<CheckProblem, string> = {
  token_refused: 'Notion refused the token',
  unreachable: 'Notion could not be reached',
  refused: 'Notion refused the check',
  not_allowed: 'Its API address is not allowed here',
};


export interface OverviewOptions {
  now?: Date;
  /** The file-system figures of a folder (`fs.promises.statfs`; tests give other disks). */
  statfs?: StatFs;
}

const codeOf = (error: unknown): string => {
  const code = (error as { code?: unknown } | undefined)?.code;
  return typeof code === 'string' && /^[A-Z0-9_]+$/.test(code) ? ` (${code})` : '';
};

async function checkDatabase(ctx: AppContext): Promise<DatabaseHealth> {
  const started = performance.now();
  try {
    await ctx.database.db.get(sql`select 1`);
    return { ok: true, latencyMs: Math.round((performance.now() - started) * 10) / 10 };
  } catch (error) {
    return { ok: false, error: `does not answer${codeOf(error)}` };
  }
}

/** The nearest folder that exists on the way up to `dir` (EXPORTS_DIR is made with the first export). */
export async function checkDisk(dir: string, statfs?: StatFs): Promise<DiskHealth> {
  try {
    const { freeBytes, sizeBytes: totalBytes } = await diskSpace(dir, statfs);
    const low = freeBytes < LOW_DISK_BYTES || (totalBytes > 0 && freeBytes / totalBytes < LOW_DISK_FRACTION);
    return { ok: true, freeBytes, totalBytes, low };
  } catch (error) {
    return { ok: false, error: `cannot be read${codeOf(error)}` };
  }
}

async function runningExports(ctx: AppContext, now: Date): Promise<RunningExport[]> {
  const rows = await ctx.database.db
    .select({
      id: exports.id,
      connectionName: connections.name,
      workspaceName: connections.workspaceName,
      phase: exports.phase,
      pagesDiscovered: exports.pagesDiscovered,
      pagesDone: exports.pagesDone,
      pagesFailed: exports.pagesFailed,
      requests: exports.requests,
      pacedRate: exports.pacedRate,
      lastPosition: exports.lastPosition,
      startedAt: exports.startedAt,
      requestedByUser: exports.requestedByUser,
      activeMs: exports.activeMs,
      runningSince: exports.runningSince,
    })
    .from(exports)
    .innerJoin(connections, eq(connections.id, exports.connectionId))
    .where(eq(exports.status, 'running'))
    .orderBy(exports.startedAt)
    .limit(RUNNING_SHOWN);
  return rows.map(({ activeMs, runningSince, ...row }) => ({ ...row, averageRate: averageRate(row.requests, activeMs, runningSince, now) }));
}

/** Requests per second of running time (to 0.1), or null before a second of it has passed. */
export function averageRate(requests: number, activeMs: number, runningSince: Date | null, now: Date): number | null {
  const ranMs = activeMs + (runningSince ? Math.max(0, now.getTime() - runningSince.getTime()) : 0);
  if (ranMs < 1000) return null;
  return Math.round((requests * 10_000) / ranMs) / 10;
}

async function recentFailures(ctx: AppContext, since: Date): Promise<{ list: RecentFailure[]; count: number }> {
  const db = ctx.database.db;
  const failedSince = and(eq(exports.status, 'failed'), gte(exports.finishedAt, since));
  const rows = await db
    .select({ id: exports.id, connectionName: connections.name, finishedAt: exports.finishedAt, lastError: exports.lastError })
    .from(exports)
    .innerJoin(connections, eq(connections.id, exports.connectionId))
    .where(failedSince)
    .orderBy(desc(exports.finishedAt))
    .limit(RECENT_FAILURES_SHOWN);
  const [total] = await db.select({ n: sql<number>`count(*)` }).from(exports).where(failedSince);
  return {
    list: rows.map((r) => ({ id: r.id, connectionName: r.connectionName, failedAt: r.finishedAt ?? since, reason: withoutAbsolutePaths(r.lastError) })),
    count: total?.n ?? 0,
  };
}

/** Each connection in use, with its newest check from the audit log. */
async function connectionHealth(ctx: AppContext): Promise<ConnectionHealth[]> {
  const db = ctx.database.db;
  const rows = await db
    .select()
    .from(connections)
    .where(isNull(connections.removedAt))
    .orderBy(sql`${connections.name} collate nocase`);
  if (rows.length === 0) return [];
  const newest = db
    .select({ position: max(auditEvents.position) })
    .from(auditEvents)
    .where(
      and(
        eq(auditEvents.targetType, 'connection'),
        inArray(auditEvents.action, [...CHECK_ACTIONS]),
        inArray(
          auditEvents.targetId,
          rows.map((r) => r.id),
        ),
      ),
    )
    .groupBy(auditEvents.targetId);
  const checks = await db
    .select({ targetId: auditEvents.targetId, at: auditEvents.at, outcome: auditEvents.outcome, detail: auditEvents.detail })
    .from(auditEvents)
    .where(inArray(auditEvents.position, newest));
  const byConnection = new Map(checks.map((c) => [c.targetId, c]));
  return rows.map((row) => {
    const check = byConnection.get(row.id);
    const failed = check?.outcome === 'refused';
    const result = failed ? (check.detail as { result?: unknown }).result : undefined;
    return {
      id: row.id,
      name: row.name,
      workspaceName: row.workspaceName,
      checkedAt: row.checkedAt,
      lastCheckFailed: failed,
      lastCheckAt: check?.at ?? row.checkedAt,
      problem: failed ? (PROBLEM_WORDS[result as CheckProblem] ?? 'The check failed') : null,
    };
  });
}

/** Everything the overview shows, read in one go; a database that does not answer leaves only the disk to tell. */
export async function getOverview(ctx: AppContext, options: OverviewOptions = {}): Promise<Overview> {
  const now = options.now ?? new Date();
  const [database, disk] = await Promise.all([checkDatabase(ctx), checkDisk(ctx.config.exportsDir, options.statfs)]);
  if (!database.ok) {
    return {
      at: now,
      budget: null,
      workspaceBudget: null,
      maxExportsPerRunner: null,
      running: [],
      queued: 0,
      recentFailures: [],
      recentFailureCount: 0,
      health: { database, disk, connections: [] },
    };
  }
  const db = ctx.database.db;
  const [running, [queued], failures, settings, runnerSettings, connectionsHealth] = await Promise.all([
    runningExports(ctx, now),
    db.select({ n: sql<number>`count(*)` }).from(exports).where(eq(exports.status, 'queued')),
    recentFailures(ctx, new Date(now.getTime() - RECENT_FAILURES_MS)),
    readSettings(db, ctx.config),
    readRunnerSettings(db, ctx.config),
    connectionHealth(ctx),
  ]);
  return {
    at: now,
    budget: settings.requestsPerSecond,
    workspaceBudget: runnerSettings.workspaceRequestsPerSecond,
    maxExportsPerRunner: runnerSettings.maxExports,
    running,
    queued: queued?.n ?? 0,
    recentFailures: failures.list,
    recentFailureCount: failures.count,
    health: { database, disk, connections: connectionsHealth },
  };
}
