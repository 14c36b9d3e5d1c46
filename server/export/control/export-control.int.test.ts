import fs from 'node:fs';
import path from 'node:path';
import { eq } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { exports } from '@/db/schema';
import { startTwin, type Twin } from '@/e2e/notion-twin/index';
import { createConnection, updateConnectionToken } from '@/server/connections/connections';
import { Runner } from '@/server/runner/runner';
import { exportRow } from '@/server/testing/export-row';
import { createTestContext, type TestContext } from '@/server/testing/test-context';
import { cancelExport, pauseExport, resumeAuthPausedExports, resumeExport, retryFailedPages } from './export-control';
import { exportStreamId } from '@/server/export/domain/export';
import { verifyManifest } from '@/server/export/files/manifest';
import { requestExport } from './request-export';

let twin: Twin;
beforeAll(async () => {
  twin = await startTwin({
    workspace: { seed: 21, pages: 60, databases: 2, rowsPerDatabase: 6, linkedDatabases: 0 },
    latencyMs: [2, 6],
  });
});
afterAll(async () => {
  await twin.close();
});

const hex = (id: string) => id.replace(/-/g, '');
const row = async (ctx: TestContext, id: string) => (await ctx.database.db.select().from(exports).where(eq(exports.id, id)))[0]!;

function listFiles(root: string): string[] {
  if (!fs.existsSync(root)) return [];
  return fs
    .readdirSync(root, { recursive: true, withFileTypes: true })
    .filter((d) => d.isFile())
    .map((d) => path.relative(root, path.join(d.parentPath, d.name)).split(path.sep).join('/'));
}

async function setup(outDir?: string) {
  const ctx = await createTestContext({ notionRetry: { maxAttempts: 2, baseDelayMs: 5, maxDelayMs: 10 } });
  const connection = await createConnection(ctx, { token: 'secret_twin', baseUrl: twin.url });
  const exportId = await requestExport(ctx, { connectionId: connection.id, formats: ['json'], requestedBy: 'dashboard', outDir });
  return { ctx, connection, exportId };
}

/** Runs the runner until the export has done `pages` items, then lets `act` interrupt it. */
async function runUntil(ctx: TestContext, exportId: string, pages: number, act: () => Promise<void>) {
  // A runner of this process, as in the dashboard's server: a cancel stops it and waits for it.
  const runner = new Runner(ctx, { heartbeatMs: 50 });
  const outcome = runner.runOnce();
  await exportRow(ctx, exportId, (r) => r.pagesDone >= pages);
  await act();
  return outcome;
}

describe('controlling an export', () => {
  it('pauses at a checkpoint, records nothing more, and resumes to a complete export', async () => {
    const { ctx, exportId } = await setup();
    try {
      const outcome = await runUntil(ctx, exportId, 10, () => pauseExport(ctx, exportId, 'a test'));
      expect(await outcome).toBe('aborted');
      const paused = await row(ctx, exportId);
      // A pause someone chose is the reason of the status, not an error.
      expect(paused).toMatchObject({ status: 'paused', statusReason: 'Paused by a test', lastError: null, runningSince: null });
      const version = paused.streamVersion;
      expect(await new Runner(ctx).runOnce()).toBeUndefined(); // a paused export is not claimable
      expect((await row(ctx, exportId)).streamVersion).toBe(version);

      await resumeExport(ctx, exportId, 'a test');
      expect(await new Runner(ctx).runOnce()).toBe('completed');
      const done = await row(ctx, exportId);
      // The pause was no attempt; its time is not running time.
      expect(done).toMatchObject({ attempt: 1, statusReason: null });
      expect(done.activeMs).toBeLessThanOrEqual(done.finishedAt!.getTime() - done.startedAt!.getTime());
      const files = listFiles(done.outDir);
      for (const page of twin.workspace.allPages()) expect(files.filter((f) => f.endsWith(`${hex(page.id)}.json`))).toHaveLength(1);
      expect(await verifyManifest(done.outDir)).toMatchObject({ missing: [], changed: [], extra: [] });
      await expect(pauseExport(ctx, exportId, 'a test')).rejects.toThrow(/Cannot pause an export that is completed/);
    } finally {
      await ctx.cleanup();
    }
  });

  it('cancels a running export and removes its folder, keeping the history', async () => {
    const { ctx, exportId } = await setup();
    try {
      const outDir = (await row(ctx, exportId)).outDir;
      const outcome = await runUntil(ctx, exportId, 10, () => cancelExport(ctx, exportId, 'not needed'));
      expect(await outcome).toBe('aborted');
      expect(fs.existsSync(outDir)).toBe(false);
      expect(await row(ctx, exportId)).toMatchObject({ status: 'cancelled' });
      const events = await ctx.store.readStream(exportStreamId(exportId));
      expect(events.map((e) => e.type)).toContain('PagesExported');
      expect(events.at(-1)!.type).toBe('ExportCancelled');
    } finally {
      await ctx.cleanup();
    }
  });

  it('cancelling an export into a folder of the user removes only what it wrote', async () => {
    const ctx0 = await createTestContext();
    const outDir = path.join(ctx0.dir, 'mine');
    fs.mkdirSync(outDir);
    fs.writeFileSync(path.join(outDir, 'notes.txt'), 'keep me');
    const { ctx, exportId } = await setup(outDir);
    try {
      const outcome = await runUntil(ctx, exportId, 10, () => cancelExport(ctx, exportId, 'not needed'));
      expect(await outcome).toBe('aborted');
      expect(listFiles(outDir)).toEqual(['notes.txt']);
    } finally {
      await ctx.cleanup();
      await ctx0.cleanup();
    }
  });

  it('retries the pages that failed, and completes without errors when they can be read now', async () => {
    const { ctx, exportId } = await setup();
    try {
      twin.injectFault({ kind: 'error', status: 404, code: 'object_not_found' }, { times: 2, endpoint: 'blocks.children.list' });
      expect(await new Runner(ctx).runOnce()).toBe('completed_with_errors');
      expect((await row(ctx, exportId)).pagesFailed).toBe(2);
      await expect(retryFailedPages(ctx, exportId, ['not-a-failed-page'])).rejects.toThrow(/not among the pages that failed/);
      expect(await retryFailedPages(ctx, exportId)).toBe(2);
      expect(await row(ctx, exportId)).toMatchObject({ status: 'queued', phase: 'exporting', pagesFailed: 0 });
      expect(await new Runner(ctx).runOnce()).toBe('completed');
      const done = await row(ctx, exportId);
      expect(done).toMatchObject({ status: 'completed', pagesFailed: 0, retriedPages: { requested: 2, exported: 2, failed: 0 } });
      const report = JSON.parse(fs.readFileSync(path.join(done.outDir, 'report.json'), 'utf8'));
      expect(report.skipped).toEqual([]);
      expect(await verifyManifest(done.outDir)).toMatchObject({ missing: [], changed: [], extra: [] });
    } finally {
      twin.clearFaults();
      await ctx.cleanup();
    }
  });

  it('pauses when Notion refuses the token, and resumes once the connection is fixed', async () => {
    const { ctx, connection, exportId } = await setup();
    try {
      twin.injectFault({ kind: 'error', status: 401, code: 'unauthorized' }, { times: 1_000_000, endpoint: 'blocks.children.list' });
      expect(await new Runner(ctx).runOnce()).toBe('paused');
      const paused = await row(ctx, exportId);
      expect(paused.status).toBe('paused');
      expect(paused.lastError).toMatch(/rejected the integration token.*paused/is);
      twin.clearFaults();
      await updateConnectionToken(ctx, connection.id, 'secret_twin');
      const resumed = await resumeAuthPausedExports(ctx, connection.id);
      expect(resumed).toEqual([exportId]);
      expect(await new Runner(ctx).runOnce()).toBe('completed');
    } finally {
      twin.clearFaults();
      await ctx.cleanup();
    }
  });
});
