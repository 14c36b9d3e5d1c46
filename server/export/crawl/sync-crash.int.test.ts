/**
 * A sync killed (SIGKILL) at each of its commit boundaries, then run again, ends exactly where an
 * uninterrupted one would: the folder equals a fresh full export of the changed workspace, file
 * by file, its manifest verifies, and no move or removal is left half done.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { eq } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { exports } from '@/db/schema';
import { ARCHIVE_ROOT_NAMES } from '@/server/export/archive/index-page';
import { startTwin, type Twin } from '@/e2e/notion-twin';
import { createConnection } from '@/server/connections/connections';
import { requestSync } from '@/server/export/control/request-export';
import { verifyManifest } from '@/server/export/files/manifest';
import type { Failpoint } from '@/server/failpoints';
import { Runner } from '@/server/runner/runner';
import { cliEnv, messagesOf, parseRecords, type Spawned, spawnCli, spawnScript } from '@/server/testing/export-checks';
import { createTestContext, type TestContext } from '@/server/testing/test-context';
import { withoutVolatileParts } from '@/server/export/files/volatile-parts';

const SCENARIOS: { failpoint: Failpoint; at: number }[] = [
  { failpoint: 'sync-after-linking', at: 1 },
  { failpoint: 'sync-after-carry-over', at: 1 },
  { failpoint: 'after-rename', at: 3 },
  { failpoint: 'sync-mid-removal', at: 1 },
  { failpoint: 'before-manifest', at: 1 },
];

let twin: Twin;
let dir: string;
let fresh: string;
/** Snapshot mode (the schedules' and the dashboard's): per scenario, a database whose connection has a finished export. */
const snapshots = new Map<Failpoint, { ctx: TestContext; connectionId: string; baselineId: string; baselineDir: string }>();
const workers: Spawned[] = [];
const hex = (id: string) => id.replace(/-/g, '');

beforeAll(async () => {
  twin = await startTwin({ workspace: { seed: 13, pages: 30, databases: 1, rowsPerDatabase: 5, depth: 3, largePages: 0, linkedDatabases: 0 } });
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'notion-sync-sync-crash-'));
  // Every scenario's folder starts as a full export of the same workspace…
  for (const { failpoint } of SCENARIOS) {
    const first = await spawnCli(['sync', '--out', path.join(dir, failpoint)], cliEnv(twin, path.join(dir, `${failpoint}.db`))).done;
    expect(first.code, first.stderr).toBe(0);
  }
  for (const { failpoint } of SCENARIOS) {
    const ctx = await createTestContext();
    const { id: connectionId } = await createConnection(ctx, { token: 'secret_twin', baseUrl: twin.url });
    const { exportId } = await requestSync(ctx, { connectionId, trigger: 'schedule' });
    const runner = new Runner(ctx, { concurrency: 4 });
    while ((await runner.runOnce()) !== undefined) {}
    const [row] = await ctx.database.db.select().from(exports).where(eq(exports.id, exportId));
    expect(row?.status).toBe('completed');
    snapshots.set(failpoint, { ctx, connectionId, baselineId: exportId, baselineDir: row!.outDir });
  }
  // …which then changes: an edit, a move of a page with children, a page trashed, one added.
  const pages = twin.workspace.allPages().filter((p) => p.kind === 'page');
  const parentOf = (p: (typeof pages)[number]) => (p.parent.type === 'page_id' ? p.parent.pageId : null);
  const below = (id: string, ancestor: string): boolean => {
    for (let at = pages.find((p) => p.id === id); at; at = pages.find((p) => p.id === parentOf(at!))) if (at.id === ancestor) return true;
    return false;
  };
  const moving = pages.find((p) => p.depth === 2 && pages.some((c) => parentOf(c) === p.id))!;
  const to = pages.find((p) => p.depth === 1 && p.id !== parentOf(moving))!;
  twin.workspace.movePage(moving.id, { parentId: to.id });
  const leaves = pages.filter((p) => p.depth >= 1 && p.id !== to.id && p.id !== parentOf(moving) && !pages.some((c) => parentOf(c) === p.id) && !below(p.id, moving.id));
  twin.workspace.editPage(leaves[0]!.id);
  twin.workspace.trash(leaves[1]!.id);
  twin.workspace.addPage({ parentId: to.id, title: 'Added before the crash' });
  fresh = path.join(dir, 'fresh');
  const expected = await spawnCli(['export', '--out', fresh], cliEnv(twin, path.join(dir, 'fresh.db'))).done;
  expect(expected.code, expected.stderr).toBe(0);
  expect(fs.readdirSync(fresh, { recursive: true }).map(String).some((f) => f.includes(hex(moving.id)) && f.includes(hex(to.id)))).toBe(true);
}, 180_000);

afterAll(async () => {
  for (const w of workers) if (w.child.exitCode === null && w.child.signalCode === null) w.child.kill('SIGKILL');
  await Promise.all(workers.map((w) => w.done));
  for (const { ctx } of snapshots.values()) await ctx.cleanup();
  await twin?.close();
  if (dir) fs.rmSync(dir, { recursive: true, force: true });
});

function tree(root: string): Map<string, string> {
  const out = new Map<string, string>();
  for (const entry of fs.readdirSync(root, { recursive: true, withFileTypes: true })) {
    if (!entry.isFile()) continue;
    const rel = path.relative(root, path.join(entry.parentPath, entry.name)).split(path.sep).join('/');
    // The export's own pages (report, manifest, the archive's index and search) describe the export itself.
    if (ARCHIVE_ROOT_NAMES.includes(rel.split('/')[0]!.replace(/\.[^.]*$/, ''))) continue;
    out.set(rel, withoutVolatileParts(fs.readFileSync(path.join(root, rel), 'utf8')));
  }
  return out;
}

function differences(actual: string, expected: string): string[] {
  const a = tree(actual);
  const b = tree(expected);
  const out = [...a].flatMap(([p, text]) => (!b.has(p) ? [`extra: ${p}`] : b.get(p) !== text ? [`differs: ${p}`] : []));
  for (const p of b.keys()) if (!a.has(p)) out.push(`missing: ${p}`);
  return out.sort();
}

describe('a sync killed at each of its commit boundaries, then run again', () => {
  for (const { failpoint, at } of SCENARIOS) {
    it(`${failpoint}:${at}`, { timeout: 120_000 }, async () => {
      const out = path.join(dir, failpoint);
      const state = path.join(dir, `${failpoint}.db`);
      const log = path.join(dir, `${failpoint}.log`);
      const args = ['sync', '--out', out, '--progress', 'json'];
      const killed = await spawnCli(args, cliEnv(twin, state, { NOTION_SYNC_FAILPOINTS: `${failpoint}:${at}`, NOTION_SYNC_FAILPOINT_LOG: log })).done;
      expect(killed.signal, killed.stderr).toBe('SIGKILL');
      expect(fs.readFileSync(log, 'utf8')).toBe(`failpoint ${failpoint} reached\n`);

      const again = await spawnCli(args, cliEnv(twin, state)).done;
      expect(again.code, again.stderr).toBe(0);
      const { records } = parseRecords(again.stderr);
      expect(messagesOf(records)[0]).toMatch(/^Resuming export /);
      expect(differences(out, fresh)).toEqual([]);
      const verify = await spawnCli(['verify', out], {}).done;
      expect(verify.code, verify.stdout).toBe(0);
      const report = JSON.parse(fs.readFileSync(path.join(out, 'report.json'), 'utf8'));
      expect(report.changes.added).toHaveLength(1);
      expect(report.changes.removed).toEqual([expect.objectContaining({ reason: 'in trash' })]);
    });
  }
});

/** A worker process (what runs scheduled syncs) on the scenario's database; a short lease, so the next one takes over soon after a kill. */
function startWorker(ctx: TestContext, extra: Record<string, string | undefined> = {}): Spawned {
  const worker = spawnScript('server/worker.ts', [], {
    DATABASE_URL: ctx.config.databaseUrl,
    NOTION_SYNC_SECRET: ctx.config.secret,
    NOTION_SYNC_ENV: 'development',
    EXPORTS_DIR: ctx.config.exportsDir,
    DATA_DIR: ctx.dir,
    RUNNER_LEASE_MS: '2000',
    NOTION_RATE_LIMIT: '1000',
    METRICS_PORT: undefined,
    ...extra,
  });
  workers.push(worker);
  return worker;
}

async function until<T>(what: string, read: () => Promise<T | undefined>, timeoutMs = 90_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await read();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`${what}: not within ${timeoutMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

describe('a snapshot sync (a new folder linked to the baseline’s) killed at each of its commit boundaries, then taken over', () => {
  for (const { failpoint, at } of SCENARIOS) {
    it(`${failpoint}:${at}`, { timeout: 150_000 }, async () => {
      const { ctx, connectionId, baselineId, baselineDir } = snapshots.get(failpoint)!;
      const { exportId, baselineExportId } = await requestSync(ctx, { connectionId, trigger: 'schedule' });
      expect(baselineExportId).toBe(baselineId);
      const log = path.join(ctx.dir, 'failpoint.log');
      const killed = await startWorker(ctx, { NOTION_SYNC_FAILPOINTS: `${failpoint}:${at}`, NOTION_SYNC_FAILPOINT_LOG: log }).done;
      expect(killed.signal, killed.stderr).toBe('SIGKILL');
      expect(fs.readFileSync(log, 'utf8')).toBe(`failpoint ${failpoint} reached\n`);

      const worker = startWorker(ctx);
      const row = await until('the sync ends', async () => {
        const [r] = await ctx.database.db.select().from(exports).where(eq(exports.id, exportId));
        return r && ['completed', 'completed_with_errors', 'failed', 'cancelled'].includes(r.status) ? r : undefined;
      });
      worker.child.kill('SIGTERM');
      await worker.done;
      expect(row.status).toBe('completed');
      expect(row.outDir).not.toBe(baselineDir);
      expect(differences(row.outDir, fresh)).toEqual([]);
      expect(await verifyManifest(row.outDir)).toEqual({ missing: [], changed: [], extra: [] });
      // The baseline's folder shares its unchanged files (hard links) and is as it was.
      expect(await verifyManifest(baselineDir)).toEqual({ missing: [], changed: [], extra: [] });
      expect(row.changes?.added).toHaveLength(1);
      expect(row.changes?.removed).toEqual([expect.objectContaining({ reason: 'in trash' })]);
    });
  }
});
