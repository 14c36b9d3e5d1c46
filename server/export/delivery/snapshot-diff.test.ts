import fs from 'node:fs';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { DomainError } from '@/server/errors';
import { requestTestExport, seedConnections } from '@/server/testing/seed';
import { createTestContext, type TestContext } from '@/server/testing/test-context';
import { boundedHunks, diffPage, diffSnapshots, fileKey, MAX_DIFF_LINES, MAX_EDIT_LENGTH, MAX_HUNKS } from './snapshot-diff';
import { type FixtureItem, makeSnapshot } from './snapshot-fixtures';

let ctx: TestContext;
beforeEach(async () => {
  ctx = await createTestContext();
  await seedConnections(ctx, ['c1', 'c2']);
});
afterEach(async () => {
  await ctx.cleanup();
});

const T1 = new Date('2026-11-01T08:00:00Z');
const T2 = new Date('2026-11-02T08:00:00Z');

const home: FixtureItem = { id: 'p1', title: 'Home', files: { '.md': '# Home\nhello\n' } };
const tasks: FixtureItem = { id: 'd1', title: 'Tasks', kind: 'database', files: { '.csv': 'a,b\n1,2\n' } };

/** A: Home with Notes and Moving under it, Old, Draft, Tasks. B: Notes edited, Old removed, Moving moved to the top, New added, Draft renamed Final. */
async function twoSnapshots(options: { manifestOnly?: boolean } = {}) {
  await makeSnapshot(ctx, {
    id: 'a',
    at: T1,
    manifestOnly: options.manifestOnly,
    items: [
      home,
      { id: 'p2', title: 'Notes', parentId: 'p1', dir: 'Home', files: { '.md': '# Notes\nline1\nline2\n', 'attachments/0011/pic.png': 'png' } },
      { id: 'p3', title: 'Old', files: { '.md': '# Old\n' } },
      { id: 'p4', title: 'Moving', parentId: 'p1', dir: 'Home', files: { '.md': '# Moving\n' } },
      { id: 'p7', title: 'Draft', files: { '.md': '# Draft\n' } },
      tasks,
    ],
  });
  await makeSnapshot(ctx, {
    id: 'b',
    at: T2,
    linkTo: 'a',
    manifestOnly: options.manifestOnly,
    items: [
      home,
      { id: 'p2', title: 'Notes', parentId: 'p1', dir: 'Home', files: { '.md': '# Notes\nline1\nline 2 changed\nline3\n', 'attachments/0011/pic.png': 'png' } },
      { id: 'p4', title: 'Moving', parentId: null, files: { '.md': '# Moving\n' } },
      { id: 'p5', title: 'New', files: { '.md': '# New\nfresh\n' } },
      { id: 'p7', title: 'Final', files: { '.md': '# Final\n' } },
      tasks,
    ],
  });
}

async function refusal(promise: Promise<unknown>): Promise<{ code: string; message: string }> {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(DomainError);
  return { code: (error as DomainError).code, message: (error as DomainError).message };
}

describe('what changed between two snapshots', () => {
  it('lists the items added, removed, moved and edited, with titles, and leaves unchanged and merely moved files alone', async () => {
    await twoSnapshots();
    const diff = await diffSnapshots(ctx, { from: 'a', to: 'b', connectionId: 'c1' });
    expect(diff.from).toEqual({ id: 'a', at: T1 });
    expect(diff.to).toEqual({ id: 'b', at: T2 });
    expect(diff.counts).toEqual({ added: 1, removed: 1, moved: 1, edited: 2 });
    expect(diff.added).toEqual([{ id: 'p5', kind: 'page', title: 'New', path: 'New.md' }]);
    expect(diff.removed).toEqual([{ id: 'p3', kind: 'page', title: 'Old', path: 'Old.md' }]);
    expect(diff.moved).toEqual([
      { id: 'p4', kind: 'page', title: 'Moving', path: 'Moving.md', fromFolder: 'Home', toFolder: '', fromParent: 'Home', toParent: null },
    ]);
    expect(diff.edited).toEqual([
      { id: 'p7', kind: 'page', title: 'Final', path: 'Final.md', renamedFrom: 'Draft', files: [{ path: 'Final.md', change: 'changed' }], diffable: true },
      { id: 'p2', kind: 'page', title: 'Notes', path: 'Home/Notes.md', renamedFrom: null, files: [{ path: 'Home/Notes.md', change: 'changed' }], diffable: true },
    ]);
    expect(diff.truncated).toBe(false);
  });

  it('reads the same changes from manifest.json when an export has no file rows', async () => {
    await twoSnapshots({ manifestOnly: true });
    const diff = await diffSnapshots(ctx, { from: 'a', to: 'b' });
    expect(diff.counts).toEqual({ added: 1, removed: 1, moved: 1, edited: 2 });
    expect(diff.edited.map((e) => e.id)).toEqual(['p7', 'p2']);
    const page = await diffPage(ctx, { from: 'a', to: 'b', itemId: 'p2' });
    expect(page).toMatchObject({ fromPath: 'Home/Notes.md', toPath: 'Home/Notes.md', added: 2, removed: 1 });
  });

  it('tells a file added to or removed from an item (an attachment replaced)', async () => {
    await makeSnapshot(ctx, { id: 'a', at: T1, items: [{ id: 'p1', title: 'Home', files: { '.md': '# Home\n', 'attachments/aa/one.png': '1' } }] });
    await makeSnapshot(ctx, { id: 'b', at: T2, items: [{ id: 'p1', title: 'Home', files: { '.md': '# Home\n', 'attachments/bb/two.png': '2' } }] });
    const diff = await diffSnapshots(ctx, { from: 'a', to: 'b' });
    expect(diff.edited).toEqual([
      {
        id: 'p1',
        kind: 'page',
        title: 'Home',
        path: 'Home.md',
        renamedFrom: null,
        files: [
          { path: 'attachments/aa/one.png', change: 'removed' },
          { path: 'attachments/bb/two.png', change: 'added' },
        ],
        diffable: true,
      },
    ]);
  });

  it('tells items apart by their files alone when an export recorded no items (titles from file names, moves by folder)', async () => {
    await makeSnapshot(ctx, {
      id: 'a',
      at: T1,
      items: [
        { id: 'p1', title: 'Moving', dir: 'Home', files: { '.md': '# Moving' } },
        { id: 'd1', title: 'Tasks', files: { '.csv': 'a\n' } },
      ],
    });
    await makeSnapshot(ctx, {
      id: 'b',
      at: T2,
      items: [
        { id: 'p1', title: 'Moving', files: { '.md': '# Moving' } },
        { id: 'd1', title: 'Tasks', files: { '.csv': 'a\nb\n' } },
        { id: 'd2', title: 'Added table', files: { '.csv': 'x\n' } },
      ],
    });
    await ctx.database.client.execute("delete from export_items where export_id in ('a', 'b')");
    const diff = await diffSnapshots(ctx, { from: 'a', to: 'b' });
    expect(diff.added).toEqual([{ id: 'd2', kind: 'database', title: 'Added table', path: 'Added table.csv' }]);
    expect(diff.moved).toMatchObject([{ id: 'p1', title: 'Moving', fromFolder: 'Home', toFolder: '', fromParent: null, toParent: null }]);
    expect(diff.edited).toMatchObject([{ id: 'd1', kind: 'database', title: 'Tasks', files: [{ path: 'Tasks.csv', change: 'changed' }] }]);
  });

  it('refuses a snapshot whose manifest cannot be read when it has no file rows', async () => {
    await twoSnapshots({ manifestOnly: true });
    fs.writeFileSync(path.join(ctx.config.exportsDir, 'b', 'manifest.json'), '{ not json');
    expect(await refusal(diffSnapshots(ctx, { from: 'a', to: 'b' }))).toEqual({ code: 'INVALID_STATE', message: 'The manifest of snapshot b cannot be read' });
    fs.rmSync(path.join(ctx.config.exportsDir, 'b', 'manifest.json'));
    expect(await refusal(diffSnapshots(ctx, { from: 'a', to: 'b' }))).toEqual({ code: 'NOT_FOUND', message: 'Snapshot b has no manifest.json to compare' });
  });

  it('does not count a JSON file that differs only where every read differs (signed URLs, request ids) as an edit', async () => {
    const json = (signature: string, text: string) => JSON.stringify({ url: `https://files.example/a.png?X-Amz-Signature=${signature}&X-Amz-Date=1`, request_id: signature, text }, null, 2);
    const item = (id: string, title: string, signature: string, text: string): FixtureItem => ({ id, title, files: { '.md': `# ${title}\n`, '.json': json(signature, text) } });
    await makeSnapshot(ctx, { id: 'a', at: T1, items: [item('p1', 'Same', 'sig1', 'same'), item('p2', 'Changed', 'sig1', 'before')] });
    await makeSnapshot(ctx, { id: 'b', at: T2, items: [item('p1', 'Same', 'sig2', 'same'), item('p2', 'Changed', 'sig2', 'after')] });
    const diff = await diffSnapshots(ctx, { from: 'a', to: 'b' });
    expect(diff.edited.map((e) => [e.id, e.files])).toEqual([['p2', [{ path: 'Changed.json', change: 'changed' }]]]);
  });

  it('refuses snapshots of another connection, unfinished ones, gone ones, the same one twice and ids that are not ids', async () => {
    await twoSnapshots();
    await makeSnapshot(ctx, { id: 'other', connectionId: 'c2', at: T2, items: [home] });
    await requestTestExport(ctx, 'queued', 'c1', path.join(ctx.config.exportsDir, 'queued'));

    expect(await refusal(diffSnapshots(ctx, { from: 'a', to: 'other' }))).toEqual({ code: 'BAD_INPUT', message: 'Snapshot other belongs to another connection' });
    expect((await refusal(diffSnapshots(ctx, { from: 'other', to: 'b', connectionId: 'c1' }))).code).toBe('BAD_INPUT');
    expect(await refusal(diffSnapshots(ctx, { from: 'a', to: 'queued' }))).toEqual({
      code: 'INVALID_STATE',
      message: 'Snapshot queued is queued; only finished snapshots can be compared',
    });
    expect((await refusal(diffSnapshots(ctx, { from: 'a', to: 'nope' }))).code).toBe('NOT_FOUND');
    expect((await refusal(diffSnapshots(ctx, { from: 'a', to: 'a' }))).code).toBe('BAD_INPUT');
    expect((await refusal(diffSnapshots(ctx, { from: '../a', to: 'b' }))).code).toBe('BAD_INPUT');

    fs.rmSync(path.join(ctx.config.exportsDir, 'b'), { recursive: true });
    expect(await refusal(diffSnapshots(ctx, { from: 'a', to: 'b' }))).toEqual({ code: 'NOT_FOUND', message: 'The files of export b are no longer on this server' });
  });

  it('refuses an export whose folder a later one wrote into (the CLI syncs a folder in place)', async () => {
    await twoSnapshots();
    const folderOfA = path.join(ctx.config.exportsDir, 'a');
    await requestTestExport(ctx, 'in-place', 'c1', folderOfA);
    await ctx.database.client.execute({ sql: "update exports set requested_at = ? where id = 'in-place'", args: [T2.getTime() + 1] });
    expect(await refusal(diffSnapshots(ctx, { from: 'a', to: 'b' }))).toEqual({
      code: 'INVALID_STATE',
      message: 'The folder of snapshot a was written again by a later export; it can no longer be compared',
    });
  });
});

describe("an edited page's Markdown diff", () => {
  it('shows the changed lines with their signs and counts', async () => {
    await twoSnapshots();
    const diff = await diffPage(ctx, { from: 'a', to: 'b', itemId: 'p2', connectionId: 'c1' });
    expect(diff).toMatchObject({ id: 'p2', title: 'Notes', fromPath: 'Home/Notes.md', toPath: 'Home/Notes.md', totalHunks: 1, added: 2, removed: 1, note: null });
    expect(diff.hunks).toEqual([
      {
        oldStart: 1,
        oldLines: 3,
        newStart: 1,
        newLines: 4,
        lines: [
          { sign: ' ', text: '# Notes' },
          { sign: ' ', text: 'line1' },
          { sign: '-', text: 'line2' },
          { sign: '+', text: 'line 2 changed' },
          { sign: '+', text: 'line3' },
        ],
      },
    ]);
  });

  it('shows an added page as all added, a removed one as all removed, and a database by its CSV', async () => {
    await twoSnapshots();
    const added = await diffPage(ctx, { from: 'a', to: 'b', itemId: 'p5' });
    expect(added).toMatchObject({ fromPath: null, toPath: 'New.md', added: 2, removed: 0 });
    expect(added.hunks[0]?.lines.every((l) => l.sign === '+')).toBe(true);
    const removed = await diffPage(ctx, { from: 'a', to: 'b', itemId: 'p3' });
    expect(removed).toMatchObject({ title: 'Old', fromPath: 'Old.md', toPath: null, added: 0, removed: 1 });
    const unchanged = await diffPage(ctx, { from: 'a', to: 'b', itemId: 'd1' });
    expect(unchanged).toMatchObject({ kind: 'database', fromPath: 'Tasks.csv', toPath: 'Tasks.csv', hunks: [], totalHunks: 0, note: null });
    expect((await refusal(diffPage(ctx, { from: 'a', to: 'b', itemId: 'nowhere' }))).code).toBe('NOT_FOUND');
  });

  it('says so when an item has no document to compare', async () => {
    await makeSnapshot(ctx, { id: 'a', at: T1, items: [{ id: 'p1', title: 'Pic', files: { 'attachments/aa/one.png': '1' } }] });
    await makeSnapshot(ctx, { id: 'b', at: T2, items: [{ id: 'p1', title: 'Pic', files: { 'attachments/aa/one.png': '2' } }] });
    const diff = await diffPage(ctx, { from: 'a', to: 'b', itemId: 'p1' });
    expect(diff).toMatchObject({ hunks: [], note: 'This item has no document to compare line by line.' });
    expect((await diffSnapshots(ctx, { from: 'a', to: 'b' })).edited[0]?.diffable).toBe(false);
  });

  it('shows the first changed parts of a huge page and says how many there are', async () => {
    const lines = (changed: boolean) => Array.from({ length: 1_000 }, (_, i) => (changed && i % 10 === 0 ? `changed ${i}` : `line ${i}`)).join('\n');
    await makeSnapshot(ctx, { id: 'a', at: T1, items: [{ id: 'p1', title: 'Big', files: { '.md': lines(false) } }] });
    await makeSnapshot(ctx, { id: 'b', at: T2, items: [{ id: 'p1', title: 'Big', files: { '.md': lines(true) } }] });
    const diff = await diffPage(ctx, { from: 'a', to: 'b', itemId: 'p1' });
    expect(diff.totalHunks).toBe(100);
    expect(diff.hunks).toHaveLength(MAX_HUNKS);
    expect(diff.added).toBe(100);
    expect(diff.removed).toBe(100);
    expect(diff.note).toBe(`Showing the first ${MAX_HUNKS} of 100 changed parts; download both snapshots to see the rest.`);
  });

  it('does not compare a document over the size limit, nor one rewritten from top to bottom', async () => {
    const big = 'x'.repeat(2 * 1024 * 1024 + 1);
    const rewritten = (prefix: string) => Array.from({ length: MAX_EDIT_LENGTH }, (_, i) => `${prefix} ${i}`).join('\n');
    await makeSnapshot(ctx, {
      id: 'a',
      at: T1,
      items: [
        { id: 'p1', title: 'Huge', files: { '.md': 'small' } },
        { id: 'p2', title: 'Rewritten', files: { '.md': rewritten('old') } },
      ],
    });
    await makeSnapshot(ctx, {
      id: 'b',
      at: T2,
      items: [
        { id: 'p1', title: 'Huge', files: { '.md': big } },
        { id: 'p2', title: 'Rewritten', files: { '.md': rewritten('new') } },
      ],
    });
    expect((await diffPage(ctx, { from: 'a', to: 'b', itemId: 'p1' })).note).toBe('This document is too large to compare line by line (over 2 MB).');
    expect((await diffPage(ctx, { from: 'a', to: 'b', itemId: 'p2' })).note).toBe('Too much of this document changed to show a line diff.');
  });

  it('never reads through a link out of the snapshot folder', async () => {
    await twoSnapshots();
    const notes = path.join(ctx.config.exportsDir, 'b', 'Home', 'Notes.md');
    const secret = path.join(ctx.dir, 'secret.txt');
    fs.writeFileSync(secret, 'the secret\n');
    fs.rmSync(notes);
    fs.symlinkSync(secret, notes);
    const refused = await refusal(diffPage(ctx, { from: 'a', to: 'b', itemId: 'p2' }));
    expect(refused.code).toBe('NOT_FOUND');
    expect(refused.message).not.toContain('secret');
  });
});

describe('the bounds of a line diff', () => {
  const hunk = (n: number) => ({ oldStart: 1, oldLines: n, newStart: 1, newLines: n, lines: Array.from({ length: n }, (_, i) => `+${i}`) });

  it('cuts one hunk longer than the line limit to its first lines, and skips the "no newline" marks', () => {
    const cut = boundedHunks([hunk(MAX_DIFF_LINES + 5)]);
    expect(cut.hunks[0]?.lines).toHaveLength(MAX_DIFF_LINES);
    expect(cut.added).toBe(MAX_DIFF_LINES + 5);
    expect(cut.note).toBe('Showing the first 1 of 1 changed parts; download both snapshots to see the rest.');
    const marked = boundedHunks([{ oldStart: 1, oldLines: 1, newStart: 1, newLines: 1, lines: ['-a', '\\ No newline at end of file', '+b'] }]);
    expect(marked.hunks[0]?.lines).toEqual([
      { sign: '-', text: 'a' },
      { sign: '+', text: 'b' },
    ]);
    expect(marked.note).toBeNull();
  });

  it('stops at the line limit across hunks', () => {
    const cut = boundedHunks([hunk(MAX_DIFF_LINES - 10), hunk(20)]);
    expect(cut.hunks).toHaveLength(1);
    expect(cut.totalHunks).toBe(2);
  });

  it('keys an item’s own documents by extension and everything else by path', () => {
    expect(fileKey('Home/Notes', 'Home/Notes.md')).toBe('.md');
    expect(fileKey('Home/Notes', 'Home/Notes/child.md')).toBe('Home/Notes/child.md');
    expect(fileKey('Home/Notes', 'Home/Notes.d/x.md')).toBe('Home/Notes.d/x.md');
    expect(fileKey(null, 'attachments/a/b.png')).toBe('attachments/a/b.png');
  });
});
