/**
 * The CLI exporting 10,000 content-rich pages (`npm run bench -- --runs cli-10k`): started exactly
 * as `npm run notion-sync -- export --out <dir>` starts it (its pre-script builds dist/cli.cjs, then
 * `node <the flags in package.json> dist/cli.cjs`), every format, against an unthrottled twin; its
 * peak RSS is the point. `cli-10k-tsx` runs the same export under the TypeScript loader, as the CLI
 * ran before it was bundled (`node --import tsx server/cli.ts`), for comparison.
 */
import { spawn } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { mkdir, rm } from 'node:fs/promises';
import path from 'node:path';
import { startTwin, type WorkspaceOptions } from '@/e2e/notion-twin';
import { type ProcessUsage, ProcessSampler, round } from './measure';
import { log, nodeArgsOfScript, ROOT, runPreScript, sleep } from './processes';

/** 8,000 pages + 39 databases × 50 rows = 10,000 pages, with the twin's default 12 blocks a page (toggles, tables, columns, files…). */
export const CONTENT_RICH_10K: WorkspaceOptions = {
  seed: 1,
  depth: 3,
  pages: 8000,
  databases: 39,
  rowsPerDatabase: 50,
  blocksPerPage: 12,
  blocksPerRow: 3,
  largePages: 1,
  largePageBlocks: 250,
  linkedDatabases: 0,
  unsharedPages: 0,
};

export interface CliMemoryResult {
  name: string;
  /** How the CLI ran: its bundle with plain node, or its TypeScript under tsx. */
  loader: 'bundle' | 'tsx';
  command: string;
  workspace: WorkspaceOptions & { totalPages: number };
  exitCode: number | null;
  /** The CLI's last `--progress json` record (`type: result`). */
  result: Record<string, unknown> | null;
  wallSec: number;
  requests: number;
  /** Peak RSS: the kernel's maximum for the process (GNU time's %M) when available, else the /proc polling's. */
  peakRssMb: number;
  memory: ProcessUsage;
}

/** The CLI's process: GNU time's child when the bench wraps it (to read the exact peak), else the spawned one. */
async function cliPid(wrapperPid: number, wrapped: boolean): Promise<number> {
  if (!wrapped) return wrapperPid;
  for (let i = 0; i < 200; i++) {
    try {
      const children = readFileSync(`/proc/${wrapperPid}/task/${wrapperPid}/children`, 'utf8').trim();
      if (children) return Number(children.split(/\s+/)[0]);
    } catch {
      // not there yet
    }
    await sleep(10);
  }
  return wrapperPid;
}

export async function runCliMemoryBench(name: 'cli-10k' | 'cli-10k-tsx', out: string, workspace = CONTENT_RICH_10K): Promise<CliMemoryResult> {
  const loader = name.endsWith('-tsx') ? 'tsx' : 'bundle';
  const dir = path.join(out, name);
  await rm(dir, { recursive: true, force: true });
  await mkdir(dir, { recursive: true });
  const twin = await startTwin({ workspace });
  const totalPages = twin.workspace.allPages().length;
  log(`${name}: ${totalPages} pages (${twin.workspace.summary().rows} rows), content-rich, every format, twin unthrottled`);
  try {
    let cli: string[];
    if (loader === 'bundle') {
      await runPreScript('notion-sync');
      cli = nodeArgsOfScript('notion-sync');
    } else {
      cli = ['--import', 'tsx', 'server/cli.ts'];
    }
    const args = [...cli, 'export', '--out', path.join(dir, 'export'), '--progress', 'json'];
    const time = existsSync('/usr/bin/time') ? '/usr/bin/time' : undefined;
    const env = {
      ...process.env,
      DATABASE_URL: `file:${path.join(dir, 'state.db')}`,
      NOTION_SYNC_SECRET: 'bench-secret-bench-secret',
      NOTION_TOKEN: 'secret_twin',
      NOTION_BASE_URL: twin.url,
      NOTION_RATE_LIMIT: '1000',
      NOTION_SYNC_ENV: 'development',
    };
    const started = Date.now();
    const child = time
      ? spawn(time, ['-f', 'bench-max-rss-kb %M', process.execPath, ...args], { cwd: ROOT, env, stdio: ['ignore', 'ignore', 'pipe'] })
      : spawn(process.execPath, args, { cwd: ROOT, env, stdio: ['ignore', 'ignore', 'pipe'] });
    if (child.pid === undefined) throw new Error('could not start the CLI');
    let stderr = '';
    child.stderr?.on('data', (d: Buffer) => {
      stderr += d.toString();
      if (stderr.length > 1_000_000) stderr = stderr.slice(-200_000);
    });
    const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
    const sampler = new ProcessSampler(await cliPid(child.pid, time !== undefined), 100);
    const code = await exited;
    const memory = sampler.finish();
    const wallSec = round((Date.now() - started) / 1000, 1);
    const lines = stderr.trim().split('\n');
    const timed = /bench-max-rss-kb (\d+)/.exec(stderr);
    const last = lines.filter((l) => l.startsWith('{"type":"result"')).at(-1);
    const result = last ? (JSON.parse(last) as Record<string, unknown>) : null;
    if (!result) log(`${name}: no result record; the CLI's last lines:\n${lines.slice(-10).join('\n')}`);
    const peakRssMb = timed ? round(Number(timed[1]) / 1024, 1) : memory.peakRssMb;
    return {
      name,
      loader,
      command: `node ${args.join(' ')}`,
      workspace: { ...workspace, totalPages },
      // GNU time exits with its command's code.
      exitCode: code,
      result,
      wallSec,
      requests: twin.stats().requests,
      peakRssMb,
      memory,
    };
  } finally {
    await twin.close();
  }
}
