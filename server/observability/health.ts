import fs from 'node:fs/promises';
import path from 'node:path';
import { sql } from 'drizzle-orm';
import type { Database } from '@/db/client';
import { MIGRATIONS_FOLDER } from '@/db/migrate';
import type { Config } from '@/server/config';
import { recentEventLoopLagMs } from './event-loop';
import { diskSpace, type StatFs } from './metrics';
import { runnerHeartbeat } from './runner-metrics';

/**
 * What the probes read of the process (structurally an AppContext: this folder imports nothing
 * above it, so that every layer may report metrics without an import cycle).
 */
export interface HealthContext {
  config: Pick<Config, 'exportsDir'> & Partial<Pick<Config, 'runnerEnabled' | 'leaseMs' | 'healthMinFreeBytes'>>;
  database: Pick<Database, 'db'>;
}

/** A check's outcome; `error` is a short reason with a code, never a path, a URL or a message from below. */
export interface HealthCheck {
  ok: boolean;
  error?: string;
}

/** The basic checks (part of readiness): nothing about this machine in the answer (no paths, no database URL). */
export interface HealthReport {
  ok: boolean;
  checks: { database: HealthCheck; exportsDir: HealthCheck };
}

const codeOf = (error: unknown): string | undefined => {
  const code = (error as { code?: unknown } | undefined)?.code;
  return typeof code === 'string' && /^[A-Z0-9_]+$/.test(code) ? code : undefined;
};

/** A failed check: its reason and code for the answer, everything else for the server's log. */
function failed(check: string, reason: string, error: unknown, log: (line: string, error: unknown) => void): HealthCheck {
  log(`health: ${check} ${reason}:`, error);
  const code = codeOf(error);
  return { ok: false, error: code ? `${reason} (${code})` : reason };
}

/**
 * Checks that the database answers and the exports folder is writable. The details of a failure
 * (which path, which message) go to `log`, the server's console by default.
 */
export async function checkHealth(
  ctx: HealthContext,
  log: (line: string, error: unknown) => void = (line, error) => console.error(line, error),
): Promise<HealthReport> {
  const database = await ctx.database.db
    .get(sql`select 1 as ok`)
    .then((): HealthCheck => ({ ok: true }))
    .catch((e: unknown) => failed('database', 'does not answer', e, log));
  const dir = ctx.config.exportsDir;
  const exportsDir = await (async (): Promise<HealthCheck> => {
    try {
      await fs.mkdir(dir, { recursive: true });
      const probe = path.join(dir, `.health-${process.pid}`);
      await fs.writeFile(probe, 'ok');
      await fs.rm(probe);
      return { ok: true };
    } catch (e) {
      return failed('exports folder', 'is not writable', e, log);
    }
  })();
  return { ok: database.ok && exportsDir.ok, checks: { database, exportsDir } };
}

/** What `/api/health/live` answers: whether the event loop keeps up. */
export interface LivenessReport {
  ok: boolean;
  checks: { eventLoop: HealthCheck };
}

/** Above this lateness of the event loop (lately, or right now) the process is not live. */
export const LIVENESS_MAX_LAG_MS = 5000;

/**
 * Liveness: the process answers (this runs), and its event loop was not blocked for more than
 * `maxLagMs` in the last 30 s. Reads nothing else: a slow database or disk is readiness's business.
 */
export function checkLiveness(maxLagMs: number = LIVENESS_MAX_LAG_MS): LivenessReport {
  const lagMs = recentEventLoopLagMs();
  const eventLoop: HealthCheck = lagMs <= maxLagMs ? { ok: true } : { ok: false, error: `was blocked for ${Math.round(lagMs)} ms` };
  return { ok: eventLoop.ok, checks: { eventLoop } };
}

/** What `/api/health/ready` (and `/api/health`) answer: each part, and whether all are well. */
export interface ReadinessReport {
  ok: boolean;
  checks: {
    database: HealthCheck;
    migrations: HealthCheck;
    exportsDir: HealthCheck;
    diskSpace: HealthCheck;
    /** Only when this process runs a runner (RUNNER_ENABLED). */
    runner?: HealthCheck;
  };
}

/** Free space below which the process is not ready when HEALTH_MIN_FREE_MB is not given. */
export const DEFAULT_MIN_FREE_BYTES = 100 * 1024 * 1024;

export interface ReadinessOptions {
  log?: (line: string, error: unknown) => void;
  /** The file-system figures of a folder (tests give other disks). */
  statfs?: StatFs;
  /** The migrations the code expects (tests give others). */
  migrationsFolder?: string;
}

const newestMigrations = new Map<string, number>();

/** When the newest migration of `folder` was made (its journal's `when`), read once per folder. */
async function newestMigrationOf(folder: string): Promise<number> {
  const known = newestMigrations.get(folder);
  if (known !== undefined) return known;
  const journal = JSON.parse(await fs.readFile(path.join(folder, 'meta', '_journal.json'), 'utf8')) as { entries: { when: number }[] };
  const newest = Math.max(0, ...journal.entries.map((entry) => entry.when));
  newestMigrations.set(folder, newest);
  return newest;
}

async function checkMigrations(ctx: HealthContext, folder: string, log: (line: string, error: unknown) => void): Promise<HealthCheck> {
  try {
    const expected = await newestMigrationOf(folder);
    const [row] = await ctx.database.db.all<{ applied: number | null }>(sql`select max(created_at) as applied from __drizzle_migrations`);
    if (Number(row?.applied ?? 0) >= expected) return { ok: true };
    log('health: migrations are not all applied:', `newest applied ${row?.applied ?? 'none'}, newest expected ${expected}`);
    return { ok: false, error: 'are not all applied' };
  } catch (e) {
    return failed('migrations', 'cannot be read', e, log);
  }
}

const megabytes = (bytes: number) => `${Math.round(bytes / (1024 * 1024))} MB`;

async function checkDiskSpace(ctx: HealthContext, statfs: StatFs | undefined, log: (line: string, error: unknown) => void): Promise<HealthCheck> {
  const minimum = ctx.config.healthMinFreeBytes ?? DEFAULT_MIN_FREE_BYTES;
  try {
    const { freeBytes } = await diskSpace(ctx.config.exportsDir, statfs);
    if (freeBytes >= minimum) return { ok: true };
    return { ok: false, error: `has less than ${megabytes(minimum)} free` };
  } catch (e) {
    return failed('disk space', 'cannot be read', e, log);
  }
}

/** The runners of this process beat when they look for work and when they renew a lease: stale after a lease's length. */
function checkRunner(ctx: HealthContext): HealthCheck {
  const { runners, ageSeconds } = runnerHeartbeat();
  if (runners === 0 || ageSeconds === undefined) return { ok: false, error: 'is not running' };
  const staleAfterSeconds = (ctx.config.leaseMs ?? 60_000) / 1000;
  if (ageSeconds <= staleAfterSeconds) return { ok: true };
  return { ok: false, error: `has not shown it is alive for ${Math.round(ageSeconds)} s` };
}

/**
 * Readiness: the database answers and has every migration of this code, the exports folder is
 * writable with at least HEALTH_MIN_FREE_MB free, and, when this process runs a runner, its
 * heartbeat is fresh. Never calls Notion. Details of a failure (paths, messages) go to `log`.
 */
export async function checkReadiness(ctx: HealthContext, options: ReadinessOptions = {}): Promise<ReadinessReport> {
  const log = options.log ?? ((line, error) => console.error(line, error));
  const [basic, migrations, diskSpaceCheck] = await Promise.all([
    checkHealth(ctx, log),
    checkMigrations(ctx, options.migrationsFolder ?? MIGRATIONS_FOLDER, log),
    checkDiskSpace(ctx, options.statfs, log),
  ]);
  const checks: ReadinessReport['checks'] = { ...basic.checks, migrations, diskSpace: diskSpaceCheck };
  if (ctx.config.runnerEnabled) checks.runner = checkRunner(ctx);
  return { ok: Object.values(checks).every((check) => check?.ok), checks };
}
