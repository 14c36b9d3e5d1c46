import fs from 'node:fs';
import path from 'node:path';
import { eq } from 'drizzle-orm';
import { describe, expect, it } from 'vitest';
import { exportFiles } from '@/db/schema';
import { requestExport } from '@/server/export/control/request-export';
import { runQueuedExports, sharedTwinConnection } from '@/server/testing/twin-connection';
import { diffPage, diffSnapshots } from './snapshot-diff';
import { pageHistory } from './snapshot-history';

/**
 * "What changed" between two real exports of the Notion twin (the runner, the real SDK over HTTP,
 * Markdown and JSON written as always), with the workspace changed in between: each kind of
 * change is found, and nothing else is reported (the JSON files' signed URLs and request ids,
 * which differ at every read, are not edits).
 */

const WORKSPACE = { seed: 11, pages: 14, databases: 1, rowsPerDatabase: 3, depth: 2, largePages: 0, unsharedPages: 0, trashedPages: 0 };

const conn = sharedTwinConnection({ workspace: WORKSPACE });

async function exportNow(): Promise<string> {
  const id = await requestExport(conn.ctx, { connectionId: conn.connectionId, formats: ['markdown', 'json'], requestedBy: 'dashboard' });
  await runQueuedExports(conn.ctx);
  return id;
}

describe('what changed between two exports of the twin', () => {
  it('finds the page added, the one trashed, the one moved, the one edited and the one renamed, and nothing else', async () => {
    const before = await exportNow();
    const pages = conn.twin.workspace.allPages().filter((p) => p.kind === 'page' && p.shared && !p.inTrash);
    const children = pages.filter((p) => p.parent.type === 'page_id');
    const parents = new Set(children.map((p) => (p.parent.type === 'page_id' ? p.parent.pageId : '')));
    // Leaves, so that a trash or a move touches one page (and its parent's listing).
    const leaves = children.filter((p) => !parents.has(p.id));
    const [moved, trashed, edited, renamed] = leaves;
    if (!moved || !trashed || !edited || !renamed) throw new Error(`the twin has too few leaf pages: ${leaves.length}`);
    conn.twin.workspace.movePage(moved.id, { parentId: null });
    conn.twin.workspace.trash(trashed.id);
    conn.twin.workspace.editPage(edited.id);
    conn.twin.workspace.renamePage(renamed.id, 'Renamed for the test');
    const addedId = conn.twin.workspace.addPage({ title: 'Brand new page' });
    const after = await exportNow();

    const diff = await diffSnapshots(conn.ctx, { connectionId: conn.connectionId, from: before, to: after });
    expect(diff.added.map((e) => [e.id, e.title])).toEqual([[addedId, 'Brand new page']]);
    expect(diff.removed.map((e) => [e.id, e.title])).toEqual([[trashed.id, trashed.title]]);
    expect(diff.moved.map((e) => [e.id, e.toFolder])).toEqual([[moved.id, '']]);
    const editedIds = diff.edited.map((e) => e.id);
    expect(editedIds).toContain(edited.id);
    expect(diff.edited.find((e) => e.id === renamed.id)?.renamedFrom).toBe(renamed.title);
    // Other pages change only where the changes show: a moved or renamed page's links, its old and
    // new parent's list of children, the trashed page's parent, links to the trashed page (now to
    // notion.so). Never a page nothing touched, and never by its JSON alone (signed URLs and request
    // ids differ at every read).
    const touched = new Set([moved.id, edited.id, renamed.id]);
    for (const p of [moved, trashed, renamed]) if (p.parent.type === 'page_id') touched.add(p.parent.pageId);
    for (const other of diff.edited.filter((e) => !touched.has(e.id))) {
      expect(other.files.map((f) => f.path.slice(f.path.lastIndexOf('.')))).toContain('.md');
      const lines = (await diffPage(conn.ctx, { connectionId: conn.connectionId, from: before, to: after, itemId: other.id })).hunks.flatMap((h) => h.lines).filter((l) => l.sign !== ' ');
      expect(lines.length, other.title).toBeGreaterThan(0);
      for (const line of lines) expect(line.text, `${other.title}: ${line.text}`).toMatch(/\]\(/);
    }

    const page = await diffPage(conn.ctx, { connectionId: conn.connectionId, from: before, to: after, itemId: edited.id });
    expect(page.toPath).toMatch(/\.md$/);
    expect(page.hunks.flatMap((h) => h.lines).some((l) => l.sign === '+' && l.text.includes('(edited 1)'))).toBe(true);

    const history = await pageHistory(conn.ctx, conn.connectionId, edited.id);
    expect(history.versions.map((v) => [v.exportId, v.changes])).toEqual([
      [after, ['edited']],
      [before, ['added']],
    ]);

    // A page nothing touched whose JSON holds signed file URLs has one version only.
    const changed = new Set([...diff.edited, ...diff.moved, ...diff.added, ...diff.removed].map((e) => e.id));
    const files = await conn.ctx.database.db.select().from(exportFiles).where(eq(exportFiles.exportId, before));
    const signed = files.find(
      (f) => f.path.endsWith('.json') && !changed.has(f.sourceId) && fs.readFileSync(path.join(conn.ctx.config.exportsDir, before, f.path), 'utf8').includes('X-Amz-Signature'),
    );
    if (!signed) throw new Error('no untouched page of the twin has a signed file URL');
    expect(fs.readFileSync(path.join(conn.ctx.config.exportsDir, after, signed.path))).not.toEqual(fs.readFileSync(path.join(conn.ctx.config.exportsDir, before, signed.path)));
    expect((await pageHistory(conn.ctx, conn.connectionId, signed.sourceId)).versions.map((v) => [v.exportId, v.changes])).toEqual([[before, ['added']]]);
  });
});
