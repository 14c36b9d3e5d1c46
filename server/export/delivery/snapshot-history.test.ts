import fs from 'node:fs';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { DomainError } from '@/server/errors';
import { requestTestExport, seedConnections } from '@/server/testing/seed';
import { createTestContext, type TestContext } from '@/server/testing/test-context';
import { type FixtureItem, makeSnapshot } from './snapshot-fixtures';
import { pageHistory } from './snapshot-history';

let ctx: TestContext;
beforeEach(async () => {
  ctx = await createTestContext();
  await seedConnections(ctx, ['c1', 'c2']);
});
afterEach(async () => {
  await ctx.cleanup();
});

const day = (n: number) => new Date(Date.UTC(2026, 10, n, 8));
const parent: FixtureItem = { id: 'p0', title: 'Home', files: { '.md': '# Home\n' } };
const page = (title: string, body: string, place: Partial<FixtureItem> = {}): FixtureItem => ({ id: 'p1', title, files: { '.md': `# ${title}\n${body}\n` }, ...place });

/** Day 1 added; day 2 unchanged; day 3 edited; day 4 moved under Home; day 5 renamed; day 6 gone; day 7 back. */
async function aWeekOfSnapshots(options: { manifestOnly?: boolean } = {}) {
  const versions: FixtureItem[][] = [
    [parent, page('Notes', 'one')],
    [parent, page('Notes', 'one')],
    [parent, page('Notes', 'two')],
    [parent, page('Notes', 'two', { parentId: 'p0', dir: 'Home' })],
    [parent, { ...page('Ideas', 'two', { parentId: 'p0', dir: 'Home' }), files: { '.md': '# Notes\ntwo\n' } }],
    [parent],
    [parent, page('Ideas', 'three')],
  ];
  for (const [i, items] of versions.entries()) {
    await makeSnapshot(ctx, { id: `s${i + 1}`, at: day(i + 1), items, linkTo: i > 0 ? `s${i}` : undefined, manifestOnly: options.manifestOnly && i === 2 });
  }
}

describe("a page's history", () => {
  it('lists its versions newest first: where it appeared, changed, moved, was renamed, went and came back, each with the snapshot to compare with', async () => {
    await aWeekOfSnapshots();
    // Another connection's snapshot of the same page is not part of this history.
    await makeSnapshot(ctx, { id: 'elsewhere', connectionId: 'c2', at: day(8), items: [page('Notes', 'other')] });
    const history = await pageHistory(ctx, 'c1', 'p1');
    expect(history).toMatchObject({ id: 'p1', kind: 'page', title: 'Ideas', snapshots: 7 });
    expect(history.versions.map((v) => [v.exportId, v.changes, v.title, v.path, v.previousExportId, v.comparable])).toEqual([
      ['s7', ['restored'], 'Ideas', 'Ideas.md', 's5', true],
      ['s6', ['removed'], 'Ideas', null, 's5', true],
      ['s5', ['renamed'], 'Ideas', 'Home/Ideas.md', 's4', true],
      ['s4', ['moved'], 'Notes', 'Home/Notes.md', 's3', true],
      ['s3', ['edited'], 'Notes', 'Notes.md', 's2', true],
      ['s1', ['added'], 'Notes', 'Notes.md', null, false],
    ]);
    expect(history.versions[0]?.at).toEqual(day(7));
  });

  it('reads a snapshot without file rows from its manifest, and cannot compare with one whose folder is gone', async () => {
    await aWeekOfSnapshots({ manifestOnly: true });
    fs.rmSync(path.join(ctx.config.exportsDir, 's2'), { recursive: true });
    const history = await pageHistory(ctx, 'c1', 'p1');
    const s3 = history.versions.find((v) => v.exportId === 's3');
    expect(s3).toMatchObject({ changes: ['edited'], path: 'Notes.md', previousExportId: 's2', comparable: false });
    expect(history.versions.find((v) => v.exportId === 's4')).toMatchObject({ changes: ['moved'], previousExportId: 's3', comparable: true });
    // s4's folder written again by a later export: neither the change into it nor the one out of it can be shown.
    await requestTestExport(ctx, 'in-place', 'c1', path.join(ctx.config.exportsDir, 's4'));
    const after = await pageHistory(ctx, 'c1', 'p1');
    expect(after.versions.filter((v) => v.exportId === 's4' || v.previousExportId === 's4').map((v) => [v.exportId, v.comparable])).toEqual([
      ['s5', false],
      ['s4', false],
    ]);
  });

  it('is refused for a page no snapshot holds and for an id that is not one', async () => {
    await aWeekOfSnapshots();
    const code = async (itemId: string) =>
      pageHistory(ctx, 'c1', itemId).then(
        () => 'OK',
        (e: unknown) => (e instanceof DomainError ? e.code : String(e)),
      );
    expect(await code('p-none')).toBe('NOT_FOUND');
    expect(await code('../p1')).toBe('BAD_INPUT');
    expect(await pageHistory(ctx, 'c2', 'p1').catch((e: DomainError) => e.code)).toBe('NOT_FOUND');
  });
});
