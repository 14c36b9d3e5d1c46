import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { handle } from '@/server/export/domain/handle';
import { claimNext } from '@/server/runner/job-queue';
import { requestTestExport, seedConnections } from '@/server/testing/seed';
import { createTestContext, type TestContext } from '@/server/testing/test-context';
import { getExport, listExports, redactForViewer, withoutAbsolutePaths } from './export-queries';

let ctx: TestContext;
beforeEach(async () => {
  ctx = await createTestContext();
  await seedConnections(ctx, ['c1', 'c2']);
});
afterEach(async () => {
  await ctx.cleanup();
});

const request = (exportId: string, connectionId = 'c1') => requestTestExport(ctx, exportId, connectionId);

describe('export queries', () => {
  it('says a queued export waits for the export of its connection that runs', async () => {
    await request('e1', 'c1');
    await request('e2', 'c1');
    await request('e3', 'c2');
    const claim = (await claimNext(ctx.database.db, { owner: 'A', leaseMs: 60_000, now: Date.now() + 10 }))!;
    await handle(ctx.store, 'e1', { type: 'StartExport', data: { attempt: claim.attempt, runner: 'A' } });
    const waits = Object.fromEntries((await listExports(ctx.database.db)).map((r) => [r.id, r.wait]));
    expect(waits).toEqual({ e1: null, e2: { reason: 'connection_busy', exportId: 'e1' }, e3: { reason: 'runner' } });
    expect((await getExport(ctx.database.db, 'e2')).wait).toEqual({ reason: 'connection_busy', exportId: 'e1' });
    // Without a runner in this server, that is what the others wait for.
    expect((await getExport(ctx.database.db, 'e3', { noRunner: true })).wait).toEqual({ reason: 'no_runner' });
  });

  it('says when a retry runs, until its time has come', async () => {
    await request('e1');
    await handle(ctx.store, 'e1', { type: 'StartExport', data: { attempt: 1, runner: 'A' } });
    const now = new Date('2026-12-01T10:00:00.000Z');
    await handle(ctx.store, 'e1', { type: 'FailExport', data: { reason: 'Notion answered 503', retryable: true, now, jitter: 1 } });
    const before = await getExport(ctx.database.db, 'e1', { now });
    expect(before.wait).toEqual({ reason: 'retry', at: '2026-12-01T10:00:30.000Z', attempt: 2, maxAttempts: 6, after: 'Notion answered 503' });
    const after = await getExport(ctx.database.db, 'e1', { now: new Date('2026-12-01T10:00:31.000Z') });
    expect(after.wait).toEqual({ reason: 'runner' });
  });

  it('reads one export with its failures and issues, newest exports first, and says when one does not exist', async () => {
    await request('e1');
    await request('e2');
    await handle(ctx.store, 'e1', { type: 'StartExport', data: { attempt: 1, runner: 'A' } });
    const item = (id: string) => ({ id, kind: 'page' as const, title: id, parentId: null, dir: '', stem: id, status: 'pending' as const });
    await handle(ctx.store, 'e1', {
      type: 'RecordProgress',
      data: {
        discovered: [item('p1'), item('p2')],
        exported: [{ id: 'p1', files: [], issues: [{ kind: 'unsupported_block', sourceId: 'b1', message: 'not supported' }] }],
        failed: [{ id: 'p2', kind: 'page', title: 'P2', code: 'object_not_found', message: 'gone' }],
        stats: { requests: 1, rateLimited: 0, retries: 0 },
      },
    });
    const detail = await getExport(ctx.database.db, 'e1');
    expect(detail).toMatchObject({
      id: 'e1',
      status: 'running',
      wait: null,
      failures: [{ id: 'p2', kind: 'page', title: 'p2', error: 'object_not_found: gone' }],
      issues: [{ itemId: 'p1', kind: 'unsupported_block', sourceId: 'b1', message: 'not supported' }],
    });
    expect((await listExports(ctx.database.db, { limit: 1 })).map((r) => r.id)).toHaveLength(1);
    await expect(getExport(ctx.database.db, 'nope')).rejects.toMatchObject({ code: 'NOT_FOUND' });
  });
});

describe('redactForViewer', () => {
  it('drops the folder and absolute paths from messages, and keeps the rest', async () => {
    await request('e1');
    await handle(ctx.store, 'e1', { type: 'StartExport', data: { attempt: 1, runner: 'A' } });
    await handle(ctx.store, 'e1', {
      type: 'FailExport',
      data: { reason: "EACCES: permission denied, open '/srv/notion/exports/e1/Page.md'", retryable: false, now: new Date(), jitter: 0 },
    });
    const row = await getExport(ctx.database.db, 'e1');
    expect(row.outDir).toBe('/tmp/e1');
    const seen = redactForViewer({
      ...row,
      failures: [{ id: 'p', kind: 'page' as const, title: 'P', error: 'ENOSPC: no space left on device, write C:\\data\\x.md' }],
      issues: [{ itemId: 'p', kind: 'attachment_failed', sourceId: 's', message: 'could not save /srv/notion/exports/e1/a.png' }],
    });
    expect(seen).not.toHaveProperty('outDir');
    expect(seen.lastError).toBe("EACCES: permission denied, open '…'");
    expect(seen.failures[0]?.error).toBe('ENOSPC: no space left on device, write …');
    expect(seen.issues[0]?.message).toBe('could not save …');
    expect(seen).toMatchObject({ id: 'e1', status: 'failed', connectionId: 'c1' });
    const listed = (await listExports(ctx.database.db)).map(redactForViewer);
    expect(JSON.stringify(listed)).not.toContain('/srv/');
    expect(JSON.stringify(listed)).not.toContain('/tmp/e1');
  });

  it('leaves URLs and words with slashes alone', () => {
    expect(withoutAbsolutePaths('GET https://api.notion.com/v1/pages/abc failed: 404')).toBe('GET https://api.notion.com/v1/pages/abc failed: 404');
    expect(withoutAbsolutePaths('and/or 3/4 (see /var/log/x)')).toBe('and/or 3/4 (see …)');
    expect(withoutAbsolutePaths(null)).toBeNull();
  });
});
