import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { handle } from '@/server/export/domain/handle';
import { claimNext } from '@/server/runner/job-queue';
import { requestTestExport, seedConnections } from '@/server/testing/seed';
import { createTestContext, type TestContext } from '@/server/testing/test-context';
import path from 'node:path';
import { DEFAULT_EXPORT_OPTIONS } from '@/server/export/domain/export';
import {
  ExportListFilter,
  exportAheadOf,
  exportFilterChoices,
  exportNames,
  getExport,
  listExports,
  redactForViewer,
  withoutAbsolutePaths,
} from './export-queries';

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

/** An export requested from the dashboard by `email` (or by the CLI when none), into EXPORTS_DIR unless `outDir` says. */
async function requestBy(exportId: string, connectionId: string, email?: string, outDir = path.join(ctx.config.exportsDir, exportId)) {
  await handle(ctx.store, exportId, {
    type: 'RequestExport',
    data: {
      exportId,
      connectionId,
      formats: ['markdown', 'csv'],
      outDir,
      requestedBy: email ? 'dashboard' : 'cli',
      ...(email ? { requestedByUser: email } : {}),
      options: DEFAULT_EXPORT_OPTIONS,
    },
  });
}

const ids = async (filter: unknown) =>
  (await listExports(ctx.database.db, { filter: ExportListFilter.parse(filter) })).map((r) => r.id).sort();

describe('identity and filters of the list', () => {
  beforeEach(async () => {
    await ctx.database.client.execute("update connections set name = 'Team', workspace_name = 'Acme Workspace' where id = 'c1'");
    await ctx.database.client.execute("update connections set name = 'archive' where id = 'c2'");
    await requestBy('a1', 'c1', 'alice@example.test');
    await requestBy('a2', 'c2', 'alice@example.test');
    await requestBy('b1', 'c1', 'bob@example.test');
    await requestBy('k1', 'c2', undefined, '/srv/somewhere/else');
    await handle(ctx.store, 'a1', { type: 'StartExport', data: { attempt: 1, runner: 'A' } });
    await handle(ctx.store, 'b1', { type: 'PauseExport', data: { reason: 'test', cause: 'user' } });
  });

  it('gives each export its connection and workspace names, who started it, and whether its folder is its own', async () => {
    const rows = await listExports(ctx.database.db, { exportsDir: ctx.config.exportsDir });
    const byId = Object.fromEntries(rows.map((r) => [r.id, r]));
    expect(byId.a1).toMatchObject({ connectionName: 'Team', workspaceName: 'Acme Workspace', requestedByUser: 'alice@example.test', ownFolder: true });
    expect(byId.k1).toMatchObject({ connectionName: 'archive', workspaceName: null, requestedByUser: null, ownFolder: false });
    // Without EXPORTS_DIR no folder is said to be the export's own.
    expect((await getExport(ctx.database.db, 'a1')).ownFolder).toBe(false);
    expect(await getExport(ctx.database.db, 'a1', { exportsDir: ctx.config.exportsDir })).toMatchObject({ ownFolder: true, connectionName: 'Team' });
    expect(await exportNames(ctx.database.db, 'a1')).toEqual({ connectionName: 'Team', workspaceName: 'Acme Workspace' });
    await expect(exportNames(ctx.database.db, 'nope')).rejects.toMatchObject({ code: 'NOT_FOUND' });
  });

  it('filters by one status or several, by connection, by who started it (or nobody signed in), and all together', async () => {
    expect(await ids({})).toEqual(['a1', 'a2', 'b1', 'k1']);
    expect(await ids({ status: 'queued' })).toEqual(['a2', 'k1']);
    expect(await ids({ status: ['running', 'paused'] })).toEqual(['a1', 'b1']);
    expect(await ids({ connectionId: 'c1' })).toEqual(['a1', 'b1']);
    expect(await ids({ startedBy: 'alice@example.test' })).toEqual(['a1', 'a2']);
    expect(await ids({ startedBy: 'cli' })).toEqual(['k1']);
    expect(await ids({ status: ['queued', 'running'], connectionId: 'c2', startedBy: 'alice@example.test' })).toEqual(['a2']);
    expect(await ids({ connectionId: 'c3' })).toEqual([]);
  });

  it('refuses filters that are not a status, an email or "cli"', () => {
    expect(ExportListFilter.safeParse({ status: 'done' }).success).toBe(false);
    expect(ExportListFilter.safeParse({ status: ['queued', 'nope'] }).success).toBe(false);
    expect(ExportListFilter.safeParse({ startedBy: "x' or 1=1 --" }).success).toBe(false);
    expect(ExportListFilter.safeParse({ connectionId: '' }).success).toBe(false);
    expect(ExportListFilter.parse({ status: 'failed' })).toEqual({ status: ['failed'] });
  });

  it('offers as choices the connections and the people that exports name', async () => {
    expect(await exportFilterChoices(ctx.database.db)).toEqual({
      // By name as people read it, whatever the case.
      connections: [
        { id: 'c2', name: 'archive', workspaceName: null },
        { id: 'c1', name: 'Team', workspaceName: 'Acme Workspace' },
      ],
      startedBy: ['alice@example.test', 'bob@example.test'],
      cli: true,
    });
  });

  it('names the export of a connection a new one waits behind: the running one, else the oldest queued', async () => {
    await requestBy('a3', 'c1', 'alice@example.test');
    expect(await exportAheadOf(ctx.database.db, 'c1', 'a3')).toBe('a1');
    await requestBy('k2', 'c2');
    expect(await exportAheadOf(ctx.database.db, 'c2', 'k2')).toBe('a2');
    await seedConnections(ctx, ['c3']);
    await requestBy('n1', 'c3');
    expect(await exportAheadOf(ctx.database.db, 'c3', 'n1')).toBeNull();
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
