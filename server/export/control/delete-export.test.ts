import fs from 'node:fs';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { handle } from '@/server/export/domain/handle';
import { exportStreamId } from '@/server/export/domain/export';
import { completeTestExport, requestTestExport, seedConnections } from '@/server/testing/seed';
import { writeFiles } from '@/server/testing/files';
import { createTestContext, type TestContext } from '@/server/testing/test-context';
import { deleteExport } from './delete-export';
import * as exportFolderModule from './export-folder';
import { measureFolder, ownExportFolder } from './export-folder';

let ctx: TestContext;
beforeEach(async () => {
  ctx = await createTestContext();
  await seedConnections(ctx, ['c1']);
});
afterEach(async () => {
  vi.restoreAllMocks();
  await ctx.cleanup();
});

const ownDir = (id: string) => path.join(ctx.config.exportsDir, id);


/** Row counts of every table that holds something of `exportId`, and its events. */
async function rowsOf(exportId: string): Promise<Record<string, number>> {
  const counts: Record<string, number> = {};
  for (const [table, column] of [
    ['exports', 'id'],
    ['export_items', 'export_id'],
    ['export_files', 'export_id'],
    ['export_issues', 'export_id'],
    ['export_page_objects', 'export_id'],
    ['export_jobs', 'export_id'],
  ]) {
    const result = await ctx.database.client.execute({ sql: `select count(*) as n from ${table} where ${column} = ?`, args: [exportId] });
    counts[table as string] = Number(result.rows[0]?.n);
  }
  const events = await ctx.database.client.execute({ sql: 'select count(*) as n from events where stream_id = ?', args: [exportStreamId(exportId)] });
  counts.events = Number(events.rows[0]?.n);
  return counts;
}

const NONE = { exports: 0, export_items: 0, export_files: 0, export_issues: 0, export_page_objects: 0, export_jobs: 0, events: 0 };

/** An export with a row in every read model: items, files, an issue, a cached page object. */
async function exportWithEverything(id: string, outDir: string): Promise<void> {
  await requestTestExport(ctx, id, 'c1', outDir);
  await handle(ctx.store, id, { type: 'StartExport', data: { attempt: 1, runner: 'r' } });
  const item = { id: 'p1', kind: 'page' as const, title: 'P1', parentId: null, dir: '', stem: 'P1', status: 'pending' as const };
  await handle(ctx.store, id, {
    type: 'RecordProgress',
    data: {
      discovered: [item],
      exported: [
        {
          id: 'p1',
          files: [{ path: 'P1.md', bytes: 5, sha256: '0'.repeat(64), sourceId: 'p1' }],
          issues: [{ kind: 'unsupported_block', sourceId: 'b1', message: 'not supported' }],
        },
      ],
      failed: [],
      stats: { requests: 1, rateLimited: 0, retries: 0 },
    },
  });
  await ctx.database.client.execute({ sql: "insert into export_page_objects (export_id, page_id, data) values (?, 'p9', '{}')", args: [id] });
}

describe('deleteExport', () => {
  it("removes a dashboard export's folder, its rows in every read model and its events, and says how much it freed", async () => {
    writeFiles(ownDir('e1'), { 'P1.md': '# P1\n', 'attachments/0123456789abcdef/a.png': 'png!', 'report.json': '{}' });
    await exportWithEverything('e1', ownDir('e1'));
    await handle(ctx.store, 'e1', { type: 'PauseExport', data: { reason: 'by a test', cause: 'user' } });
    // Another export stays as it was.
    writeFiles(ownDir('e2'), { 'P.md': 'x' });
    await exportWithEverything('e2', ownDir('e2'));
    expect(Object.values(await rowsOf('e1')).every((n) => n > 0)).toBe(true);

    expect(await deleteExport(ctx, 'e1')).toEqual({ filesRemoved: true, bytes: 5 + 4 + 2 });
    expect(fs.existsSync(ownDir('e1'))).toBe(false);
    expect(await rowsOf('e1')).toEqual(NONE);
    expect(Object.values(await rowsOf('e2')).every((n) => n > 0)).toBe(true);
    expect(fs.readFileSync(path.join(ownDir('e2'), 'P.md'), 'utf8')).toBe('x');
    // Nothing is left to resume: the stream is gone.
    await expect(handle(ctx.store, 'e1', { type: 'ResumeExport', data: { by: 'a test' } })).rejects.toThrow(/does not exist/);
  });

  it('refuses an export that is queued or running, with what to do, and touches nothing', async () => {
    writeFiles(ownDir('q1'), { 'a.md': 'a' });
    await requestTestExport(ctx, 'q1', 'c1', ownDir('q1'));
    await expect(deleteExport(ctx, 'q1')).rejects.toMatchObject({ code: 'INVALID_STATE', message: 'Export q1 is queued: cancel it first, then delete it' });
    await handle(ctx.store, 'q1', { type: 'StartExport', data: { attempt: 1, runner: 'r' } });
    await expect(deleteExport(ctx, 'q1')).rejects.toMatchObject({ code: 'INVALID_STATE', message: /is running: cancel it first/ });
    expect(fs.existsSync(path.join(ownDir('q1'), 'a.md'))).toBe(true);
    expect((await rowsOf('q1')).exports).toBe(1);
  });

  it('answers NOT_FOUND for an export that does not exist', async () => {
    await expect(deleteExport(ctx, 'nope')).rejects.toMatchObject({ code: 'NOT_FOUND' });
  });

  it('keeps the files of a CLI export written outside EXPORTS_DIR, and says so', async () => {
    const outDir = path.join(ctx.dir, 'my-export');
    writeFiles(outDir, { 'P1.md': '# P1\n', 'notes.txt': 'mine' });
    await requestTestExport(ctx, 'cli1', 'c1', outDir);
    await completeTestExport(ctx, 'cli1', ['P1.md']);
    expect(await deleteExport(ctx, 'cli1')).toEqual({ filesRemoved: false, bytes: 0 });
    expect(fs.readdirSync(outDir).sort()).toEqual(['P1.md', 'notes.txt']);
    expect(await rowsOf('cli1')).toEqual(NONE);
  });

  it('never follows a link out: a folder that is a link is left alone, and links inside are removed, not their targets', async () => {
    const outside = path.join(ctx.dir, 'outside');
    writeFiles(outside, { 'keep.txt': 'keep' });
    fs.mkdirSync(ctx.config.exportsDir, { recursive: true });
    fs.symlinkSync(outside, ownDir('link1'));
    await requestTestExport(ctx, 'link1', 'c1', ownDir('link1'));
    await completeTestExport(ctx, 'link1');
    expect(await deleteExport(ctx, 'link1')).toEqual({ filesRemoved: false, bytes: 0 });
    expect(fs.readFileSync(path.join(outside, 'keep.txt'), 'utf8')).toBe('keep');

    writeFiles(ownDir('e3'), { 'P.md': 'abc' });
    fs.symlinkSync(path.join(outside, 'keep.txt'), path.join(ownDir('e3'), 'keep.txt'));
    fs.symlinkSync(outside, path.join(ownDir('e3'), 'outside'));
    await requestTestExport(ctx, 'e3', 'c1', ownDir('e3'));
    await completeTestExport(ctx, 'e3');
    expect(await deleteExport(ctx, 'e3')).toEqual({ filesRemoved: true, bytes: 3 });
    expect(fs.existsSync(ownDir('e3'))).toBe(false);
    expect(fs.readdirSync(outside)).toEqual(['keep.txt']);
  });

  it('deletes a cancelled export whose files are already gone', async () => {
    writeFiles(ownDir('c9'), { 'P.md': 'abc' });
    await requestTestExport(ctx, 'c9', 'c1', ownDir('c9'));
    await handle(ctx.store, 'c9', { type: 'CancelExport', data: { reason: 'test' } });
    fs.rmSync(ownDir('c9'), { recursive: true });
    expect(await deleteExport(ctx, 'c9')).toEqual({ filesRemoved: false, bytes: 0 });
    expect(await rowsOf('c9')).toEqual(NONE);
  });

  it('refuses (CONFLICT) and keeps the rows when the export was resumed while its files were being removed', async () => {
    writeFiles(ownDir('r1'), { 'P.md': 'abc' });
    await requestTestExport(ctx, 'r1', 'c1', ownDir('r1'));
    await handle(ctx.store, 'r1', { type: 'PauseExport', data: { reason: 'test', cause: 'user' } });
    const measure = exportFolderModule.measureFolder;
    vi.spyOn(exportFolderModule, 'measureFolder').mockImplementation(async (root) => {
      await handle(ctx.store, 'r1', { type: 'ResumeExport', data: { by: 'someone else' } });
      return measure(root);
    });
    await expect(deleteExport(ctx, 'r1')).rejects.toMatchObject({ code: 'CONFLICT' });
    expect((await rowsOf('r1')).exports).toBe(1);
  });
});

describe('ownExportFolder and measureFolder', () => {
  it('gives the real path of a folder strictly inside EXPORTS_DIR, and null for anything else', async () => {
    writeFiles(ownDir('a'), { 'x.md': 'x' });
    writeFiles(path.join(ctx.dir, 'elsewhere'), { 'y.md': 'y' });
    fs.symlinkSync(path.join(ctx.dir, 'elsewhere'), ownDir('link'));
    // EXPORTS_DIR reached through a link still counts: real paths are compared.
    fs.symlinkSync(ctx.config.exportsDir, path.join(ctx.dir, 'exports-link'));
    const real = fs.realpathSync(ownDir('a'));
    expect(await ownExportFolder(ctx.config.exportsDir, ownDir('a'))).toBe(real);
    expect(await ownExportFolder(ctx.config.exportsDir, path.join(ctx.dir, 'exports-link', 'a'))).toBe(real);
    expect(await ownExportFolder(path.join(ctx.dir, 'exports-link'), ownDir('a'))).toBe(real);
    expect(await ownExportFolder(ctx.config.exportsDir, ctx.config.exportsDir)).toBeNull();
    expect(await ownExportFolder(ctx.config.exportsDir, path.join(ctx.dir, 'elsewhere'))).toBeNull();
    expect(await ownExportFolder(ctx.config.exportsDir, ownDir('link'))).toBeNull();
    expect(await ownExportFolder(ctx.config.exportsDir, ownDir('missing'))).toBeNull();
    expect(await ownExportFolder(path.join(ctx.dir, 'no-such-dir'), ownDir('a'))).toBeNull();
    expect(await ownExportFolder(ctx.config.exportsDir, path.join(ownDir('a'), 'x.md'))).toBeNull();
  });

  it('counts regular files and their bytes, not links nor what they point at', async () => {
    writeFiles(ownDir('m'), { 'a.md': '12345', 'sub/b.json': '12', 'sub/deeper/c.txt': '' });
    writeFiles(path.join(ctx.dir, 'big'), { 'huge.bin': 'x'.repeat(1000) });
    fs.symlinkSync(path.join(ctx.dir, 'big', 'huge.bin'), path.join(ownDir('m'), 'link.bin'));
    fs.symlinkSync(path.join(ctx.dir, 'big'), path.join(ownDir('m'), 'big'));
    expect(await measureFolder(ownDir('m'))).toEqual({ files: 3, bytes: 7 });
    expect(await measureFolder(ownDir('missing'))).toEqual({ files: 0, bytes: 0 });
  });
});
