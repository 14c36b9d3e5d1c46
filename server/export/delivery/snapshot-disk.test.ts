import fs from 'node:fs';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { writeFiles } from '@/server/testing/files';
import { completeTestExport, requestTestExport, seedConnections } from '@/server/testing/seed';
import { createTestContext, type TestContext } from '@/server/testing/test-context';
import { clearDiskCache, DISK_CACHE_MS, measureFolder, snapshotDisk } from './snapshot-disk';
import { makeSnapshot } from './snapshot-fixtures';

let ctx: TestContext;
beforeEach(async () => {
  ctx = await createTestContext();
  await seedConnections(ctx, ['c1']);
  clearDiskCache();
});
afterEach(async () => {
  await ctx.cleanup();
});

const T1 = new Date('2026-11-01T08:00:00Z');
const T2 = new Date('2026-11-02T08:00:00Z');
/** manifest.json's size in a folder (it is a file of the snapshot, never linked). */
const manifestBytes = (id: string) => fs.statSync(path.join(ctx.config.exportsDir, id, 'manifest.json')).size;

describe('disk used per snapshot', () => {
  it('counts a file linked from another snapshot folder as shared, and the rest as own', async () => {
    await makeSnapshot(ctx, {
      id: 'a',
      at: T1,
      items: [
        { id: 'p1', title: 'Same', files: { '.md': '12345' } },
        { id: 'p2', title: 'Edited', files: { '.md': 'abc' } },
      ],
    });
    expect(await snapshotDisk(ctx, 'a')).toEqual({ ownBytes: 5 + 3 + manifestBytes('a'), sharedBytes: 0, files: 3, complete: true });

    await makeSnapshot(ctx, {
      id: 'b',
      at: T2,
      linkTo: 'a',
      items: [
        { id: 'p1', title: 'Same', files: { '.md': '12345' } },
        { id: 'p2', title: 'Edited', files: { '.md': 'abcdefg' } },
      ],
    });
    // The measure of `a` depends on the other snapshots: a new generation measures again.
    expect(await snapshotDisk(ctx, 'a', { generation: 'after b' })).toEqual({ ownBytes: 3 + manifestBytes('a'), sharedBytes: 5, files: 3, complete: true });
    expect(await snapshotDisk(ctx, 'b', { generation: 'after b' })).toEqual({ ownBytes: 7 + manifestBytes('b'), sharedBytes: 5, files: 3, complete: true });
  });

  it('counts an inode linked twice inside one folder once, as own, and never follows a link', async () => {
    const root = path.join(ctx.dir, 'folder');
    writeFiles(root, { 'a.md': '1234', 'sub/b.md': '12' });
    fs.linkSync(path.join(root, 'a.md'), path.join(root, 'sub', 'a-again.md'));
    fs.writeFileSync(path.join(ctx.dir, 'outside.bin'), 'x'.repeat(1000));
    fs.symlinkSync(path.join(ctx.dir, 'outside.bin'), path.join(root, 'link.bin'));
    fs.symlinkSync(ctx.dir, path.join(root, 'link-dir'));
    expect(await measureFolder(root)).toEqual({ ownBytes: 6, sharedBytes: 0, files: 2, complete: true });
  });

  it('stops after a bounded number of entries and says the numbers are a lower bound', async () => {
    const root = path.join(ctx.dir, 'many');
    writeFiles(root, Object.fromEntries(Array.from({ length: 20 }, (_, i) => [`f${i}.md`, 'x'])));
    const measured = await measureFolder(root, undefined, 5);
    expect(measured.complete).toBe(false);
    expect(measured.files).toBe(5);
    const listed = await measureFolder(root, new Set(['f1.md', 'f2.md', 'f3.md']), 2);
    expect(listed).toEqual({ ownBytes: 2, sharedBytes: 0, files: 2, complete: false });
  });

  it("counts only a CLI folder's recorded files", async () => {
    const out = path.join(ctx.dir, 'cli-out');
    writeFiles(out, { 'Page.md': '1234', 'state.db': 'x'.repeat(500) });
    await requestTestExport(ctx, 'cli', 'c1', out);
    await completeTestExport(ctx, 'cli', ['Page.md']);
    expect(await snapshotDisk(ctx, 'cli')).toEqual({ ownBytes: 4, sharedBytes: 0, files: 1, complete: true });
  });

  it('reuses a measure while nothing changed, for a while at most; null once the folder is gone', async () => {
    await makeSnapshot(ctx, { id: 'a', at: T1, items: [{ id: 'p1', title: 'Page', files: { '.md': '12345' } }] });
    const folder = path.join(ctx.config.exportsDir, 'a');
    fs.utimesSync(folder, T1, T1);
    let now = 1_000_000;
    const clock = () => now;
    const first = await snapshotDisk(ctx, 'a', { generation: 'g', now: clock });
    // A file written into a subfolder, the folder's own mtime put back: the measure is reused.
    writeFiles(folder, { 'deep/extra.md': 'more' });
    fs.utimesSync(folder, T1, T1);
    expect(await snapshotDisk(ctx, 'a', { generation: 'g', now: clock })).toBe(first);
    // Until it is too old, or another generation of snapshots asks.
    expect((await snapshotDisk(ctx, 'a', { generation: 'h', now: clock }))?.files).toBe((first?.files ?? 0) + 1);
    const second = await snapshotDisk(ctx, 'a', { generation: 'g', now: clock });
    writeFiles(folder, { 'deep/more.md': 'more' });
    fs.utimesSync(folder, T1, T1);
    now += DISK_CACHE_MS;
    expect((await snapshotDisk(ctx, 'a', { generation: 'g', now: clock }))?.files).toBe((second?.files ?? 0) + 1);
    expect(await snapshotDisk(ctx, 'nope')).toBeNull();
    fs.rmSync(path.join(ctx.config.exportsDir, 'a'), { recursive: true });
    expect(await snapshotDisk(ctx, 'a', { generation: 'g', now: clock })).toBeNull();
  });
});
