/**
 * CLI: `npm run twin -- [--port 4100] [--seed 1] [--pages 50] [--databases 3] [--rows 20] [--depth 3]
 * [--blocks 12] [--large 1] [--unshared 0] [--trashed 0] [--linked 1] [--multi-source 1] [--mentions 30]
 * [--file-ttl 3600000] [--rate 3] [--burst 3] [--window-budget 150] [--window-seconds 60]
 * [--workspace-budget 1000] [--workspace-seconds 60] [--token secret_twin] [--latency 100-500]`.
 * Every flag also reads an environment variable (TWIN_PORT, TWIN_SEED, …, TWIN_TOKEN, TWIN_LATENCY).
 */
import { parseArgs } from 'node:util';
import { DEFAULT_TOKEN, type RateLimit, startTwin, type WindowLimit } from './server';

const FLAGS = {
  port: 'TWIN_PORT',
  seed: 'TWIN_SEED',
  pages: 'TWIN_PAGES',
  databases: 'TWIN_DATABASES',
  rows: 'TWIN_ROWS',
  depth: 'TWIN_DEPTH',
  blocks: 'TWIN_BLOCKS',
  large: 'TWIN_LARGE',
  unshared: 'TWIN_UNSHARED',
  trashed: 'TWIN_TRASHED',
  linked: 'TWIN_LINKED',
  'multi-source': 'TWIN_MULTI_SOURCE',
  mentions: 'TWIN_MENTIONS',
  'file-ttl': 'TWIN_FILE_TTL',
  rate: 'TWIN_RATE',
  burst: 'TWIN_BURST',
  'window-budget': 'TWIN_WINDOW_BUDGET',
  'window-seconds': 'TWIN_WINDOW_SECONDS',
  'workspace-budget': 'TWIN_WORKSPACE_BUDGET',
  'workspace-seconds': 'TWIN_WORKSPACE_SECONDS',
  token: 'TWIN_TOKEN',
  latency: 'TWIN_LATENCY',
  host: 'TWIN_HOST',
} as const;
type Flag = keyof typeof FLAGS;

function fail(message: string): never {
  console.error(`notion-twin: ${message}`);
  process.exit(2);
}

const { values } = parseArgs({
  options: Object.fromEntries(
    [...Object.keys(FLAGS), 'help'].map((k) => [k, k === 'help' ? { type: 'boolean' as const } : k === 'token' ? { type: 'string' as const, multiple: true } : { type: 'string' as const }]),
  ),
  strict: true,
});

if (values.help) {
  console.log(
    'usage: tsx e2e/notion-twin/main.ts [--port 4100] [--seed 1] [--pages 50] [--databases 3] [--rows 20] [--depth 3] [--blocks 12] [--large 1] [--unshared 0] [--trashed 0] [--linked 1] [--multi-source 1] [--mentions 30] [--file-ttl 3600000] [--rate 3] [--burst 3] [--window-budget 150] [--window-seconds 60] [--workspace-budget 1000] [--workspace-seconds 60] [--token secret_twin]… [--latency 100-500] [--host 127.0.0.1]',
  );
  process.exit(0);
}

function raw(flag: Flag): string | undefined {
  const v: unknown = values[flag];
  const last: unknown = Array.isArray(v) ? v.at(-1) : v;
  if (typeof last === 'string') return last;
  return process.env[FLAGS[flag]] || undefined;
}

function int(flag: Flag): number | undefined {
  const v = raw(flag);
  if (v === undefined) return undefined;
  if (!/^\d+$/.test(v)) fail(`--${flag} must be a non-negative integer, got "${v}"`);
  return Number(v);
}

function num(flag: Flag): number | undefined {
  const v = raw(flag);
  if (v === undefined) return undefined;
  const n = Number(v);
  if (!(n > 0)) fail(`--${flag} must be a positive number, got "${v}"`);
  return n;
}

const latencyRaw = raw('latency');
let latencyMs: [number, number] | null = null;
if (latencyRaw !== undefined) {
  const m = /^(\d+)(?:-(\d+))?$/.exec(latencyRaw);
  if (!m) fail(`--latency must be "min-max" or "ms", got "${latencyRaw}"`);
  latencyMs = [Number(m[1]), Number(m[2] ?? m[1])];
}

const tokenFlag = values.token;
const tokens = Array.isArray(tokenFlag) && tokenFlag.length > 0 ? tokenFlag.filter((t): t is string => typeof t === 'string') : process.env.TWIN_TOKEN ? process.env.TWIN_TOKEN.split(',') : [DEFAULT_TOKEN];
const rate = num('rate');

/** A fixed-window limit from `--<prefix>-budget` (requests, ≥ 1) and `--<prefix>-seconds` (default 60). */
function windowLimit(prefix: 'window' | 'workspace'): WindowLimit | null {
  const budget = int(`${prefix}-budget`);
  const seconds = num(`${prefix}-seconds`);
  if (budget === undefined) {
    if (seconds !== undefined) fail(`--${prefix}-seconds needs --${prefix}-budget`);
    return null;
  }
  if (budget < 1) fail(`--${prefix}-budget must be ≥ 1, got ${budget}`);
  return { windowMs: (seconds ?? 60) * 1000, budget };
}

const connectionWindow = windowLimit('window');
const workspaceWindow = windowLimit('workspace');
if (rate && connectionWindow) fail('--rate (token bucket) and --window-budget (fixed window) are alternatives; give one');
const rateLimit: RateLimit | null = connectionWindow ?? (rate ? { requestsPerSecond: rate, burst: int('burst') } : null);

function describeLimits(): string {
  const parts: string[] = [];
  if (rate) parts.push(`rate: ${rate}/s`);
  if (connectionWindow) parts.push(`per token: ${connectionWindow.budget}/${connectionWindow.windowMs / 1000} s`);
  if (workspaceWindow) parts.push(`workspace: ${workspaceWindow.budget}/${workspaceWindow.windowMs / 1000} s`);
  return parts.map((p) => `, ${p}`).join('');
}

async function main(): Promise<void> {
const twin = await startTwin({
  port: int('port') ?? 4100,
  host: raw('host'),
  tokens,
  rateLimit,
  workspaceRateLimit: workspaceWindow,
  latencyMs,
  fileUrlTtlMs: int('file-ttl'),
  workspace: {
    seed: int('seed'),
    pages: int('pages'),
    databases: int('databases'),
    rowsPerDatabase: int('rows'),
    depth: int('depth'),
    blocksPerPage: int('blocks'),
    largePages: int('large'),
    unsharedPages: int('unshared'),
    trashedPages: int('trashed'),
    linkedDatabases: int('linked'),
    multiSourceDatabases: int('multi-source'),
    manyMentionRefs: int('mentions'),
  },
}).catch((err: unknown) => fail(err instanceof Error ? err.message : String(err)));

const s = twin.workspace.summary();
console.log(
  `Notion twin listening on ${twin.url} (token: ${tokens.join(', ')}, pages: ${s.pages + s.rows}, databases: ${s.databases} (${s.dataSources} data sources, ${s.linkedDatabases} linked views), unshared: ${s.unshared}${describeLimits()}${latencyMs ? `, latency: ${latencyMs[0]}-${latencyMs[1]} ms` : ''})`,
);

const shutdown = (signal: string) => {
  console.log(`notion-twin: ${signal}, closing`);
  twin.close().then(
    () => process.exit(0),
    () => process.exit(1),
  );
};
process.once('SIGINT', () => shutdown('SIGINT'));
process.once('SIGTERM', () => shutdown('SIGTERM'));
}

void main();
