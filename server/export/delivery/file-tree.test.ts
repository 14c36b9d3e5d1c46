import fs from 'node:fs';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { handle } from '@/server/export/domain/handle';
import { completeTestExport, requestTestExport, seedConnections } from '@/server/testing/seed';
import { createTestContext, type TestContext } from '@/server/testing/test-context';
import { buildFileTree, exportFileTree } from './file-tree';

let ctx: TestContext;
beforeEach(async () => {
  ctx = await createTestContext();
  await seedConnections(ctx, ['c1']);
});
afterEach(async () => {
  await ctx.cleanup();
});

describe('buildFileTree', () => {
  it('puts folders first, sorts names as people do, and gives each folder the size of what it holds', () => {
    const tree = buildFileTree([
      { path: 'b.md', bytes: 1 },
      { path: 'Page 10.md', bytes: 2 },
      { path: 'Page 2.md', bytes: 3 },
      { path: 'a/x.md', bytes: 4 },
      { path: 'a/deep/y.md', bytes: 5 },
      { path: 'Z/z.md', bytes: 6 },
    ]);
    expect(tree.map((n) => `${n.kind}:${n.name}`)).toEqual(['folder:a', 'folder:Z', 'file:b.md', 'file:Page 2.md', 'file:Page 10.md']);
    expect(tree[0]).toMatchObject({ path: 'a', bytes: 9, files: 2 });
    const a = tree[0];
    expect(a?.kind === 'folder' && a.children.map((n) => n.path)).toEqual(['a/deep', 'a/x.md']);
    expect(buildFileTree([])).toEqual([]);
  });
});

describe('exportFileTree', () => {
  it("lists the files an export recorded, with report.json and manifest.json when they are in its folder", async () => {
    const root = path.join(ctx.config.exportsDir, 'e1');
    fs.mkdirSync(root, { recursive: true });
    fs.writeFileSync(path.join(root, 'manifest.json'), '{"files":[]}');
    await requestTestExport(ctx, 'e1', 'c1', root);
    await completeTestExport(ctx, 'e1', ['report.json', 'Page.md', 'Page/Child.md']);
    const tree = await exportFileTree(ctx, 'e1');
    expect(tree).toMatchObject({ available: true, files: 4, bytes: 3 + 12, leftOut: 0 });
    expect(tree.children.map((n) => n.path)).toEqual(['Page', 'manifest.json', 'Page.md', 'report.json']);
  });

  it('lists the first files only, counting them all, and finds report.json on disk when it was not recorded', async () => {
    const root = path.join(ctx.config.exportsDir, 'e2');
    fs.mkdirSync(root, { recursive: true });
    fs.writeFileSync(path.join(root, 'report.json'), '{}');
    await requestTestExport(ctx, 'e2', 'c1', root);
    await completeTestExport(ctx, 'e2', ['a.md', 'b.md', 'c.md']);
    const tree = await exportFileTree(ctx, 'e2', 2);
    expect(tree).toMatchObject({ files: 4, bytes: 5, leftOut: 1 });
    expect(tree.children.map((n) => n.path)).toEqual(['a.md', 'b.md', 'report.json']);
  });

  it('says the files are not there for a cancelled export or a folder that is gone, and NOT_FOUND for an unknown export', async () => {
    const root = path.join(ctx.config.exportsDir, 'e3');
    fs.mkdirSync(root, { recursive: true });
    await requestTestExport(ctx, 'e3', 'c1', root);
    await handle(ctx.store, 'e3', { type: 'CancelExport', data: { reason: 'test' } });
    expect(await exportFileTree(ctx, 'e3')).toEqual({ available: false, files: 0, bytes: 0, leftOut: 0, children: [] });
    await requestTestExport(ctx, 'e4', 'c1', path.join(ctx.dir, 'missing'));
    expect((await exportFileTree(ctx, 'e4')).available).toBe(false);
    await expect(exportFileTree(ctx, 'nope')).rejects.toMatchObject({ code: 'NOT_FOUND' });
  });
});
