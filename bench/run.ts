/**
 * `npm run bench [-- --quick] [-- --runs throttled,unthrottled-1k,unthrottled-10k,observed-10k,window,zip,sync-10k,parallel] [-- --observe metrics,traces]`
 *
 * Exports twin workspaces through the real product (the standalone worker, `server/worker.ts`,
 * running an export requested the way the dashboard requests it) and through the baseline
 * (SDK + notion-to-md, bench/baseline.ts), and measures requests against the workspace minimum
 * (bench/workspace-minimum.ts), rate-limit utilisation, 429s, speed and the exporting process's
 * peak memory; a window-budget scenario (adaptive limiter) and the 1 GB zip download (bench/zip.ts).
 * See bench/README.md for the method.
 *
 * Writes bench/results.json (full run of every scenario), else <out>/results-<mode>.json, where <out> is
 * BENCH_OUT or bench/out; scratch output (state databases, exports, logs) goes to <out> too.
 */
import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import { closeSync, existsSync, openSync, readFileSync } from 'node:fs';
import http from 'node:http';
import { mkdir, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { eq } from 'drizzle-orm';
import { exports } from '@/db/schema';
import { startTwin, type Twin, type TwinStats, Workspace, type WorkspaceOptions } from '@/e2e/notion-twin';
import { loadConfig } from '@/server/config';
import { ensureConnection } from '@/server/connections/connections';
import { createAppContext } from '@/server/context';
import { requestExport } from '@/server/export/control/request-export';
import type { BaselineResult } from './baseline';
import { ProcessSampler, type ProcessUsage, RequestRecorder, round, type Utilisation, utilisation } from './measure';
import { type CliMemoryResult, runCliMemoryBench } from './cli-memory';
import { RECOVERY_PARTS, type RecoveryResult, recoveryVerdicts, runRecoveryBench } from './recovery';
import { type WorkspaceMinimum, workspaceMinimum } from './workspace-minimum';
import { runSyncBench } from './sync';
import { runParallelBench } from './parallel';
import { prepareCodeCache, waitForExit } from './processes';
import { runZipBench, type ZipBenchResult } from './zip';

const ROOT = path.resolve(import.meta.dirname, '..');
const OUT = process.env.BENCH_OUT ? path.resolve(process.env.BENCH_OUT) : path.join(ROOT, 'bench', 'out');
const TOKEN = 'secret_twin';
const LIMIT = 3;
const LATENCY: [number, number] = [100, 500];
const FORMATS = ['markdown', 'json'] as const;

// ---- scenarios ------------------------------------------------------------------------------------

/** Small pages (1 top-level block, rows 1), so a throttled 1,000-page export takes minutes, not an hour. */
const SHAPE: WorkspaceOptions = {
  seed: 1,
  depth: 3,
  blocksPerPage: 1,
  blocksPerRow: 1,
  largePages: 1,
  largePageBlocks: 150,
  linkedDatabases: 0,
  unsharedPages: 0,
};

interface Scenario {
  name: string;
  description: string;
  workspace: WorkspaceOptions;
  throttled: boolean;
  /** Notion's current model instead of the token bucket: `budget` requests per fixed window (per token). */
  window?: { windowMs: number; budget: number };
  baseline: boolean;
  /**
   * Metrics and traces on: the worker records metrics (METRICS_PORT) and sends spans over
   * OTLP/HTTP to a sink in the bench, to measure what observability costs against the same run off.
   */
  observed?: boolean;
}

/** What the observed scenario turns on (`--observe metrics,traces`, the default; or one of them). */
let OBSERVED_PARTS = new Set(['metrics', 'traces']);

/** The window scenario's budget: 150 requests a minute (2.5/s), under the 3/s the exporter is configured with. */
const WINDOW = { windowMs: 60_000, budget: 150 };

const FULL: Scenario[] = [
  {
    name: 'throttled',
    description: '1,000 pages (rows included), twin at 3 req/s (burst 3) answering in 100–500 ms; ours and the baseline at the same time on two twins',
    workspace: { ...SHAPE, pages: 800, databases: 4, rowsPerDatabase: 40 },
    throttled: true,
    baseline: true,
  },
  {
    name: 'unthrottled-1k',
    description: '1,000 pages, twin without rate limit or latency',
    workspace: { ...SHAPE, pages: 800, databases: 4, rowsPerDatabase: 40 },
    throttled: false,
    baseline: true,
  },
  {
    name: 'unthrottled-10k',
    description: '10,000 pages, twin without rate limit or latency',
    workspace: { ...SHAPE, pages: 8000, databases: 39, rowsPerDatabase: 50 },
    throttled: false,
    baseline: true,
  },
];

FULL.push({
  name: 'observed-10k',
  description: 'the 10,000-page run with metrics recorded (METRICS_PORT) and every span sent over OTLP/HTTP to a sink',
  workspace: FULL[2].workspace,
  throttled: false,
  baseline: false,
  observed: true,
});

FULL.push({
  name: 'window',
  description: '~350 pages, twin with a budget of 150 requests per 60-second window (2.5/s) and 100–500 ms answers; the exporter configured for 3/s must learn the budget',
  workspace: { ...SHAPE, pages: 300, databases: 2, rowsPerDatabase: 25, largePages: 0 },
  throttled: true,
  window: WINDOW,
  baseline: false,
});

const QUICK: Scenario[] = [
  { ...FULL[0], name: 'throttled', description: '~70 pages (no large page), twin at 3 req/s, 100–500 ms', workspace: { ...SHAPE, pages: 30, databases: 1, rowsPerDatabase: 10, largePages: 0 } },
  { ...FULL[1], name: 'unthrottled-1k', description: '~100 pages, unthrottled', workspace: { ...SHAPE, pages: 80, databases: 2, rowsPerDatabase: 10 } },
  { ...FULL[2], name: 'unthrottled-10k', description: '1,000 pages, unthrottled', workspace: { ...SHAPE, pages: 800, databases: 4, rowsPerDatabase: 40 }, baseline: false },
  {
    ...FULL[2],
    name: 'observed-10k',
    description: '1,000 pages, unthrottled, with metrics and traces on',
    workspace: { ...SHAPE, pages: 800, databases: 4, rowsPerDatabase: 40 },
    baseline: false,
    observed: true,
  },
];

// ---- results --------------------------------------------------------------------------------------

interface RequestCounts {
  requests: number;
  rateLimited: number;
  byEndpoint: Record<string, number>;
  /** Requests beyond the minimum, per endpoint (negative: fewer than the minimum). */
  excessByEndpoint: Record<string, number>;
  minimum: number;
  /** requests / minimum (429s included in requests). */
  ratio: number;
}

interface OursResult extends RequestCounts {
  tool: 'ours';
  process: 'worker';
  status: string;
  pagesDone: number;
  pagesFailed: number;
  /** What the exporter itself counted (its gateway's counters, saved on the export). */
  exporterCounted: { requests: number; rateLimited: number; retries: number };
  /** Worker start to its first API request (start-up, migrations, claim). */
  bootSec: number;
  /** Export started → finished, as recorded by the export (the basis of pages/s). */
  exportSec: number;
  pagesPerSec: number;
  utilisation: Utilisation;
  phases: { phase: string; atSec: number }[];
  memory: ProcessUsage;
  /** V8 heap after each full (mark-compact) GC, from the worker's --trace-gc: what the export really keeps alive. */
  gc: GcSummary;
  maxInFlight: number;
  /** Spans the bench's OTLP sink received (the observed scenario only). */
  spansReceived?: number;
}

interface GcSummary {
  markCompacts: number;
  /** Largest heap right after a full GC (live objects), MB. */
  maxLiveHeapMb: number;
  /** Largest heap right before a full GC (live + garbage), MB. */
  maxHeapBeforeGcMb: number;
}

interface BaselineRunResult extends RequestCounts {
  tool: 'baseline';
  pagesExported: number;
  pagesFailed: number;
  firstError?: string;
  wallSec: number;
  pagesPerSec: number;
  utilisation: Utilisation;
  memory: ProcessUsage & { selfReportedMaxRssMb: number };
}

interface RunResult {
  name: string;
  description: string;
  twin: { rateLimit: { requestsPerSecond: number; burst: number } | { windowMs: number; budget: number } | null; latencyMs: [number, number] | null };
  workspace: WorkspaceOptions & { totalPages: number; rows: number; databases: number; dataSources: number; blocks: number };
  minimum: WorkspaceMinimum;
  ours?: OursResult;
  baseline?: BaselineRunResult;
}

// ---- helpers --------------------------------------------------------------------------------------

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

function log(message: string): void {
  process.stderr.write(`[bench ${new Date().toISOString().slice(11, 19)}] ${message}\n`);
}

async function freshDir(dir: string): Promise<string> {
  await rm(dir, { recursive: true, force: true });
  await mkdir(dir, { recursive: true });
  return dir;
}

function requestCounts(stats: TwinStats, minimum: WorkspaceMinimum): RequestCounts {
  const endpoints = new Set([...Object.keys(stats.byEndpoint), ...Object.keys(minimum.byEndpoint)]);
  const excessByEndpoint: Record<string, number> = {};
  for (const e of [...endpoints].sort()) {
    const d = (stats.byEndpoint[e] ?? 0) - (minimum.byEndpoint[e] ?? 0);
    if (d !== 0) excessByEndpoint[e] = d;
  }
  return {
    requests: stats.requests,
    rateLimited: stats.rateLimited,
    byEndpoint: stats.byEndpoint,
    excessByEndpoint,
    minimum: minimum.total,
    ratio: round(stats.requests / minimum.total, 4),
  };
}


async function stopChild(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  child.kill('SIGTERM');
  if (!(await waitForExit(child, 15_000))) {
    child.kill('SIGKILL');
    await waitForExit(child, 5_000);
  }
}

interface BenchTwin {
  twin: Twin;
  recorder: RequestRecorder;
}

/** The twin's limit in a scenario: a window budget, the 3/s token bucket, or none. */
function twinLimit(scenario: Pick<Scenario, 'throttled' | 'window'>) {
  return scenario.window ?? (scenario.throttled ? { requestsPerSecond: LIMIT, burst: LIMIT } : null);
}

/** Requests per second the twin allows on average in a scenario (the basis of utilisation). */
function allowedRate(scenario: Pick<Scenario, 'window'>): number {
  return scenario.window ? (scenario.window.budget * 1000) / scenario.window.windowMs : LIMIT;
}

async function startBenchTwin(workspace: WorkspaceOptions, scenario: Pick<Scenario, 'throttled' | 'window'>): Promise<BenchTwin> {
  const twin = await startTwin({
    workspace,
    rateLimit: twinLimit(scenario),
    latencyMs: scenario.throttled ? LATENCY : null,
  });
  return { twin, recorder: new RequestRecorder(twin.port) };
}

async function closeBenchTwin(t: BenchTwin): Promise<void> {
  t.recorder.stop();
  await t.twin.close();
}

// ---- the worker process -----------------------------------------------------------------------------

/** Extra node flags for the worker (`--worker-flags=--max-old-space-size=96`, space-separated for several: a what-if); none by default. */
const WORKER_NODE_FLAGS: string[] = [];

/** A package.json script's node arguments (`node --flag file` → [`--flag`, `file`]). */
function nodeArgsOfScript(name: string): string[] {
  const pkg = JSON.parse(readFileSync(path.join(ROOT, 'package.json'), 'utf8')) as { scripts: Record<string, string> };
  const [command, ...args] = (pkg.scripts[name] ?? '').split(/\s+/).filter(Boolean);
  if (command !== 'node') throw new Error(`package.json script "${name}" is not a plain node command: ${pkg.scripts[name]}`);
  return args;
}

/** The worker exactly as `npm run worker` starts it (node flags and bundle from package.json), plus the bench's flags. */
function workerArgs(): string[] {
  const args = nodeArgsOfScript('worker');
  const script = args.at(-1);
  if (script === undefined) throw new Error('npm run worker has no script to run');
  return [...args.slice(0, -1), ...WORKER_NODE_FLAGS, script];
}

/** What `npm run worker` does first (its `preworker` script): compile the worker bundle. */
async function buildWorker(): Promise<void> {
  const child = spawn(process.execPath, nodeArgsOfScript('preworker'), { cwd: ROOT, stdio: ['ignore', 'inherit', 'inherit'] });
  const code = await new Promise<number | null>((resolve) => child.once('exit', resolve));
  if (code !== 0) throw new Error(`building the worker exited with ${code}`);
}

/** V8's --trace-gc lines: `… Mark-Compact 250.1 (262.4) -> 120.3 (140.0) MB, …`. */
function parseGcTrace(log: string): GcSummary {
  let markCompacts = 0;
  let maxLiveHeapMb = 0;
  let maxHeapBeforeGcMb = 0;
  for (const m of log.matchAll(/Mark-Compact(?: \([a-z ]+\))? ([\d.]+) \([\d.]+\) -> ([\d.]+) \([\d.]+\) MB/g)) {
    markCompacts++;
    maxHeapBeforeGcMb = Math.max(maxHeapBeforeGcMb, Number(m[1]));
    maxLiveHeapMb = Math.max(maxLiveHeapMb, Number(m[2]));
  }
  return { markCompacts, maxLiveHeapMb, maxHeapBeforeGcMb };
}

/** RSS of a worker that started and has nothing to do: the floor every export starts from. */
async function idleFloor(): Promise<{ rssMb: number; peakRssMb: number }> {
  const dir = await freshDir(path.join(OUT, 'idle-worker'));
  const env = { DATABASE_URL: `file:${path.join(dir, 'state.db')}`, EXPORTS_DIR: path.join(dir, 'exports'), NOTION_SYNC_SECRET: 'bench-secret-bench-secret' };
  prepareCodeCache(workerArgs());
  const child = spawn(process.execPath, workerArgs(), { cwd: ROOT, env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
  if (child.pid === undefined) throw new Error('could not start the idle worker');
  // The worker logs to stdout (JSON lines); older builds wrote to stderr.
  let output = '';
  const collect = (d: Buffer) => {
    output += d.toString();
  };
  child.stdout?.on('data', collect);
  child.stderr?.on('data', collect);
  const deadline = Date.now() + 30_000;
  while (!output.includes('running on') && Date.now() < deadline && child.exitCode === null) await sleep(100);
  await sleep(3000);
  const sampler = new ProcessSampler(child.pid, 100);
  await sleep(500);
  const usage = sampler.finish();
  await stopChild(child);
  return { rssMb: usage.samples.at(-1)?.rssMb ?? 0, peakRssMb: usage.peakRssMb };
}

// ---- ours: the standalone worker ------------------------------------------------------------------

const TERMINAL = new Set(['completed', 'completed_with_errors', 'failed', 'paused', 'cancelled']);

async function runOurs(scenario: Scenario, t: BenchTwin, minimum: WorkspaceMinimum): Promise<OursResult> {
  const dir = await freshDir(path.join(OUT, `${scenario.name}-ours`));
  const env = {
    DATABASE_URL: `file:${path.join(dir, 'state.db')}`,
    EXPORTS_DIR: path.join(dir, 'exports'),
    NOTION_SYNC_SECRET: 'bench-secret-bench-secret',
    NOTION_RATE_LIMIT: scenario.throttled ? String(LIMIT) : '1000',
    // The connection points at the twin (http://127.0.0.1), which production refuses.
    NOTION_SYNC_ENV: 'development',
  };
  const sink = scenario.observed ? await startSpanSink() : undefined;
  const observedEnv = sink
    ? {
        ...(OBSERVED_PARTS.has('metrics') ? { METRICS_PORT: '0' } : {}),
        ...(OBSERVED_PARTS.has('traces')
          ? { OTEL_EXPORTER_OTLP_ENDPOINT: sink.url, OTEL_EXPORTER_OTLP_PROTOCOL: 'http/json', OTEL_SERVICE_NAME: 'notion-sync-bench' }
          : {}),
      }
    : {};
  // Request the export as the dashboard does: a connection (checked with users.me) and an ExportRequested event.
  const ctx = await createAppContext({ ...loadConfig({ ...process.env, ...env }), runnerEnabled: false });
  try {
    const connection = await ensureConnection(ctx, { token: TOKEN, baseUrl: t.twin.url, name: 'bench' });
    const exportId = await requestExport(ctx, {
      connectionId: connection.id,
      formats: [...FORMATS],
      outDir: path.join(dir, 'export'),
      requestedBy: 'dashboard',
    });
    // Only the export's own requests are counted, not the connection check.
    await sleep(200);
    t.twin.resetStats();
    t.recorder.reset();

    // --trace-gc is a V8 flag: the program's code cache is made for it, as the build makes it for npm run worker's flags.
    const args = ['--trace-gc', ...workerArgs()];
    prepareCodeCache(args);
    const logFd = openSync(path.join(dir, 'worker.log'), 'w');
    const spawnedAt = Date.now();
    const worker = spawn(process.execPath, args, {
      cwd: ROOT,
      env: { ...process.env, ...env, ...observedEnv },
      stdio: ['ignore', logFd, logFd],
    });
    closeSync(logFd);
    if (worker.pid === undefined) throw new Error('could not start the worker');
    const sampler = new ProcessSampler(worker.pid, 100);
    let exited = false;
    worker.once('exit', () => {
      exited = true;
    });

    const phases: { phase: string; at: number }[] = [];
    let row: typeof exports.$inferSelect | undefined;
    const deadline = Date.now() + 60 * 60_000;
    for (;;) {
      [row] = await ctx.database.db.select().from(exports).where(eq(exports.id, exportId));
      if (row && phases.at(-1)?.phase !== row.phase) phases.push({ phase: row.phase, at: Date.now() });
      if (row && TERMINAL.has(row.status)) break;
      if (exited) throw new Error(`the worker exited before the export ended (see ${path.join(dir, 'worker.log')})`);
      if (Date.now() > deadline) throw new Error('the export did not finish within an hour');
      await sleep(250);
    }
    const memory = sampler.finish();
    await stopChild(worker);
    if (!row) throw new Error('export row missing');

    const stats = t.twin.stats();
    const use = utilisation(t.recorder.requests, allowedRate(scenario));
    const firstAt = Math.min(...t.recorder.requests.map((r) => r.at));
    const exportSec = ((row.finishedAt?.getTime() ?? Date.now()) - (row.startedAt?.getTime() ?? spawnedAt)) / 1000;
    const totalPages = minimum.counts.pages;
    return {
      tool: 'ours',
      process: 'worker',
      ...requestCounts(stats, minimum),
      status: row.status,
      pagesDone: row.pagesDone,
      pagesFailed: row.pagesFailed,
      exporterCounted: { requests: row.requests, rateLimited: row.rateLimited, retries: row.retries },
      bootSec: round((firstAt - spawnedAt) / 1000, 2),
      exportSec: round(exportSec, 2),
      pagesPerSec: round(totalPages / exportSec, 2),
      utilisation: use,
      phases: phases.map((p) => ({ phase: p.phase, atSec: round((p.at - firstAt) / 1000, 1) })),
      memory,
      gc: parseGcTrace(readFileSync(path.join(dir, 'worker.log'), 'utf8')),
      maxInFlight: stats.maxInFlight,
      ...(sink ? { spansReceived: sink.spans() } : {}),
    };
  } finally {
    ctx.database.close();
    await sink?.close();
  }
}

/** An OTLP/HTTP JSON receiver that only counts the spans it is sent (the observed scenario's collector). */
async function startSpanSink(): Promise<{ url: string; spans: () => number; close: () => Promise<void> }> {
  let spans = 0;
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      try {
        const body = JSON.parse(Buffer.concat(chunks).toString('utf8')) as { resourceSpans?: { scopeSpans?: { spans?: unknown[] }[] }[] };
        for (const resource of body.resourceSpans ?? []) for (const scope of resource.scopeSpans ?? []) spans += scope.spans?.length ?? 0;
      } catch {
        // Not JSON: not counted.
      }
      res.writeHead(200, { 'Content-Type': 'application/json' }).end('{}');
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  return { url: `http://127.0.0.1:${port}`, spans: () => spans, close: () => new Promise((resolve) => server.close(() => resolve())) };
}

// ---- the baseline ---------------------------------------------------------------------------------

async function runBaseline(scenario: Scenario, t: BenchTwin, minimum: WorkspaceMinimum): Promise<BaselineRunResult> {
  const dir = await freshDir(path.join(OUT, `${scenario.name}-baseline`));
  t.twin.resetStats();
  t.recorder.reset();
  const logFd = openSync(path.join(dir, 'baseline.log'), 'w');
  const child = spawn(process.execPath, ['--import', 'tsx', 'bench/baseline.ts', '--url', t.twin.url, '--out', path.join(dir, 'markdown')], {
    cwd: ROOT,
    env: process.env,
    stdio: ['ignore', 'pipe', logFd],
  });
  closeSync(logFd);
  if (child.pid === undefined) throw new Error('could not start the baseline');
  const sampler = new ProcessSampler(child.pid, 100);
  let stdout = '';
  child.stdout?.on('data', (d: Buffer) => {
    stdout += d.toString();
  });
  const code = await new Promise<number | null>((resolve) => child.once('exit', (c) => resolve(c)));
  const memory = sampler.finish();
  if (code !== 0) throw new Error(`baseline exited with ${code} (see ${path.join(dir, 'baseline.log')})`);
  const result = JSON.parse(stdout.trim().split('\n').at(-1) ?? '{}') as BaselineResult;
  const stats = t.twin.stats();
  return {
    tool: 'baseline',
    ...requestCounts(stats, minimum),
    pagesExported: result.pages - result.failed,
    pagesFailed: result.failed,
    firstError: result.firstError,
    wallSec: round(result.wallMs / 1000, 2),
    pagesPerSec: round((result.pages - result.failed) / (result.wallMs / 1000), 2),
    utilisation: utilisation(t.recorder.requests, allowedRate(scenario)),
    memory: { ...memory, peakRssMb: Math.max(memory.peakRssMb, result.maxRssMb), selfReportedMaxRssMb: result.maxRssMb },
  };
}

// ---- a scenario -----------------------------------------------------------------------------------

async function runScenario(scenario: Scenario, withBaseline: boolean): Promise<RunResult> {
  log(`${scenario.name}: ${scenario.description}`);
  const ours = await startBenchTwin(scenario.workspace, scenario);
  const minimum = workspaceMinimum(ours.twin.workspace);
  const summary = ours.twin.workspace.summary();
  log(`${scenario.name}: ${minimum.counts.pages} pages (${summary.rows} rows), ${summary.databases} databases; minimum ${minimum.total} requests`);
  const result: RunResult = {
    name: scenario.name,
    description: scenario.description,
    twin: { rateLimit: twinLimit(scenario), latencyMs: scenario.throttled ? LATENCY : null },
    workspace: {
      ...scenario.workspace,
      totalPages: minimum.counts.pages,
      rows: summary.rows,
      databases: summary.databases,
      dataSources: summary.dataSources,
      blocks: minimum.counts.blocks,
    },
    minimum,
  };
  try {
    if (scenario.throttled && withBaseline) {
      // Two twins, each with its own 3 req/s budget: at 3 req/s both processes are mostly idle,
      // so running them side by side does not disturb either, and halves the wall time.
      const base = await startBenchTwin(scenario.workspace, scenario);
      try {
        const [o, b] = await Promise.all([runOurs(scenario, ours, minimum), runBaseline(scenario, base, minimum)]);
        result.ours = o;
        result.baseline = b;
      } finally {
        await closeBenchTwin(base);
      }
      return result;
    }
    result.ours = await runOurs(scenario, ours, minimum);
    log(`${scenario.name}: ours ${result.ours.status} in ${result.ours.exportSec} s`);
  } finally {
    await closeBenchTwin(ours);
  }
  if (withBaseline) {
    // A fresh twin, so the baseline starts from the same cold state as ours did.
    const base = await startBenchTwin(scenario.workspace, scenario);
    try {
      result.baseline = await runBaseline(scenario, base, minimum);
    } finally {
      await closeBenchTwin(base);
    }
  }
  return result;
}

// ---- report ---------------------------------------------------------------------------------------

function pad(s: string | number, n: number): string {
  const text = String(s);
  return text.length >= n ? text : ' '.repeat(n - text.length) + text;
}

function table(runs: RunResult[]): string {
  const head = ['run', 'tool', 'pages', 'wall s', 'pages/s', 'requests', 'minimum', 'ratio', 'util', '429s', 'peak RSS MB'];
  const widths = [16, 9, 7, 8, 8, 9, 8, 6, 6, 6, 12];
  const line = (cells: (string | number)[]) => cells.map((c, i) => (i < 2 ? String(c).padEnd(widths[i]) : pad(c, widths[i]))).join(' ');
  const out = [line(head), '-'.repeat(widths.reduce((a, b) => a + b + 1, 0))];
  for (const r of runs) {
    const pct = (u: Utilisation) => (r.twin.rateLimit ? `${Math.round(u.utilisation * 1000) / 10}%` : '–');
    const o = r.ours;
    if (o) out.push(line([r.name, 'ours', r.workspace.totalPages, o.exportSec, o.pagesPerSec, o.requests, o.minimum, o.ratio.toFixed(3), pct(o.utilisation), o.rateLimited, o.memory.peakRssMb]));
    if (r.baseline) {
      const b = r.baseline;
      out.push(line([r.name, 'baseline', b.pagesExported, b.wallSec, b.pagesPerSec, b.requests, b.minimum, b.ratio.toFixed(3), pct(b.utilisation), b.rateLimited, b.memory.peakRssMb]));
    }
  }
  return out.join('\n');
}

interface Verdict {
  target: string;
  measured: string;
  pass: boolean | null;
}

function verdicts(runs: RunResult[], idle: { rssMb: number }): Verdict[] {
  const v: Verdict[] = [];
  const throttled = runs.find((r) => r.name === 'throttled')?.ours;
  if (throttled) {
    v.push({ target: 'utilisation ≥ 95% of 3 req/s, first to last request', measured: `${(throttled.utilisation.utilisation * 100).toFixed(1)}%`, pass: throttled.utilisation.utilisation >= 0.95 });
    const share = throttled.rateLimited / Math.max(1, throttled.requests);
    v.push({ target: '≤ 1% of requests answered 429', measured: `${(share * 100).toFixed(2)}% (${throttled.rateLimited}/${throttled.requests})`, pass: share <= 0.01 });
  }
  for (const r of runs) {
    if (r.ours) v.push({ target: `requests ≤ 1.05 × minimum (${r.name})`, measured: `${r.ours.requests} / ${r.ours.minimum} = ${r.ours.ratio.toFixed(3)}`, pass: r.ours.ratio <= 1.05 });
  }
  const windowed = runs.find((r) => r.name === 'window')?.ours;
  if (windowed) {
    const share = windowed.rateLimited / Math.max(1, windowed.requests);
    v.push({
      target: `window budget (${WINDOW.budget} per ${WINDOW.windowMs / 1000} s, exporter set to ${LIMIT}/s): ≤ 1% of requests answered 429`,
      measured: `${(share * 100).toFixed(2)}% (${windowed.rateLimited}/${windowed.requests}); ${(windowed.utilisation.utilisation * 100).toFixed(1)}% of the budget used`,
      pass: share <= 0.01,
    });
  }
  const small = runs.find((r) => r.name === 'unthrottled-1k')?.ours;
  const large = runs.find((r) => r.name === 'unthrottled-10k')?.ours;
  if (large) {
    v.push({ target: `worker peak RSS < 100 MB (${large.pagesDone} items, ${runs.find((r) => r.name === 'unthrottled-10k')?.workspace.totalPages} pages)`, measured: `${large.memory.peakRssMb} MB`, pass: large.memory.peakRssMb < 100 });
  }
  if (small && large) {
    const growth = round(large.memory.peakRssMb - small.memory.peakRssMb, 1);
    v.push({ target: 'peak RSS grows < 20 MB from the small to the large export', measured: `${small.memory.peakRssMb} → ${large.memory.peakRssMb} MB (+${growth})`, pass: growth < 20 });
  }
  const observed = runs.find((r) => r.name === 'observed-10k');
  if (observed?.ours) {
    const o = observed.ours;
    const tracesOn = OBSERVED_PARTS.has('traces');
    v.push({
      target: `worker peak RSS < 100 MB with ${[...OBSERVED_PARTS].sort().join(' and ')} on (${observed.workspace.totalPages} pages)`,
      measured: `${o.memory.peakRssMb} MB${large ? ` (off: ${large.memory.peakRssMb} MB)` : ''}${tracesOn ? `; ${o.spansReceived ?? 0} spans received` : ''}`,
      // Spans must arrive when traces are on: a run that sent none measured nothing.
      pass: o.memory.peakRssMb < 100 && (!tracesOn || (o.spansReceived ?? 0) > 0),
    });
    if (large) {
      v.push({
        target: 'what metrics and traces cost the worker',
        measured: `${o.pagesPerSec} pages/s on, ${large.pagesPerSec} off; peak RSS +${round(o.memory.peakRssMb - large.memory.peakRssMb, 1)} MB`,
        pass: null,
      });
    }
  }
  v.push({ target: 'worker RSS after start-up, nothing to do', measured: `${idle.rssMb} MB`, pass: null });
  for (const r of runs) {
    const o = r.ours;
    if (o && !r.twin.rateLimit) {
      v.push({
        target: `live V8 heap after full GC, max (${r.name})`,
        measured: `${o.gc.maxLiveHeapMb} MB (heap before GC up to ${o.gc.maxHeapBeforeGcMb} MB; peak RSS ${o.memory.peakRssMb} MB)`,
        pass: null,
      });
    }
  }
  for (const r of runs) {
    if (!r.twin.rateLimit && r.ours) {
      const rps = r.ours.requests / r.ours.exportSec;
      v.push({ target: `unthrottled speed (${r.name})`, measured: `${r.ours.pagesPerSec} pages/s, ${round(rps, 1)} req/s = ${round(rps / LIMIT, 1)}× a 3 req/s budget`, pass: null });
    }
  }
  return v;
}

/**
 * Markdown-only exports through `GET /v1/pages/{id}/markdown` instead of block listings: the
 * requests either way, for the bench's workspaces and for content-rich pages (the twin's default
 * 12 blocks a page: toggles, tables, columns, synced blocks). Computed from the twin's structure.
 */
function markdownEndpointEstimates(runs: RunResult[]) {
  const rich = workspaceMinimum(new Workspace({ ...SHAPE, blocksPerPage: 12, blocksPerRow: 3, largePageBlocks: 250, pages: 800, databases: 4, rowsPerDatabase: 40 }));
  const rows = [
    ...runs.map((r) => ({ workspace: `${r.name} (${r.workspace.totalPages} pages, ${r.workspace.blocks} blocks)`, min: r.minimum })),
    { workspace: `content-rich (${rich.counts.pages} pages, ${rich.counts.blocks} blocks)`, min: rich },
  ];
  return rows.map(({ workspace, min }) => ({
    workspace,
    blockListings: min.total,
    pageMarkdown: min.markdownEndpoint.total,
    unknownBlocks: min.markdownEndpoint.unknownBlocks,
    saving: round(1 - min.markdownEndpoint.total / min.total, 3),
  }));
}

function machine() {
  const cpus = os.cpus();
  return {
    cpus: cpus.map((c) => ({ model: c.model, speedMHz: c.speed })),
    cpuCount: cpus.length,
    totalMemGb: round(os.totalmem() / 2 ** 30, 1),
    node: process.version,
    platform: `${os.type()} ${os.release()} ${os.arch()}`,
  };
}

/** The code measured: HEAD and the files changed in the working tree (other people edit while the bench runs). */
function gitState(): { commit: string; dirty: string[] } {
  try {
    const commit = execFileSync('git', ['rev-parse', 'HEAD'], { cwd: ROOT, encoding: 'utf8' }).trim();
    const dirty = execFileSync('git', ['status', '--porcelain'], { cwd: ROOT, encoding: 'utf8' })
      .split('\n')
      .map((l) => l.slice(3).trim())
      .filter((f) => f !== '' && !f.startsWith('bench/'));
    return { commit, dirty };
  } catch {
    return { commit: 'unknown', dirty: [] };
  }
}

// ---- main -----------------------------------------------------------------------------------------

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      quick: { type: 'boolean', default: false },
      runs: { type: 'string' },
      'no-baseline': { type: 'boolean', default: false },
      'worker-flags': { type: 'string' },
      observe: { type: 'string', default: 'metrics,traces' },
      // bench/recovery.ts: see its RecoveryOptions.
      'recovery-exports': { type: 'string' },
      'recovery-workers': { type: 'string' },
      'recovery-lease-ms': { type: 'string' },
      'recovery-db': { type: 'string' },
      'recovery-minutes': { type: 'string' },
    },
  });
  OBSERVED_PARTS = new Set(values.observe.split(',').map((part) => part.trim()));
  const all = values.quick ? QUICK : FULL;
  const wanted = values.runs ? new Set(values.runs.split(',').map((s) => s.trim())) : null;
  const scenarios = wanted ? all.filter((s) => wanted.has(s.name)) : all;
  // Run only when asked for (--runs): the CLI's own memory, and recovery (bench/recovery.ts).
  const CLI_RUNS = ['cli-10k', 'cli-10k-tsx'] as const;
  const cliRuns = CLI_RUNS.filter((name) => wanted?.has(name));
  const recoveryParts = RECOVERY_PARTS.filter((part) => wanted?.has('recovery') || wanted?.has(`recovery-${part}`));
  const others = ['zip', ...CLI_RUNS, 'recovery', ...RECOVERY_PARTS.map((p) => `recovery-${p}`), 'sync-10k', 'parallel'];
  if (scenarios.length === 0 && !others.some((name) => wanted?.has(name))) {
    throw new Error(`--runs takes a comma-separated list of: ${[...all.map((s) => s.name), ...others].join(', ')}`);
  }
  await mkdir(OUT, { recursive: true });

  const started = Date.now();
  const gitAtStart = gitState();
  if (values['worker-flags']) WORKER_NODE_FLAGS.push(...values['worker-flags'].split(/\s+/).filter(Boolean));
  const whatIf = WORKER_NODE_FLAGS.length > 0;
  await buildWorker();
  const idle = await idleFloor();
  log(`idle worker RSS: ${idle.rssMb} MB (node ${workerArgs().join(' ')})`);
  const runs: RunResult[] = [];
  for (const s of scenarios) {
    runs.push(await runScenario(s, s.baseline && !values['no-baseline']));
    process.stderr.write(`\n${table(runs.slice(-1))}\n\n`);
  }
  const cliMemory: CliMemoryResult[] = [];
  for (const name of cliRuns) {
    const r = await runCliMemoryBench(name, OUT);
    log(`${name}: exit ${r.exitCode} in ${r.wallSec} s, ${r.requests} requests, peak RSS ${r.peakRssMb} MB (${r.loader})`);
    cliMemory.push(r);
  }
  // The incremental sync (bench/sync.ts): only when asked for.
  const sync = wanted?.has('sync-10k') ? await runSyncBench('sync-10k', OUT) : undefined;
  const recovery: RecoveryResult | undefined = recoveryParts.length > 0 ? await runRecoveryBench(recoveryParts, OUT, values) : undefined;
  // Several connections at once in one worker (bench/parallel.ts): only when asked for.
  const parallel = wanted?.has('parallel') ? await runParallelBench(OUT, { workerArgs: workerArgs(), log }) : undefined;
  const complete = !values.quick && !wanted && !values['no-baseline'] && !whatIf;
  // The 1 GB zip download: part of a complete run, or asked for with --runs zip.
  let zip: ZipBenchResult | undefined;
  if (complete || wanted?.has('zip')) {
    log('zip: downloading a ~1 GB export as a zip (bench/zip.ts)');
    zip = await runZipBench({ dir: path.join(OUT, 'zip') });
    log(`zip: ${zip.inputMbPerSecZipped} MB/s of input zipped vs ${zip.diskReadMbPerSec} MB/s read from disk; server RSS ${zip.serverRssBeforeMb} → ${zip.serverPeakRssMb} MB`);
  }
  const file = complete ? path.join(ROOT, 'bench', 'results.json') : path.join(OUT, `results-${values.quick ? 'quick' : 'partial'}.json`);
  const checks = verdicts(runs, idle);
  for (const r of cliMemory) {
    checks.push({
      target: `CLI peak RSS < 100 MB exporting ${r.workspace.totalPages} content-rich pages (${r.loader === 'bundle' ? 'npm run notion-sync: the bundle' : 'under tsx'})`,
      measured: `${r.peakRssMb} MB; exit ${r.exitCode}, ${r.wallSec} s, ${r.requests} requests`,
      pass: r.loader === 'bundle' ? r.peakRssMb < 100 && r.exitCode === 0 : null,
    });
  }
  if (recovery) checks.push(...recoveryVerdicts(recovery));
  if (sync) checks.push(...sync.verdicts);
  if (parallel) checks.push(...parallel.verdicts);
  if (zip) {
    checks.push({
      target: 'zip download of a ~1 GB export at disk speed (≥ 0.8 × reading the files)',
      measured: `${zip.inputMbPerSecZipped} vs ${zip.diskReadMbPerSec} MB/s = ${zip.ratioToDisk}×`,
      pass: zip.ratioToDisk >= 0.8,
    });
    checks.push({
      target: 'zip download in flat memory (server RSS grows ≤ 100 MB for 1 GB)',
      measured: `${zip.serverRssBeforeMb} → ${zip.serverPeakRssMb} MB (+${zip.serverRssGrowthMb})`,
      pass: zip.serverRssGrowthMb <= 100,
    });
  }
  const doc = {
    date: new Date().toISOString(),
    mode: values.quick ? 'quick' : complete ? 'full' : 'partial',
    benchSec: round((Date.now() - started) / 1000, 1),
    machine: machine(),
    git: { atStart: gitAtStart, atEnd: gitState() },
    method: 'see bench/README.md',
    formats: FORMATS,
    worker: `node ${workerArgs().join(' ')}`,
    idleWorker: idle,
    verdicts: checks,
    markdownEndpoint: markdownEndpointEstimates(runs),
    zip: zip ? { ...zip, serverRssSamples: undefined } : undefined,
    cliMemory: cliMemory.length > 0 ? cliMemory : undefined,
    recovery,
    sync,
    parallel,
    runs,
  };
  await writeFile(file, `${JSON.stringify(doc, null, 2)}\n`);
  process.stdout.write(`\n${table(runs)}\n\n`);
  for (const c of checks) process.stdout.write(`${c.pass === null ? '  ·' : c.pass ? 'PASS' : 'FAIL'}  ${c.target}: ${c.measured}\n`);
  for (const m of doc.markdownEndpoint) {
    process.stdout.write(`  ·  Markdown only via the page-markdown endpoint, ${m.workspace}: ${m.pageMarkdown} requests instead of ${m.blockListings} (${Math.round(m.saving * 100)}% fewer)\n`);
  }
  process.stdout.write(`\nWrote ${path.relative(ROOT, file)} (${round((Date.now() - started) / 1000, 0)} s).\n`);
  if (!existsSync(file)) process.exitCode = 1;
}

main().catch((error) => {
  process.stderr.write(`bench: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
  process.exit(1);
});
