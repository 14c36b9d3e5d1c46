/**
 * Recovery (`npm run bench -- --runs recovery`, or one part: `recovery-takeover`,
 * `recovery-restart`, `recovery-chaos`):
 *
 * - takeover: two workers with runner ids of their own (RUNNER_ID, as on two machines) on one
 *   database; the one running an export is killed (SIGKILL) half-way; measured: the time until the
 *   other holds its lease and until it records progress. Then the export must be whole (its
 *   manifest verified), no page recorded as exported twice, and the twin's requests per page
 *   compared with an uninterrupted run of the same workspace (what the kill made read again).
 * - restart: the dashboard (`npm start`, already built: `--no-build`) on a database holding a
 *   10,000-page export, from its start to `/api/health/ready` answering 200; once on the copied
 *   database, then again after a SIGKILL of the whole server.
 * - chaos: many exports (1,000 by default) of small workspaces, queued at once over several
 *   connections, run by several workers against a twin with the crash soak's fault mix (6 % of
 *   requests: 500, 502, 503, 504, an HTML 502, a dropped connection; a 200/s per-token limit);
 *   measured: the share that completed without anyone's help (not paused, failed or given up).
 *
 * Options (bench/run.ts): --recovery-exports <n> (chaos, default 1000), --recovery-workers <n>
 * (chaos, default 4), --recovery-lease-ms <ms[,ms…]> (takeover: RUNNER_LEASE_MS of each run;
 * default: the configuration's default, then 20000), --recovery-db <state.db> (restart: a
 * database with a 10,000-page export; default: the newest cli-10k or unthrottled-10k state of
 * bench/out, or a fresh export by the worker), --recovery-minutes <n> (chaos: the time allowed,
 * default 30; exports not ended by then count as not completed).
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { closeSync, copyFileSync, existsSync, mkdirSync, openSync, statSync } from 'node:fs';
import { rm } from 'node:fs/promises';
import net from 'node:net';
import path from 'node:path';
import { eq, sql } from 'drizzle-orm';
import { exportJobs, exports } from '@/db/schema';
import { startTwin, type Twin, type TwinFault, type WorkspaceOptions } from '@/e2e/notion-twin';
import type { AppContext } from '@/server/app-context';
import { loadConfig } from '@/server/config';
import { ensureConnection } from '@/server/connections/connections';
import { createAppContext } from '@/server/context';
import { requestExport } from '@/server/export/control/request-export';
import { exportStreamId } from '@/server/export/domain/export';
import { verifyManifest } from '@/server/export/files/manifest';
import { round } from './measure';
import { log, nodeArgsOfScript, ROOT, runPreScript, sleep, stopChild, waitFor } from './processes';

export const RECOVERY_PARTS = ['takeover', 'restart', 'chaos'] as const;
export type RecoveryPart = (typeof RECOVERY_PARTS)[number];

export interface RecoveryOptions {
  'recovery-exports'?: string;
  'recovery-workers'?: string;
  'recovery-lease-ms'?: string;
  'recovery-db'?: string;
  'recovery-minutes'?: string;
}

const SECRET = 'bench-secret-bench-secret';
const TOKEN = 'secret_twin';
const FORMATS = ['markdown', 'json'] as const;
const TERMINAL = new Set(['completed', 'completed_with_errors', 'failed', 'paused', 'cancelled']);

// ---- workers ---------------------------------------------------------------------------------------

interface Worker {
  child: ChildProcess;
  runnerId: string;
  /** Its runner's owner id (`<RUNNER_ID>:<nonce>`), from its start-up line. */
  owner: Promise<string>;
}

/** A worker as `npm run worker` starts it, with a runner id of its own; its output goes to `logFile`. */
function startWorker(runnerId: string, env: Record<string, string>, logFile: string): Worker {
  const fd = openSync(logFile, 'w');
  const child = spawn(process.execPath, nodeArgsOfScript('worker'), {
    cwd: ROOT,
    env: { ...process.env, ...env, RUNNER_ID: runnerId },
    stdio: ['ignore', 'pipe', fd],
  });
  closeSync(fd);
  let output = '';
  const owner = new Promise<string>((resolve, reject) => {
    child.stdout?.on('data', (d: Buffer) => {
      output += d.toString();
      const m = /notion-sync worker (\S+) running on/.exec(output);
      if (m?.[1]) resolve(m[1]);
    });
    child.once('exit', (code, signal) => reject(new Error(`worker ${runnerId} exited (${code ?? signal}) before running; see ${logFile}`)));
  });
  owner.catch(() => undefined);
  return { child, runnerId, owner };
}

async function openState(dbPath: string, extra: Record<string, string> = {}): Promise<AppContext> {
  return createAppContext({
    ...loadConfig({ ...process.env, DATABASE_URL: `file:${dbPath}`, NOTION_SYNC_SECRET: SECRET, NOTION_SYNC_ENV: 'development', ...extra }),
    runnerEnabled: false,
  });
}

/** A connection to the twin made as the dashboard makes it; retried while the twin's faults refuse the check. */
async function connect(ctx: AppContext, twin: Twin, token: string, name: string): Promise<string> {
  for (let attempt = 1; ; attempt++) {
    try {
      return (await ensureConnection(ctx, { token, baseUrl: twin.url, name })).id;
    } catch (error) {
      if (attempt >= 20) throw error;
      await sleep(100);
    }
  }
}

// ---- takeover ---------------------------------------------------------------------------------------

/** ~1,800 small pages: long enough unthrottled (tens of seconds) to be killed half-way. */
const TAKEOVER_WORKSPACE: WorkspaceOptions = {
  seed: 4,
  depth: 3,
  pages: 1600,
  databases: 4,
  rowsPerDatabase: 50,
  blocksPerPage: 2,
  blocksPerRow: 1,
  largePages: 0,
  linkedDatabases: 0,
  unsharedPages: 0,
};

export interface TakeoverResult {
  leaseMs: number;
  heartbeatMs: number;
  items: number;
  /** How the dead runner's lease was recognised: its runner id names no process here (RUNNER_ID), so only by expiring. */
  owners: { killed: string; survivor: string };
  killedAtShare: number;
  /** SIGKILL → the other worker holds the lease. */
  takeoverSec: number;
  /** SIGKILL → the other worker records its first progress on the export. */
  resumedSec: number;
  /** SIGKILL → the export completed. */
  completedSec: number;
  status: string;
  manifest: { missing: number; changed: number; extra: number };
  pagesExportedTwice: number;
  exportedItems: number;
  /** Per object id, requests beyond an uninterrupted run of the same workspace: what the kill made read again. */
  reread: { ids: number; requests: number; fewerThanUninterrupted: number; requestsTotal: number; requestsUninterrupted: number };
}

async function pagesExportedTwice(ctx: AppContext, exportId: string): Promise<{ twice: number; distinct: number }> {
  const rows = await ctx.database.db.all<{ data: string }>(
    sql`select data from events where stream_id = ${exportStreamId(exportId)} and type = 'PagesExported' order by global_position`,
  );
  const seen = new Set<string>();
  let twice = 0;
  for (const row of rows) {
    for (const item of (JSON.parse(row.data) as { items: { id: string }[] }).items) {
      if (seen.has(item.id)) twice++;
      else seen.add(item.id);
    }
  }
  return { twice, distinct: seen.size };
}

async function exportRow(ctx: AppContext, exportId: string) {
  const [row] = await ctx.database.db.select().from(exports).where(eq(exports.id, exportId));
  if (!row) throw new Error(`export ${exportId} not found`);
  return row;
}

/** One export of `workspace` by one worker, to the end: the twin's requests per object id. */
async function uninterruptedRequests(dir: string): Promise<Record<string, number>> {
  const twin = await startTwin({ workspace: TAKEOVER_WORKSPACE });
  const dbPath = path.join(dir, 'state.db');
  const ctx = await openState(dbPath);
  const worker = startWorker('bench-reference', { DATABASE_URL: `file:${dbPath}`, NOTION_SYNC_SECRET: SECRET, NOTION_SYNC_ENV: 'development', NOTION_RATE_LIMIT: '1000', EXPORTS_DIR: dir }, path.join(dir, 'worker.log'));
  try {
    const connectionId = await connect(ctx, twin, TOKEN, 'bench');
    twin.resetStats();
    const exportId = await requestExport(ctx, { connectionId, formats: [...FORMATS], outDir: path.join(dir, 'export'), requestedBy: 'dashboard' });
    const row = await waitFor('the uninterrupted export ends', async () => {
      const r = await exportRow(ctx, exportId);
      return TERMINAL.has(r.status) ? r : undefined;
    }, 10 * 60_000, 250);
    if (row.status !== 'completed') throw new Error(`the uninterrupted export ended ${row.status}`);
    return twin.stats().byId;
  } finally {
    await stopChild(worker.child);
    ctx.database.close();
    await twin.close();
  }
}

async function takeover(out: string, leaseMs: number | undefined, reference: Record<string, number>): Promise<TakeoverResult> {
  const dir = path.join(out, `recovery-takeover-${leaseMs ?? 'default'}`);
  await rm(dir, { recursive: true, force: true });
  mkdirSync(dir, { recursive: true });
  const twin = await startTwin({ workspace: TAKEOVER_WORKSPACE });
  const dbPath = path.join(dir, 'state.db');
  const leaseEnv: Record<string, string> = leaseMs ? { RUNNER_LEASE_MS: String(leaseMs) } : {};
  const ctx = await openState(dbPath, leaseEnv);
  const env = { DATABASE_URL: `file:${dbPath}`, NOTION_SYNC_SECRET: SECRET, NOTION_SYNC_ENV: 'development', NOTION_RATE_LIMIT: '1000', EXPORTS_DIR: dir, ...leaseEnv };
  const workers: Worker[] = [];
  try {
    const connectionId = await connect(ctx, twin, TOKEN, 'bench');
    twin.resetStats();
    const outDir = path.join(dir, 'export');
    const exportId = await requestExport(ctx, { connectionId, formats: [...FORMATS], outDir, requestedBy: 'dashboard' });
    // The first worker claims it; the second starts while it runs, as on another machine.
    workers.push(startWorker('bench-runner-a', env, path.join(dir, 'worker-a.log')));
    const holderOf = async () => (await ctx.database.db.select().from(exportJobs).where(eq(exportJobs.exportId, exportId)))[0]?.leaseOwner ?? undefined;
    const firstOwner = await waitFor('a worker claims the export', holderOf, 60_000);
    workers.push(startWorker('bench-runner-b', env, path.join(dir, 'worker-b.log')));
    await workers[1]?.owner;
    const atKill = await waitFor('the export is 40 % done', async () => {
      const r = await exportRow(ctx, exportId);
      return r.phase === 'exporting' && r.pagesDiscovered > 0 && r.pagesDone >= 0.4 * r.pagesDiscovered ? r : undefined;
    }, 10 * 60_000, 25);
    const owners = await Promise.all(workers.map((w) => w.owner));
    const victim = workers[owners.indexOf(firstOwner)];
    const survivor = workers.find((w) => w !== victim);
    if (!victim || !survivor) throw new Error(`the export's lease owner ${firstOwner} is neither worker (${owners.join(', ')})`);
    const killedAt = Date.now();
    victim.child.kill('SIGKILL');
    const survivorOwner = await survivor.owner;
    log(`takeover: killed ${firstOwner} at ${atKill.pagesDone}/${atKill.pagesDiscovered}; waiting for ${survivorOwner} (lease ${leaseMs ?? loadConfig({ ...process.env, NOTION_SYNC_SECRET: SECRET }).leaseMs} ms)`);
    await waitFor('the other worker takes the lease', async () => ((await holderOf()) === survivorOwner ? true : undefined), 5 * 60_000, 25);
    const takeoverSec = (Date.now() - killedAt) / 1000;
    const doneAtKill = (await exportRow(ctx, exportId)).pagesDone;
    await waitFor('the other worker records progress', async () => ((await exportRow(ctx, exportId)).pagesDone > doneAtKill ? true : undefined), 5 * 60_000, 25);
    const resumedSec = (Date.now() - killedAt) / 1000;
    const row = await waitFor('the export ends', async () => {
      const r = await exportRow(ctx, exportId);
      return TERMINAL.has(r.status) ? r : undefined;
    }, 10 * 60_000, 100);
    const completedSec = (Date.now() - killedAt) / 1000;
    const check = await verifyManifest(outDir).catch(() => ({ missing: ['(no manifest)'], changed: [], extra: [] }));
    const exported = await pagesExportedTwice(ctx, exportId);
    const byId = twin.stats().byId;
    let rereadIds = 0;
    let rereadRequests = 0;
    let fewer = 0;
    for (const id of new Set([...Object.keys(byId), ...Object.keys(reference)])) {
      const d = (byId[id] ?? 0) - (reference[id] ?? 0);
      if (d > 0) {
        rereadIds++;
        rereadRequests += d;
      } else if (d < 0) fewer++;
    }
    const sum = (m: Record<string, number>) => Object.values(m).reduce((a, b) => a + b, 0);
    const config = loadConfig({ ...process.env, NOTION_SYNC_SECRET: SECRET, ...leaseEnv });
    return {
      leaseMs: config.leaseMs,
      heartbeatMs: Math.floor(config.leaseMs / 3),
      items: atKill.pagesDiscovered,
      owners: { killed: firstOwner, survivor: survivorOwner },
      killedAtShare: round(atKill.pagesDone / atKill.pagesDiscovered, 3),
      takeoverSec: round(takeoverSec, 2),
      resumedSec: round(resumedSec, 2),
      completedSec: round(completedSec, 1),
      status: row.status,
      manifest: { missing: check.missing.length, changed: check.changed.length, extra: check.extra.length },
      pagesExportedTwice: exported.twice,
      exportedItems: exported.distinct,
      reread: { ids: rereadIds, requests: rereadRequests, fewerThanUninterrupted: fewer, requestsTotal: sum(byId), requestsUninterrupted: sum(reference) },
    };
  } finally {
    for (const w of workers) await stopChild(w.child);
    ctx.database.close();
    await twin.close();
  }
}

// ---- restart ----------------------------------------------------------------------------------------

export interface RestartResult {
  database: { source: string; mb: number; exports: number; exportedPages: number; events: number };
  /** Process start → /api/health/ready answers 200, seconds: on the copied database, then after a SIGKILL. */
  firstStartSec: number;
  afterKillSec: number;
  command: string;
}

const freePort = () =>
  new Promise<number>((resolve, reject) => {
    const server = net.createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as net.AddressInfo;
      server.close(() => resolve(port));
    });
  });

/** The newest state database of an earlier 10,000-page run in bench/out. */
function findTenThousandPageState(out: string): string | undefined {
  const candidates = ['cli-10k', 'unthrottled-10k-ours', 'observed-10k-ours']
    .map((name) => path.join(out, name, 'state.db'))
    .filter((file) => existsSync(file));
  return candidates.sort((a, b) => statSync(b).mtimeMs - statSync(a).mtimeMs)[0];
}

/** `npm start` without its build, as a process group of its own (start.mjs and the Next server), until ready. */
async function startDashboard(env: Record<string, string>, port: number, logFile: string): Promise<{ child: ChildProcess; readySec: number }> {
  const fd = openSync(logFile, 'a');
  const started = Date.now();
  const child = spawn(process.execPath, ['scripts/start.mjs', '--no-build', '-H', '127.0.0.1', '-p', String(port)], {
    cwd: ROOT,
    env: { ...process.env, ...env, PORT: String(port) },
    stdio: ['ignore', fd, fd],
    detached: true,
  });
  closeSync(fd);
  await waitFor(
    'the dashboard is ready',
    async () => {
      if (child.exitCode !== null) throw new Error(`the dashboard exited (${child.exitCode}); see ${logFile}`);
      const answer = await fetch(`http://127.0.0.1:${port}/api/health/ready`).catch(() => undefined);
      return answer?.status === 200 ? true : undefined;
    },
    120_000,
    25,
  );
  return { child, readySec: round((Date.now() - started) / 1000, 2) };
}

/** SIGKILL to the dashboard's whole process group (start.mjs and the Next server), as a crash would. */
async function killGroup(child: ChildProcess): Promise<void> {
  if (child.pid === undefined) return;
  const exited = new Promise((resolve) => child.once('exit', resolve));
  try {
    process.kill(-child.pid, 'SIGKILL');
  } catch {
    // already gone
  }
  await exited;
}

async function restart(out: string, source: string | undefined): Promise<RestartResult> {
  if (!existsSync(path.join(ROOT, '.next', 'BUILD_ID'))) throw new Error('restart needs a built dashboard: run `next build` first');
  const from = source ?? findTenThousandPageState(out) ?? (await freshTenThousandPageState(out));
  const dir = path.join(out, 'recovery-restart');
  await rm(dir, { recursive: true, force: true });
  mkdirSync(dir, { recursive: true });
  const dbPath = path.join(dir, 'state.db');
  copyFileSync(from, dbPath);
  for (const suffix of ['-wal', '-shm']) if (existsSync(from + suffix)) copyFileSync(from + suffix, dbPath + suffix);
  const ctx = await openState(dbPath);
  const counts = await ctx.database.db.get<{ exports: number; pages: number; events: number }>(
    sql`select (select count(*) from exports) as exports, (select coalesce(sum(pages_done), 0) from exports) as pages, (select count(*) from events) as events`,
  );
  ctx.database.close();
  log(`restart: ${counts?.pages} exported pages in ${counts?.exports} exports, ${counts?.events} events (${from})`);
  const port = await freePort();
  const env = {
    DATABASE_URL: `file:${dbPath}`,
    EXPORTS_DIR: path.join(dir, 'exports'),
    NOTION_SYNC_SECRET: SECRET,
    NOTION_SYNC_ENV: 'development',
    PUBLIC_URL: `http://127.0.0.1:${port}`,
    NEXT_TELEMETRY_DISABLED: '1',
  };
  const logFile = path.join(dir, 'dashboard.log');
  const first = await startDashboard(env, port, logFile);
  await killGroup(first.child);
  const second = await startDashboard(env, port, logFile);
  await killGroup(second.child);
  return {
    database: { source: path.relative(ROOT, from), mb: round(statSync(dbPath).size / 2 ** 20, 1), exports: counts?.exports ?? 0, exportedPages: counts?.pages ?? 0, events: counts?.events ?? 0 },
    firstStartSec: first.readySec,
    afterKillSec: second.readySec,
    command: 'node scripts/start.mjs --no-build (npm start without its build)',
  };
}

/** No earlier 10,000-page state: one export of 10,000 small pages by the worker. */
async function freshTenThousandPageState(out: string): Promise<string> {
  const dir = path.join(out, 'recovery-restart-source');
  await rm(dir, { recursive: true, force: true });
  mkdirSync(dir, { recursive: true });
  const workspace: WorkspaceOptions = { seed: 1, depth: 3, pages: 8000, databases: 39, rowsPerDatabase: 50, blocksPerPage: 1, blocksPerRow: 1, largePages: 0, linkedDatabases: 0, unsharedPages: 0 };
  const twin = await startTwin({ workspace });
  const dbPath = path.join(dir, 'state.db');
  const ctx = await openState(dbPath);
  const worker = startWorker('bench-restart-source', { DATABASE_URL: `file:${dbPath}`, NOTION_SYNC_SECRET: SECRET, NOTION_SYNC_ENV: 'development', NOTION_RATE_LIMIT: '1000', EXPORTS_DIR: dir }, path.join(dir, 'worker.log'));
  try {
    const connectionId = await connect(ctx, twin, TOKEN, 'bench');
    const exportId = await requestExport(ctx, { connectionId, formats: [...FORMATS], outDir: path.join(dir, 'export'), requestedBy: 'dashboard' });
    await waitFor('the 10,000-page export ends', async () => (TERMINAL.has((await exportRow(ctx, exportId)).status) ? true : undefined), 30 * 60_000, 500);
    return dbPath;
  } finally {
    await stopChild(worker.child);
    ctx.database.close();
    await twin.close();
  }
}

// ---- chaos ------------------------------------------------------------------------------------------

/** The crash soak's mix (server/reliability/chaos.int.test.ts): 5 % server errors (one in five an HTML page), 1 % dropped connections. */
const FAULTS: TwinFault[] = [
  { kind: 'error', status: 500 },
  { kind: 'error', status: 502 },
  { kind: 'error', status: 503 },
  { kind: 'error', status: 504 },
  { kind: 'html', status: 502 },
  { kind: 'reset' },
];
const CHAOS = { probability: 0.06, faults: FAULTS, seed: 1414 };
const CHAOS_RATE_LIMIT = { requestsPerSecond: 200, burst: 40 };

/** 42 items: 6 pages with their subpages, a database of 4 rows. */
const SMALL_WORKSPACE: WorkspaceOptions = {
  seed: 21,
  depth: 2,
  pages: 6,
  databases: 1,
  rowsPerDatabase: 4,
  blocksPerPage: 4,
  blocksPerRow: 1,
  largePages: 0,
  linkedDatabases: 0,
  unsharedPages: 0,
};

export interface ChaosResult {
  exports: number;
  workers: number;
  connections: number;
  workspace: WorkspaceOptions & { items: number };
  byStatus: Record<string, number>;
  /** Completed (every page) without a person: not paused, failed, left with failed pages, or still waiting at the end. */
  completedWithoutHelp: number;
  /** completed / exports (those not ended in the time allowed count against it). */
  share: number;
  /** Exports that ended (completed, or stopped for a person) in the time allowed, and the share of them completed. */
  ended: number;
  shareOfEnded: number;
  /** Exports that went through at least one automatic retry of the whole run (ExportRetryScheduled). */
  retriedAutomatically: number;
  wallSec: number;
  exportsPerMinute: number;
  twin: { requests: number; faultsInjected: number; rateLimited: number };
  /** Why the exports that did not complete stopped (their last error or status reason), counted. */
  reasons: Record<string, number>;
}

async function chaos(out: string, count: number, workerCount: number, maxMinutes: number): Promise<ChaosResult> {
  const dir = path.join(out, 'recovery-chaos');
  await rm(dir, { recursive: true, force: true });
  mkdirSync(dir, { recursive: true });
  // Two connections per worker: one export of a connection runs at a time, so every worker has one to take.
  const tokens = Array.from({ length: workerCount * 2 }, (_, i) => `secret_twin_${i + 1}`);
  const twin = await startTwin({ workspace: SMALL_WORKSPACE, tokens, rateLimit: CHAOS_RATE_LIMIT, chaos: CHAOS });
  const items = twin.workspace.allPages().length + twin.workspace.allDatabases().length;
  const dbPath = path.join(dir, 'state.db');
  const ctx = await openState(dbPath);
  const workers: Worker[] = [];
  try {
    const connections: string[] = [];
    for (const [i, token] of tokens.entries()) connections.push(await connect(ctx, twin, token, `bench ${i + 1}`));
    log(`chaos: queueing ${count} exports of ${items} items over ${connections.length} connections`);
    const ids: string[] = [];
    for (let i = 0; i < count; i++) {
      const connectionId = connections[i % connections.length] ?? '';
      ids.push(await requestExport(ctx, { connectionId, formats: [...FORMATS], outDir: path.join(dir, 'exports', String(i)), requestedBy: 'dashboard' }));
    }
    twin.resetStats();
    const started = Date.now();
    const env = { DATABASE_URL: `file:${dbPath}`, NOTION_SYNC_SECRET: SECRET, NOTION_SYNC_ENV: 'development', NOTION_RATE_LIMIT: '1000', EXPORTS_DIR: path.join(dir, 'exports') };
    for (let i = 0; i < workerCount; i++) workers.push(startWorker(`bench-chaos-${i + 1}`, env, path.join(dir, `worker-${i + 1}.log`)));
    await Promise.all(workers.map((w) => w.owner));
    // Until every export ended, or nothing moved for 3 minutes (one waiting for a retry hours away
    // would), or the time allowed is up (those still queued or running are counted as not done).
    let byStatus: Record<string, number> = {};
    let lastChange = Date.now();
    let lastKey = '';
    for (;;) {
      const rows = await ctx.database.db.all<{ status: string; n: number }>(sql`select status, count(*) as n from exports group by status`);
      byStatus = Object.fromEntries(rows.map((r) => [r.status, r.n]));
      const ended = rows.filter((r) => TERMINAL.has(r.status)).reduce((a, r) => a + r.n, 0);
      const key = JSON.stringify(byStatus);
      if (key !== lastKey) {
        lastKey = key;
        lastChange = Date.now();
      }
      if (ended >= count || Date.now() - lastChange > 180_000 || Date.now() - started > maxMinutes * 60_000) break;
      if ((Date.now() - started) % 30_000 < 1000) log(`chaos: ${ended}/${count} ended ${key}`);
      await sleep(1000);
    }
    const wallSec = (Date.now() - started) / 1000;
    const retried = await ctx.database.db.get<{ n: number }>(sql`select count(distinct stream_id) as n from events where type = 'ExportRetryScheduled'`);
    const failedRows = await ctx.database.db.all<{ status: string; reason: string | null }>(
      sql`select status, coalesce(status_reason, last_error) as reason from exports where status <> 'completed'`,
    );
    const reasons: Record<string, number> = {};
    for (const r of failedRows) {
      const key = `${r.status}: ${(r.reason ?? '').slice(0, 120)}`;
      reasons[key] = (reasons[key] ?? 0) + 1;
    }
    const completed = byStatus.completed ?? 0;
    const ended = Object.entries(byStatus).reduce((a, [status, n]) => a + (TERMINAL.has(status) ? n : 0), 0);
    const stats = twin.stats();
    return {
      exports: count,
      workers: workerCount,
      connections: connections.length,
      workspace: { ...SMALL_WORKSPACE, items },
      byStatus,
      completedWithoutHelp: completed,
      share: round(completed / count, 4),
      ended,
      shareOfEnded: ended > 0 ? round(completed / ended, 4) : 0,
      retriedAutomatically: retried?.n ?? 0,
      wallSec: round(wallSec, 1),
      exportsPerMinute: round((count / wallSec) * 60, 1),
      twin: { requests: stats.requests, faultsInjected: stats.faultsInjected, rateLimited: stats.rateLimited },
      reasons,
    };
  } finally {
    for (const w of workers) await stopChild(w.child);
    ctx.database.close();
    await twin.close();
  }
}

// ---- all of it --------------------------------------------------------------------------------------

export interface RecoveryResult {
  takeover?: TakeoverResult[];
  restart?: RestartResult;
  chaos?: ChaosResult;
}

export async function runRecoveryBench(parts: readonly RecoveryPart[], out: string, options: RecoveryOptions): Promise<RecoveryResult> {
  await runPreScript('worker');
  const result: RecoveryResult = {};
  if (parts.includes('takeover')) {
    const leases = options['recovery-lease-ms'] ? options['recovery-lease-ms'].split(',').map((v) => Number(v.trim())) : [undefined, 20_000];
    log('takeover: an uninterrupted run of the same workspace first (requests per page to compare with)');
    const refDir = path.join(out, 'recovery-takeover-reference');
    await rm(refDir, { recursive: true, force: true });
    mkdirSync(refDir, { recursive: true });
    const reference = await uninterruptedRequests(refDir);
    result.takeover = [];
    for (const leaseMs of leases) {
      const r = await takeover(out, leaseMs, reference);
      log(`takeover (lease ${r.leaseMs} ms): lease taken ${r.takeoverSec} s after the kill, progress at ${r.resumedSec} s, ${r.status} at ${r.completedSec} s; manifest ${JSON.stringify(r.manifest)}, exported twice ${r.pagesExportedTwice}, re-read ${r.reread.ids} ids (+${r.reread.requests} requests)`);
      result.takeover.push(r);
    }
  }
  if (parts.includes('restart')) {
    result.restart = await restart(out, options['recovery-db']);
    log(`restart: ready in ${result.restart.firstStartSec} s, after a SIGKILL in ${result.restart.afterKillSec} s (${result.restart.database.exportedPages} pages)`);
  }
  if (parts.includes('chaos')) {
    result.chaos = await chaos(
      out,
      Number(options['recovery-exports'] ?? 1000),
      Number(options['recovery-workers'] ?? 4),
      Number(options['recovery-minutes'] ?? 30),
    );
    log(`chaos: ${result.chaos.completedWithoutHelp}/${result.chaos.exports} completed without help (${(result.chaos.share * 100).toFixed(2)} %) in ${result.chaos.wallSec} s`);
  }
  return result;
}

export function recoveryVerdicts(r: RecoveryResult): { target: string; measured: string; pass: boolean | null }[] {
  const v: { target: string; measured: string; pass: boolean | null }[] = [];
  for (const t of r.takeover ?? []) {
    v.push({
      target: `a killed worker's export resumes on another worker (own RUNNER_ID) in < 30 s (lease ${t.leaseMs / 1000} s, heartbeat ${t.heartbeatMs / 1000} s)`,
      measured: `lease taken after ${t.takeoverSec} s, progress after ${t.resumedSec} s (killed at ${Math.round(t.killedAtShare * 100)} % of ${t.items} items)`,
      pass: t.resumedSec < 30,
    });
    v.push({
      target: `nothing lost or doubled after the kill (lease ${t.leaseMs / 1000} s)`,
      measured: `${t.status}; manifest ${t.manifest.missing} missing, ${t.manifest.changed} changed, ${t.manifest.extra} extra; ${t.exportedItems} of ${t.items} items recorded exported, ${t.pagesExportedTwice} twice; ${t.reread.ids} ids read again (+${t.reread.requests} of ${t.reread.requestsUninterrupted} requests), ${t.reread.fewerThanUninterrupted} read less than uninterrupted`,
      pass:
        t.status === 'completed' &&
        t.manifest.missing + t.manifest.changed + t.manifest.extra === 0 &&
        t.exportedItems === t.items &&
        t.pagesExportedTwice === 0 &&
        t.reread.fewerThanUninterrupted === 0,
    });
  }
  if (r.restart) {
    v.push({
      target: `dashboard restart to /api/health/ready in < 30 s with ${r.restart.database.exportedPages} exported pages in the database`,
      measured: `${r.restart.firstStartSec} s; after a SIGKILL ${r.restart.afterKillSec} s`,
      pass: Math.max(r.restart.firstStartSec, r.restart.afterKillSec) < 30,
    });
  }
  if (r.chaos) {
    const c = r.chaos;
    v.push({
      target: `≥ 99.9 % of ${c.exports} small exports complete without help under the twin's fault mix`,
      measured: `${(c.share * 100).toFixed(2)} % (${c.completedWithoutHelp}/${c.exports}; ${c.ended} ended, ${(c.shareOfEnded * 100).toFixed(2)} % of them completed; ${JSON.stringify(c.byStatus)}); ${c.retriedAutomatically} retried automatically; ${c.twin.faultsInjected} faults in ${c.twin.requests} requests; ${c.wallSec} s with ${c.workers} workers`,
      pass: c.share >= 0.999,
    });
  }
  return v;
}

