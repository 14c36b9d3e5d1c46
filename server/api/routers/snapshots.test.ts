import fs from 'node:fs';
import path from 'node:path';
import { TRPCError } from '@trpc/server';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createCaller } from '@/server/api/root';
import type { Role } from '@/server/auth/roles';
import { clearDiskCache } from '@/server/export/delivery/snapshot-disk';
import { makeSnapshot } from '@/server/export/delivery/snapshot-fixtures';
import { listSnapshots } from '@/server/export/delivery/snapshot-list';
import { testViewer } from '@/server/testing/call-as';
import { seedConnections } from '@/server/testing/seed';
import { createTestContext, type TestContext } from '@/server/testing/test-context';

let ctx: TestContext;
beforeEach(async () => {
  ctx = await createTestContext();
  await seedConnections(ctx, ['c1', 'c2']);
  await ctx.database.client.execute("update connections set name = 'Team', workspace_name = 'Acme' where id = 'c1'");
  clearDiskCache();
});
afterEach(async () => {
  await ctx.cleanup();
});

const ADDRESS = '198.51.100.7';
const callerAs = (role: Role) => createCaller({ app: ctx, viewer: testViewer(role), address: ADDRESS });
const T1 = new Date('2026-11-01T08:00:00Z');
const T2 = new Date('2026-11-02T08:00:00Z');

async function auditLog() {
  const result = await ctx.database.client.execute('select action, actor_email, address, target_type, target_id, detail from audit_events order by position');
  return result.rows.map((r) => ({ action: r.action, actor: r.actor_email, address: r.address, target: `${r.target_type}:${r.target_id}`, detail: JSON.parse(String(r.detail)) }));
}

async function twoSnapshots() {
  await makeSnapshot(ctx, { id: 'a', at: T1, items: [{ id: 'p1', title: 'Notes', files: { '.md': '# Notes\none\n' } }, { id: 'p2', title: 'Same', files: { '.md': 'same' } }] });
  await makeSnapshot(ctx, {
    id: 'b',
    at: T2,
    linkTo: 'a',
    items: [{ id: 'p1', title: 'Notes', files: { '.md': '# Notes\ntwo\n' } }, { id: 'p2', title: 'Same', files: { '.md': 'same' } }],
  });
  await ctx.database.client.execute({
    sql: 'update exports set changes = ? where id = ?',
    args: [JSON.stringify({ added: [], updated: [{ id: 'p1', title: 'Notes', kind: 'page' }], moved: [], removed: [] }), 'b'],
  });
}

describe('snapshots router', () => {
  it('walks a few folders per listing; the others say they are being measured until a later listing', async () => {
    await twoSnapshots();
    const first = await listSnapshots(ctx, 'c1', { measures: 1 });
    expect(first.measuring).toBe(true);
    expect(first.snapshots.map((s) => [s.id, s.measuring, s.available, s.disk === null])).toEqual([
      ['b', false, true, false],
      ['a', true, true, true],
    ]);
    const second = await listSnapshots(ctx, 'c1', { measures: 1 });
    expect(second.measuring).toBe(false);
    expect(second.snapshots.every((s) => s.disk !== null)).toBe(true);
    fs.rmSync(path.join(ctx.config.exportsDir, 'a'), { recursive: true });
    const gone = (await listSnapshots(ctx, 'c1', { measures: 0 })).snapshots.find((s) => s.id === 'a');
    expect(gone).toMatchObject({ available: false, measuring: false, disk: null });
  });

  it('lists a connection’s snapshots newest first with their trigger, mode, counts, changes, pin and own vs shared bytes, and no folder path', async () => {
    await twoSnapshots();
    await makeSnapshot(ctx, { id: 'other', connectionId: 'c2', at: T2, items: [] });
    const list = await callerAs('viewer').snapshots.list({ connectionId: 'c1' });
    expect(list.connection).toEqual({ id: 'c1', name: 'Team', workspaceName: 'Acme', removed: false });
    expect(list.busy).toBe(false);
    expect(list.snapshots.map((s) => s.id)).toEqual(['b', 'a']);
    const [b, a] = list.snapshots;
    expect(b).toMatchObject({
      status: 'completed',
      mode: 'sync',
      baselineExportId: 'a',
      trigger: 'manual',
      pinned: false,
      downloadable: true,
      available: true,
      latest: true,
      counts: { pages: 2, files: 2 },
      changes: { added: 0, updated: 1, moved: 0, removed: 0, titles: { updated: ['Notes'] } },
    });
    expect(b?.disk).toMatchObject({ sharedBytes: 4, complete: true });
    expect(a?.disk).toMatchObject({ sharedBytes: 4 });
    expect(a).toMatchObject({ mode: 'full', latest: false, changes: null });
    expect(JSON.stringify(list)).not.toContain(ctx.config.exportsDir);
    expect(list.measuring).toBe(false);
    expect((await callerAs('viewer').snapshots.list({ connectionId: 'c1', limit: 1 })).snapshots).toHaveLength(1);
    await expect(callerAs('viewer').snapshots.list({ connectionId: 'nope' })).rejects.toMatchObject({ code: 'NOT_FOUND' });
  });

  it('pins and unpins a snapshot of the connection, audited with names only; another connection’s is not found', async () => {
    await twoSnapshots();
    const operator = callerAs('operator');
    expect(await operator.snapshots.pin({ connectionId: 'c1', id: 'a' })).toEqual({ id: 'a', pinned: true });
    expect((await operator.snapshots.list({ connectionId: 'c1' })).snapshots.find((s) => s.id === 'a')?.pinned).toBe(true);
    expect(await operator.snapshots.unpin({ connectionId: 'c1', id: 'a' })).toEqual({ id: 'a', pinned: false });
    expect((await operator.snapshots.list({ connectionId: 'c1' })).snapshots.find((s) => s.id === 'a')?.pinned).toBe(false);
    await expect(operator.snapshots.pin({ connectionId: 'c2', id: 'a' })).rejects.toMatchObject({ code: 'NOT_FOUND' });
    await expect(callerAs('viewer').snapshots.pin({ connectionId: 'c1', id: 'a' })).rejects.toBeInstanceOf(TRPCError);
    expect(await auditLog()).toEqual([
      { action: 'export.pinned', actor: 'operator@example.test', address: ADDRESS, target: 'export:a', detail: { connection: 'Team' } },
      { action: 'export.unpinned', actor: 'operator@example.test', address: ADDRESS, target: 'export:a', detail: { connection: 'Team' } },
    ]);
  });

  it('syncs now from the latest snapshot, audited; refuses a second while the first is queued', async () => {
    await twoSnapshots();
    const operator = callerAs('operator');
    const sync = await operator.snapshots.syncNow({ connectionId: 'c1' });
    expect(sync.baselineExportId).toBe('b');
    const list = await operator.snapshots.list({ connectionId: 'c1' });
    expect(list.busy).toBe(true);
    expect(list.snapshots[0]).toMatchObject({ id: sync.exportId, status: 'queued', mode: 'sync', trigger: 'manual', requestedByUser: 'operator@example.test', disk: null });
    await expect(operator.snapshots.syncNow({ connectionId: 'c1' })).rejects.toMatchObject({ code: 'CONFLICT' });
    expect(await auditLog()).toEqual([
      { action: 'export.sync-started', actor: 'operator@example.test', address: ADDRESS, target: `export:${sync.exportId}`, detail: { connection: 'Team', mode: 'sync' } },
    ]);
  });

  it('tells what changed, a page’s diff and its history to a viewer; refuses snapshots of another connection', async () => {
    await twoSnapshots();
    const viewer = callerAs('viewer');
    const diff = await viewer.snapshots.diff({ connectionId: 'c1', from: 'a', to: 'b' });
    expect(diff.counts).toEqual({ added: 0, removed: 0, moved: 0, edited: 1 });
    const page = await viewer.snapshots.pageDiff({ connectionId: 'c1', from: 'a', to: 'b', itemId: 'p1' });
    expect(page.hunks[0]?.lines).toContainEqual({ sign: '+', text: 'two' });
    const history = await viewer.snapshots.history({ connectionId: 'c1', itemId: 'p1' });
    expect(history.versions.map((v) => v.exportId)).toEqual(['b', 'a']);
    await expect(viewer.snapshots.diff({ connectionId: 'c2', from: 'a', to: 'b' })).rejects.toMatchObject({ code: 'BAD_REQUEST' });
  });
});
