import fs from 'node:fs';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createCaller } from '@/server/api/root';
import type { Role } from '@/server/auth/roles';
import { handle } from '@/server/export/domain/handle';
import { testViewer } from '@/server/testing/call-as';
import { seedConnections } from '@/server/testing/seed';
import { createTestContext, type TestContext } from '@/server/testing/test-context';

let ctx: TestContext;
beforeEach(async () => {
  ctx = await createTestContext();
  await seedConnections(ctx, ['c1', 'c2']);
  await ctx.database.client.execute("update connections set name = 'Team', workspace_name = 'Acme' where id = 'c1'");
});
afterEach(async () => {
  await ctx.cleanup();
});

const ADDRESS = '198.51.100.7';
const callerAs = (role: Role) => createCaller({ app: ctx, viewer: testViewer(role), address: ADDRESS });

async function auditLog() {
  const result = await ctx.database.client.execute('select action, outcome, actor_email, address, target_type, target_id, detail from audit_events order by position');
  return result.rows.map((r) => ({
    action: r.action,
    outcome: r.outcome,
    actor: r.actor_email,
    address: r.address,
    target: `${r.target_type}:${r.target_id}`,
    detail: JSON.parse(String(r.detail)),
  }));
}

/** Runs a started export to "completed with errors": one page exported, one failed. */
async function completeWithAFailure(id: string): Promise<void> {
  await handle(ctx.store, id, { type: 'StartExport', data: { attempt: 1, runner: 'r' } });
  const item = (itemId: string) => ({ id: itemId, kind: 'page' as const, title: itemId, parentId: null, dir: '', stem: itemId, status: 'pending' as const });
  await handle(ctx.store, id, {
    type: 'RecordProgress',
    data: {
      discovered: [item('p1'), item('p2')],
      exported: [{ id: 'p1', files: [{ path: 'p1.md', bytes: 4, sha256: '0'.repeat(64), sourceId: 'p1' }] }],
      failed: [{ id: 'p2', kind: 'page', title: 'P2', code: 'object_not_found', message: 'gone' }],
      stats: { requests: 2, rateLimited: 0, retries: 0 },
    },
  });
  await handle(ctx.store, id, {
    type: 'CompleteExport',
    data: { pages: 1, databases: 0, skipped: 0, failed: 1, files: 1, bytes: 4, stats: { requests: 2, rateLimited: 0, retries: 0 } },
  });
}

describe('exports router', () => {
  it('records who started an export, says which export it queues behind, and audits every action with names only', async () => {
    const operator = callerAs('operator');
    const first = await operator.exports.start({ connectionId: 'c1', formats: ['markdown'] });
    expect(first.queuedBehind).toBeNull();
    const second = await operator.exports.start({ connectionId: 'c1', formats: ['json', 'csv'] });
    expect(second.queuedBehind).toBe(first.id);
    expect(await operator.exports.get({ id: first.id })).toMatchObject({
      requestedByUser: 'operator@example.test',
      connectionName: 'Team',
      workspaceName: 'Acme',
      ownFolder: true,
    });

    await operator.exports.pause({ id: first.id });
    await operator.exports.resume({ id: first.id });
    await operator.exports.cancel({ id: second.id });
    await completeWithAFailure(first.id);
    expect(await operator.exports.retryFailed({ id: first.id })).toEqual({ id: first.id, retried: 1 });
    await handle(ctx.store, first.id, { type: 'StartExport', data: { attempt: 2, runner: 'r' } });
    await handle(ctx.store, first.id, {
      type: 'CompleteExport',
      data: { pages: 2, databases: 0, skipped: 0, failed: 0, files: 1, bytes: 4, stats: { requests: 3, rateLimited: 0, retries: 0 } },
    });
    fs.mkdirSync(path.join(ctx.config.exportsDir, first.id), { recursive: true });
    fs.writeFileSync(path.join(ctx.config.exportsDir, first.id, 'p1.md'), '# P1');
    expect(await operator.exports.delete({ id: first.id })).toEqual({ id: first.id, filesRemoved: true, bytes: 4 });
    await expect(operator.exports.get({ id: first.id })).rejects.toMatchObject({ code: 'NOT_FOUND' });

    const by = { outcome: 'ok', actor: 'operator@example.test', address: ADDRESS };
    expect(await auditLog()).toEqual([
      { ...by, action: 'export.started', target: `export:${first.id}`, detail: { connection: 'Team', formats: ['markdown'] } },
      { ...by, action: 'export.started', target: `export:${second.id}`, detail: { connection: 'Team', formats: ['json', 'csv'] } },
      { ...by, action: 'export.paused', target: `export:${first.id}`, detail: { connection: 'Team' } },
      { ...by, action: 'export.resumed', target: `export:${first.id}`, detail: { connection: 'Team' } },
      { ...by, action: 'export.cancelled', target: `export:${second.id}`, detail: { connection: 'Team' } },
      { ...by, action: 'export.retried', target: `export:${first.id}`, detail: { connection: 'Team', pages: 1 } },
      { ...by, action: 'export.deleted', target: `export:${first.id}`, detail: { connection: 'Team', filesRemoved: true, bytes: 4 } },
    ]);
  });

  it('refuses to delete a queued export with a clear message, and records nothing', async () => {
    const operator = callerAs('operator');
    const { id } = await operator.exports.start({ connectionId: 'c1', formats: ['json'] });
    const before = (await auditLog()).length;
    await expect(operator.exports.delete({ id })).rejects.toMatchObject({
      code: 'PRECONDITION_FAILED',
      message: `Export ${id} is queued: cancel it first, then delete it`,
    });
    await expect(operator.exports.delete({ id: 'nope' })).rejects.toMatchObject({ code: 'NOT_FOUND' });
    expect(await auditLog()).toHaveLength(before);
  });

  it('filters the list (validated), and offers the choices the exports there are make', async () => {
    const operator = callerAs('operator');
    const admin = callerAs('admin');
    const a = await operator.exports.start({ connectionId: 'c1', formats: ['json'] });
    const b = await admin.exports.start({ connectionId: 'c2', formats: ['json'] });
    await operator.exports.pause({ id: b.id });
    const viewer = callerAs('viewer');
    expect((await viewer.exports.list()).map((e) => e.id).sort()).toEqual([a.id, b.id].sort());
    expect((await viewer.exports.list({ status: 'paused' })).map((e) => e.id)).toEqual([b.id]);
    expect((await viewer.exports.list({ status: ['queued', 'running'], connectionId: 'c1' })).map((e) => e.id)).toEqual([a.id]);
    expect((await viewer.exports.list({ startedBy: 'admin@example.test' })).map((e) => e.id)).toEqual([b.id]);
    expect(await viewer.exports.list({ startedBy: 'cli' })).toEqual([]);
    await expect(viewer.exports.list({ status: 'finished' as never })).rejects.toMatchObject({ code: 'BAD_REQUEST' });
    await expect(viewer.exports.list({ startedBy: 'not an email' })).rejects.toMatchObject({ code: 'BAD_REQUEST' });
    expect(await viewer.exports.filterChoices()).toEqual({
      connections: [
        { id: 'c2', name: 'n', workspaceName: null },
        { id: 'c1', name: 'Team', workspaceName: 'Acme' },
      ],
      startedBy: ['admin@example.test', 'operator@example.test'],
      cli: false,
    });
  });

  it("gives the export's file tree to viewers", async () => {
    const { id } = await callerAs('operator').exports.start({ connectionId: 'c1', formats: ['markdown'] });
    fs.mkdirSync(path.join(ctx.config.exportsDir, id), { recursive: true });
    await completeWithAFailure(id);
    expect(await callerAs('viewer').exports.files({ id })).toEqual({
      available: true,
      files: 1,
      bytes: 4,
      leftOut: 0,
      children: [{ kind: 'file', name: 'p1.md', path: 'p1.md', bytes: 4 }],
    });
  });

  it("keeps this machine's paths out of the live progress of people who are not administrators", async () => {
    const { id } = await callerAs('operator').exports.start({ connectionId: 'c1', formats: ['markdown'] });
    const first = async (role: Role) => {
      // A tracked message is [its id, the message] in the server's own calls.
      const feed = (await callerAs(role).exports.onProgress({ id })) as unknown as AsyncIterableIterator<[string, { progress: { outDir: string | null } }]>;
      const { value } = await feed.next();
      await feed.return?.(undefined);
      return value[1].progress.outDir;
    };
    expect(await first('viewer')).toBeNull();
    expect(await first('admin')).toBe(path.join(ctx.config.exportsDir, id));
  });
});
