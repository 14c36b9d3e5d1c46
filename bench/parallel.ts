/**
 * `npm run bench -- --runs parallel`: several connections exported at once by one worker.
 *
 * 1. alone: one token limited by the twin to 3 requests/s exports a workspace of ~1,000 pages
 *    (the longest single export, the reference);
 * 2. three: three tokens, each limited to 3 requests/s, each exporting ~1,000 pages, queued
 *    together for one worker (RUNNER_MAX_EXPORTS=3): wall time against alone, aggregate use of the
 *    9 requests/s the twin allows, 429s, every export complete, and the worker's peak RSS (the
 *    memory each concurrent export adds: (three − alone) / 2);
 * 3. shared: two tokens of one workspace, each limited to 3 requests/s, under a workspace limit of
 *    4 requests/s (40 per 10-second window, the twin's `workspaceRateLimit`), with the workspace
 *    budget set (the runner setting) to 3.9/s: is the shared limit respected (429s) and used?
 * 4. two workers: the same, but each export in a worker of its own (two processes, RUNNER_MAX_EXPORTS=1
 *    each, the second started once the first is exporting): each worker paces its share of the
 *    workspace budget (server/runner/workspace-sharing.ts), so together they respect the limit.
 *
 * Every export is requested the way the dashboard requests it and run by the standalone worker
 * (`npm run worker`), as in bench/run.ts.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { closeSync, openSync } from 'node:fs';
import { mkdir, rm } from 'node:fs/promises';
import path from 'node:path';
import { inArray } from 'drizzle-orm';
import { exports } from '@/db/schema';
import { startTwin, type Twin, type WorkspaceOptions } from '@/e2e/notion-twin';
import { loadConfig } from '@/server/config';
import { ensureConnection } from '@/server/connections/connections';
import { createAppContext } from '@/server/context';
import { requestExport } from '@/server/export/control/request-export';
import { writeRunnerSettings } from '@/server/settings';
import { ProcessSampler, type ProcessUsage, RequestRecorder, round, type Utilisation, utilisation } from './measure';

const LIMIT = 3;
const LATENCY: [number, number] = [100, 500];
const TERMINAL = new Set(['completed', 'completed_with_errors', 'failed', 'paused', 'cancelled']);
/** The shared scenario's workspace window: 40 requests per 10 s (4/s), for every token together. */
const WORKSPACE_WINDOW = { windowMs: 10_000, budget: 40 };
/** The workspace budget the runner is given: just under the window's, as its one-request burst needs. */
const WORKSPACE_SETTING = 3.9;

/** bench/run.ts's shape: small pages, so that a throttled 1,000-page export takes minutes. */
const SHAPE: WorkspaceOptions = { seed: 1, depth: 3, blocksPerPage: 1, blocksPerRow: 1, largePages: 1, largePageBlocks: 150, linkedDatabases: 0, unsharedPages: 0 };
/** About 1,000 pages and rows. */
const THOUSAND: WorkspaceOptions = { ...SHAPE, pages: 800, databases: 4, rowsPerDatabase: 40 };

export interface ParallelBenchOptions {
  /** The worker's node arguments, exactly as `npm run worker` (bench/run.ts's `workerArgs`). */
  workerArgs: string[];
  /** The shared scenario's workspace (default ~500 pages and rows, to keep the run within minutes). */
  sharedWorkspace?: WorkspaceOptions;
  log: (message: string) => void;
}

export interface ParallelRun {
  name: string;
  exports: { status: string; pagesDone: number; pagesFailed: number; requests: number; rateLimited: number; exportSec: number }[];
  /** From the first request of the run to the end of its last export. */
  wallSec: number;
  requests: number;
  rateLimited: number;
  /** The share of the requests the twin answered 429. */
  rateLimitedShare: number;
  allowedPerSec: number;
  utilisation: Utilisation;
  memory: ProcessUsage;
}

export interface ParallelBenchResult {
  alone: ParallelRun;
  three: ParallelRun;
  shared: ParallelRun;
  /** The shared workspace's two exports in two workers (processes) at once. */
  twoWorkers: ParallelRun;
  /** Worker RSS each concurrent export adds: (three − alone) / 2. */
  memoryPerConcurrentExportMb: number;
  verdicts: { target: string; measured: string; pass: boolean | null }[];
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function stopChild(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  child.kill('SIGTERM');
  const timer = setTimeout(() => child.kill('SIGKILL'), 15_000);
  await exited;
  clearTimeout(timer);
}

/** Requests one export per token of `twin`, starts one worker, and waits for every export to end. */
async function runWorker(
  name: string,
  out: string,
  twin: Twin,
  tokens: string[],
  allowedPerSec: number,
  options: ParallelBenchOptions & { workspaceBudget?: number; workers?: number },
): Promise<ParallelRun> {
  const workers = options.workers ?? 1;
  const dir = path.join(out, `parallel-${name}`);
  await rm(dir, { recursive: true, force: true });
  await mkdir(dir, { recursive: true });
  const env = {
    DATABASE_URL: `file:${path.join(dir, 'state.db')}`,
    EXPORTS_DIR: path.join(dir, 'exports'),
    NOTION_SYNC_SECRET: 'bench-secret-bench-secret',
    NOTION_RATE_LIMIT: String(LIMIT),
    RUNNER_MAX_EXPORTS: workers > 1 ? '1' : '3',
    NOTION_SYNC_ENV: 'development',
  };
  const recorder = new RequestRecorder(twin.port);
  const ctx = await createAppContext({ ...loadConfig({ ...process.env, ...env }), runnerEnabled: false });
  try {
    if (options.workspaceBudget !== undefined) await writeRunnerSettings(ctx.database.db, { workspaceRequestsPerSecond: options.workspaceBudget });
    const ids: string[] = [];
    for (const token of tokens) {
      const connection = await ensureConnection(ctx, { token, baseUrl: twin.url, name: `bench ${token}` });
      ids.push(
        await requestExport(ctx, {
          connectionId: connection.id,
          formats: ['markdown', 'json'],
          outDir: path.join(dir, 'export', token),
          requestedBy: 'dashboard',
        }),
      );
    }
    await sleep(200);
    twin.resetStats();
    recorder.reset();
    const started: ChildProcess[] = [];
    let exited = false;
    const startWorker = (n: number) => {
      const name = workers > 1 ? `worker-${n}` : 'worker';
      const logFd = openSync(path.join(dir, `${name}.log`), 'w');
      const extra = workers > 1 ? { RUNNER_ID: `bench-${name}` } : {};
      const worker = spawn(process.execPath, options.workerArgs, { env: { ...process.env, ...env, ...extra }, stdio: ['ignore', logFd, logFd] });
      closeSync(logFd);
      if (worker.pid === undefined) throw new Error('could not start the worker');
      worker.once('exit', () => {
        exited = true;
      });
      started.push(worker);
      return worker;
    };
    const first = startWorker(1);
    const sampler = new ProcessSampler(first.pid as number, 100);
    let rows: (typeof exports.$inferSelect)[] = [];
    const deadline = Date.now() + 60 * 60_000;
    for (;;) {
      rows = await ctx.database.db.select().from(exports).where(inArray(exports.id, ids));
      if (rows.length === ids.length && rows.every((r) => TERMINAL.has(r.status))) break;
      if (exited) throw new Error(`a worker exited before the exports ended (see ${dir}/*.log)`);
      if (Date.now() > deadline) throw new Error('the exports did not finish within an hour');
      // The next worker once the ones before are exporting (a worker joining a running one).
      if (started.length < workers && rows.filter((r) => r.status === 'running' && r.pagesDone > 0).length >= started.length) startWorker(started.length + 1);
      await sleep(250);
    }
    const memory = sampler.finish();
    for (const worker of started) await stopChild(worker);
    const stats = twin.stats();
    const firstAt = Math.min(...recorder.requests.map((r) => r.at));
    const lastEnd = Math.max(...rows.map((r) => r.finishedAt?.getTime() ?? Date.now()));
    const run: ParallelRun = {
      name,
      exports: rows.map((r) => ({
        status: r.status,
        pagesDone: r.pagesDone,
        pagesFailed: r.pagesFailed,
        requests: r.requests,
        rateLimited: r.rateLimited,
        exportSec: round(((r.finishedAt?.getTime() ?? Date.now()) - (r.startedAt?.getTime() ?? firstAt)) / 1000, 1),
      })),
      wallSec: round((lastEnd - firstAt) / 1000, 1),
      requests: stats.requests,
      rateLimited: stats.rateLimited,
      rateLimitedShare: round(stats.rateLimited / Math.max(1, stats.requests), 4),
      allowedPerSec,
      utilisation: { ...utilisation(recorder.requests, allowedPerSec), longestGaps: [] },
      memory: { ...memory, samples: [] },
    };
    options.log(
      `parallel ${name}: ${rows.length} exports ${rows.map((r) => r.status).join('/')}, wall ${run.wallSec} s, ${run.requests} requests, ${run.rateLimited} 429s, ` +
        `use ${round(run.utilisation.utilisation * 100, 1)} % of ${allowedPerSec}/s, peak RSS ${memory.peakRssMb} MB`,
    );
    return run;
  } finally {
    recorder.stop();
    ctx.database.close();
  }
}

export async function runParallelBench(out: string, options: ParallelBenchOptions): Promise<ParallelBenchResult> {
  const tokens = ['secret_one', 'secret_two', 'secret_three'];
  const twin = await startTwin({ workspace: THOUSAND, tokens, rateLimit: { requestsPerSecond: LIMIT, burst: LIMIT }, latencyMs: LATENCY });
  let alone: ParallelRun;
  let three: ParallelRun;
  try {
    options.log(`parallel: ${twin.workspace.summary().pages + twin.workspace.summary().rows} pages per token; alone first`);
    alone = await runWorker('alone', out, twin, tokens.slice(0, 1), LIMIT, options);
    three = await runWorker('three', out, twin, tokens, LIMIT * tokens.length, options);
  } finally {
    await twin.close();
  }
  const sharedTwinOptions = {
    workspace: options.sharedWorkspace ?? { ...SHAPE, pages: 400, databases: 2, rowsPerDatabase: 40 },
    tokens: ['secret_team_a', 'secret_team_b'],
    rateLimit: { requestsPerSecond: LIMIT, burst: LIMIT },
    workspaceRateLimit: WORKSPACE_WINDOW,
    latencyMs: LATENCY,
  };
  const workspacePerSec = (WORKSPACE_WINDOW.budget * 1000) / WORKSPACE_WINDOW.windowMs;
  const sharedRun = async (name: string, workers: number) => {
    const twin = await startTwin(sharedTwinOptions);
    try {
      return await runWorker(name, out, twin, ['secret_team_a', 'secret_team_b'], workspacePerSec, { ...options, workspaceBudget: WORKSPACE_SETTING, workers });
    } finally {
      await twin.close();
    }
  };
  const shared = await sharedRun('shared', 1);
  const twoWorkers = await sharedRun('two-workers', 2);
  const complete = (run: ParallelRun) => run.exports.every((e) => e.status === 'completed');
  const memoryPerConcurrentExportMb = round((three.memory.peakRssMb - alone.memory.peakRssMb) / 2, 1);
  const verdicts = [
    {
      target: 'three connections at once: wall time within 1.1× of the longest alone',
      measured: `${three.wallSec} s vs ${alone.wallSec} s = ${round(three.wallSec / alone.wallSec, 3)}×`,
      pass: three.wallSec <= 1.1 * alone.wallSec,
    },
    {
      target: 'three connections at once: ≥ 95 % of the 9 requests/s the twin allows',
      measured: `${round(three.utilisation.utilisation * 100, 1)} % (${three.utilisation.requestsPerSec}/s over ${three.utilisation.spanSec} s)`,
      pass: three.utilisation.utilisation >= 0.95,
    },
    {
      target: 'three connections at once: ≤ 1 % 429s, every export complete',
      measured: `${three.rateLimited} of ${three.requests} (${round(three.rateLimitedShare * 100, 2)} %); ${three.exports.map((e) => e.status).join(', ')}`,
      pass: three.rateLimitedShare <= 0.01 && complete(three),
    },
    {
      target: 'two tokens of one workspace: the shared limit respected (≤ 1 % 429s) and used (≥ 90 %)',
      measured: `${shared.rateLimited} of ${shared.requests} (${round(shared.rateLimitedShare * 100, 2)} %); ${round(shared.utilisation.utilisation * 100, 1)} % of ${shared.allowedPerSec}/s`,
      pass: shared.rateLimitedShare <= 0.01 && shared.utilisation.utilisation >= 0.9 && complete(shared),
    },
    {
      target: 'two workers (processes), one export of the workspace each: the shared limit respected (≤ 1 % 429s) and used (≥ 90 %)',
      measured: `${twoWorkers.rateLimited} of ${twoWorkers.requests} (${round(twoWorkers.rateLimitedShare * 100, 2)} %); ${round(twoWorkers.utilisation.utilisation * 100, 1)} % of ${twoWorkers.allowedPerSec}/s`,
      pass: twoWorkers.rateLimitedShare <= 0.01 && twoWorkers.utilisation.utilisation >= 0.9 && complete(twoWorkers),
    },
    {
      target: 'worker peak RSS: one 1,000-page export, three at once (memory per concurrent export)',
      measured: `${alone.memory.peakRssMb} MB, ${three.memory.peakRssMb} MB (+${memoryPerConcurrentExportMb} MB each)`,
      pass: null,
    },
  ];
  return { alone, three, shared, twoWorkers, memoryPerConcurrentExportMb, verdicts };
}
