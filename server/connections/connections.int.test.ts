import fs from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { TRPCError } from '@trpc/server';
import { eq } from 'drizzle-orm';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { auditEvents, connections, events, exports } from '@/db/schema';
import { startTwin, type Twin } from '@/e2e/notion-twin';
import type { Config } from '@/server/config';
import { handle } from '@/server/export/domain/handle';
import { callerAs } from '@/server/testing/call-as';
import { completeTestExport, requestTestExport } from '@/server/testing/seed';
import { createTestContext, type TestContext } from '@/server/testing/test-context';
import { workspaceKey } from '@/server/notion/workspace-limiter';
import { CHECK_MESSAGES, connectionSecrets, connectionWorkspaceKey, ensureConnection, workspaceKeyOf } from './connections';

let twin: Twin;
/** A port nothing listens on. */
let closedPort: number;
beforeAll(async () => {
  twin = await startTwin({
    workspace: { seed: 3, pages: 2, databases: 0, linkedDatabases: 0, largePages: 0 },
    tokens: ['secret_twin', 'secret_other'],
    recordRequests: true,
  });
  const probe = net.createServer();
  await new Promise<void>((resolve) => probe.listen(0, '127.0.0.1', resolve));
  closedPort = (probe.address() as net.AddressInfo).port;
  await new Promise<void>((resolve) => probe.close(() => resolve()));
});
afterAll(async () => {
  await twin.close();
});

const fastRetry = { maxAttempts: 2, baseDelayMs: 1, maxDelayMs: 1, timeoutMs: 5_000 };

let ctx: TestContext;
async function useContext(overrides: Partial<Config> = {}): Promise<TestContext> {
  await ctx?.cleanup();
  ctx = await createTestContext({ notionRetry: fastRetry, ...overrides });
  return ctx;
}
beforeEach(async () => {
  await useContext();
  twin.resetStats();
  twin.clearFaults();
});
afterEach(async () => {
  await ctx.cleanup();
});

const admin = () => callerAs(ctx, 'admin');
const operator = () => callerAs(ctx, 'operator');
const viewer = () => callerAs(ctx, 'viewer');

const codeOf = async (promise: Promise<unknown>) =>
  promise.then(
    () => 'OK',
    (error: unknown) => (error instanceof TRPCError ? error.code : error),
  );

/** A connection stored as it would be with `token` (that Notion may no longer accept) at `baseUrl`. */
async function storeConnection(id: string, token: string, baseUrl: string): Promise<void> {
  await ctx.database.client.execute({
    sql: "insert into connections (id, name, base_url, token_ciphertext, token_hash, token_hint, workspace_name, created_at, checked_at) values (?, 'Stored', ?, ?, ?, '…xxxx', 'Old name', 0, 0)",
    args: [id, baseUrl, ctx.cipher.encrypt(token), id],
  });
}

const connectionRow = async (id: string) => (await ctx.database.db.select().from(connections).where(eq(connections.id, id)))[0];
const audit = () => ctx.database.db.select().from(auditEvents).orderBy(auditEvents.position);
const usersMeCalls = () => twin.requests().filter((r) => r.path.endsWith('/users/me')).length;

describe('connections.create', () => {
  it('refuses the same token for the same API twice, before Notion is asked, and records what was added', async () => {
    const created = await admin().connections.create({ token: 'secret_twin', baseUrl: twin.url, name: 'Team' });
    expect(usersMeCalls()).toBe(1);
    const again = await admin()
      .connections.create({ token: ' secret_twin ', baseUrl: twin.url, name: 'Team again' })
      .catch((e: unknown) => e);
    expect(again).toBeInstanceOf(TRPCError);
    expect((again as TRPCError).code).toBe('CONFLICT');
    expect((again as TRPCError).message).toContain('already connected as “Team”');
    expect(usersMeCalls()).toBe(1);
    // Another token of the same workspace is another integration: allowed.
    await admin().connections.create({ token: 'secret_other', baseUrl: twin.url });
    expect((await admin().connections.list()).map((c) => c.id)).toContain(created.id);

    const [added] = await audit();
    expect(added).toMatchObject({
      action: 'connection.added',
      outcome: 'ok',
      actorEmail: 'admin@example.test',
      targetType: 'connection',
      targetId: created.id,
      detail: { name: 'Team', workspaceName: 'Twin Workspace', tokenHint: '…twin' },
    });
  });
});

describe("the CLI's connection (ensureConnection)", () => {
  it('is checked as patiently as an export: server errors that a person would hear of after two attempts are retried', async () => {
    await useContext({ notionRetry: { ...fastRetry, maxAttempts: 4 } });
    twin.injectFault({ kind: 'error', status: 503 }, { times: 3, endpoint: 'users.me' });
    const cli = await ensureConnection(ctx, { token: 'secret_twin', baseUrl: twin.url, name: 'CLI' });
    expect(cli).toMatchObject({ name: 'CLI', workspaceName: 'Twin Workspace' });
    expect(usersMeCalls()).toBe(4);
    // Known now: the next run asks nobody.
    expect((await ensureConnection(ctx, { token: ' secret_twin ', baseUrl: twin.url })).id).toBe(cli.id);
    expect(usersMeCalls()).toBe(4);

    twin.injectFault({ kind: 'error', status: 503 }, { times: 3, endpoint: 'users.me' });
    expect(await codeOf(admin().connections.create({ token: 'secret_other', baseUrl: twin.url }))).not.toBe('OK');
    expect(usersMeCalls()).toBe(6);
  });

  it('still gives up, with the reason, when Notion stays down', async () => {
    twin.injectFault({ kind: 'error', status: 503 }, { times: 100, endpoint: 'users.me' });
    const failed = await ensureConnection(ctx, { token: 'secret_twin', baseUrl: twin.url }).catch((e: unknown) => e);
    expect(failed).toBeInstanceOf(Error);
    expect((failed as Error).message).toMatch(/temporarily unavailable/);
    expect(await ctx.database.db.select().from(connections)).toEqual([]);
  });
});

describe('connections.test', () => {
  it('lets an operator check a working token: the names and the check time are refreshed, the check recorded', async () => {
    await storeConnection('c1', 'secret_twin', twin.url);
    const before = Date.now();
    expect(await codeOf(viewer().connections.test({ id: 'c1' }))).toBe('FORBIDDEN');
    const result = await operator().connections.test({ id: 'c1' });
    expect(result).toMatchObject({ ok: true, connection: { id: 'c1', workspaceName: 'Twin Workspace', tokenHint: '…xxxx' } });
    const row = await connectionRow('c1');
    expect(row?.workspaceName).toBe('Twin Workspace');
    // The workspace's id from users/me, which keys the workspace's shared limit.
    expect(row?.workspaceId).toBe(twin.workspace.workspaceId);
    expect(row?.checkedAt?.getTime()).toBeGreaterThanOrEqual(before);
    expect((await audit()).map((e) => [e.action, e.outcome, e.actorEmail, e.targetId, e.detail])).toEqual([
      ['connection.tested', 'ok', 'operator@example.test', 'c1', { name: 'Stored', workspaceName: 'Twin Workspace', result: 'ok' }],
    ]);
  });

  it('says when Notion refuses the token, and leaves the last good check as it was', async () => {
    await storeConnection('c1', 'secret_revoked', twin.url);
    expect(await operator().connections.test({ id: 'c1' })).toEqual({
      ok: false,
      problem: 'token_refused',
      message: CHECK_MESSAGES.token_refused,
    });
    expect((await connectionRow('c1'))?.checkedAt?.getTime()).toBe(0);
    const [entry] = await audit();
    expect(entry).toMatchObject({ action: 'connection.tested', outcome: 'refused', detail: { result: 'token_refused' } });
  });

  it('says Notion cannot be reached in the same words for a closed port and a dropped connection: nothing about the network', async () => {
    await storeConnection('closed', 'secret_twin', `http://127.0.0.1:${closedPort}`);
    await storeConnection('dropped', 'secret_twin', twin.url);
    const closed = await operator().connections.test({ id: 'closed' });
    twin.injectFault({ kind: 'reset' }, { times: fastRetry.maxAttempts, endpoint: 'users.me' });
    const dropped = await operator().connections.test({ id: 'dropped' });
    expect(closed).toEqual({ ok: false, problem: 'unreachable', message: CHECK_MESSAGES.unreachable });
    expect(dropped).toEqual(closed);
    const text = JSON.stringify([closed, dropped, await audit()]);
    for (const detail of ['127.0.0.1', String(closedPort), String(twin.port), 'ECONNREFUSED', 'ECONNRESET', 'fetch failed']) {
      expect(text).not.toContain(detail);
    }
  });

  it('says Notion refused the check when it answers with another error, and that it cannot be reached while it is down', async () => {
    await storeConnection('c1', 'secret_twin', twin.url);
    twin.injectFault({ kind: 'error', status: 403 }, { endpoint: 'users.me' });
    expect(await operator().connections.test({ id: 'c1' })).toEqual({ ok: false, problem: 'refused', message: CHECK_MESSAGES.refused });
    twin.injectFault({ kind: 'error', status: 503 }, { times: 100, endpoint: 'users.me' });
    expect(await operator().connections.test({ id: 'c1' })).toEqual({ ok: false, problem: 'unreachable', message: CHECK_MESSAGES.unreachable });
    twin.clearFaults();
    expect(await operator().connections.test({ id: 'c1' })).toMatchObject({ ok: true });
  });

  it('outside development, refuses an address that is not allowed without sending anything', async () => {
    await useContext({ deployment: 'production' });
    await storeConnection('dev', 'secret_twin', twin.url);
    const result = await operator().connections.test({ id: 'dev' });
    expect(result).toMatchObject({ ok: false, problem: 'not_allowed' });
    expect(result.ok ? '' : result.message).toMatch(/allowed host/);
    expect(usersMeCalls()).toBe(0);
  });

  it('answers NOT_FOUND for a connection that does not exist', async () => {
    expect(await codeOf(operator().connections.test({ id: 'nope' }))).toBe('NOT_FOUND');
  });
});

describe('connections.rename and updateToken', () => {
  it('renames for admins only, refuses an empty name, and records the old and the new name', async () => {
    const { id } = await admin().connections.create({ token: 'secret_twin', baseUrl: twin.url, name: 'Team' });
    expect(await codeOf(operator().connections.rename({ id, name: 'Mine' }))).toBe('FORBIDDEN');
    expect(await codeOf(admin().connections.rename({ id, name: '   ' }))).toBe('BAD_REQUEST');
    expect(await codeOf(admin().connections.rename({ id, name: 'x'.repeat(101) }))).toBe('BAD_REQUEST');
    expect(await admin().connections.rename({ id, name: '  Research  ' })).toMatchObject({ id, name: 'Research' });
    // The same name again changes nothing worth recording.
    await admin().connections.rename({ id, name: 'Research' });
    expect((await admin().connections.list()).map((c) => c.name)).toEqual(['Research']);
    const renamed = (await audit()).filter((e) => e.action === 'connection.renamed');
    expect(renamed.map((e) => e.detail)).toEqual([{ name: 'Research', workspaceName: 'Twin Workspace', previousName: 'Team' }]);
  });

  it('records a replaced token by its hints only, and refuses a token another connection already uses', async () => {
    const first = await admin().connections.create({ token: 'secret_twin', baseUrl: twin.url });
    const second = await admin().connections.create({ token: 'secret_other', baseUrl: twin.url });
    expect(await codeOf(admin().connections.updateToken({ id: second.id, token: 'secret_twin' }))).toBe('CONFLICT');
    // Both tokens into one workspace: one id, stored when each was added and again with the new token.
    expect((await connectionRow(first.id))?.workspaceId).toBe(twin.workspace.workspaceId);
    expect((await connectionRow(second.id))?.workspaceId).toBe(twin.workspace.workspaceId);
    await ctx.database.db.update(connections).set({ workspaceId: null }).where(eq(connections.id, first.id));
    await admin().connections.updateToken({ id: first.id, token: 'secret_twin' });
    expect((await connectionRow(first.id))?.workspaceId).toBe(twin.workspace.workspaceId);
    const rotated = (await audit()).filter((e) => e.action === 'connection.token-rotated');
    expect(rotated.map((e) => e.detail)).toEqual([
      { name: 'Twin Workspace', workspaceName: 'Twin Workspace', tokenHint: '…twin', previousTokenHint: '…twin' },
    ]);
    expect(JSON.stringify(await audit())).not.toMatch(/secret_(twin|other)/);
  });
});

describe('the workspace key of a connection', () => {
  it('is by the stored workspace id; a connection stored without one is asked users/me once, and keeps the answer', async () => {
    const added = await admin().connections.create({ token: 'secret_twin', baseUrl: twin.url });
    await storeConnection('c-old', 'secret_other', twin.url); // stored before ids were: the name only
    expect((await connectionRow('c-old'))?.workspaceId).toBeNull();
    twin.resetStats();
    const key = await connectionWorkspaceKey(ctx, 'c-old');
    expect(usersMeCalls()).toBe(1);
    expect((await connectionRow('c-old'))?.workspaceId).toBe(twin.workspace.workspaceId);
    // Two tokens into one workspace (its name differs in the old row): one key, by the id.
    expect(key).toBeDefined();
    expect(key).toBe(await connectionWorkspaceKey(ctx, added.id));
    expect(key).toBe(workspaceKey(twin.url, { workspaceId: twin.workspace.workspaceId }));
    expect(usersMeCalls()).toBe(1); // known now: no request
  });

  it('falls back to the name when Notion does not answer, and asks again next time', async () => {
    await storeConnection('c-refused', 'secret_revoked', twin.url);
    twin.resetStats();
    expect(await connectionWorkspaceKey(ctx, 'c-refused')).toBe(workspaceKey(twin.url, { workspaceName: 'Old name' }));
    expect((await connectionRow('c-refused'))?.workspaceId).toBeNull();
    expect(workspaceKeyOf(ctx.config, { baseUrl: null, workspaceId: null, workspaceName: null })).toBeUndefined();
    expect(workspaceKeyOf({}, { baseUrl: null, workspaceId: 'w', workspaceName: null })).toBe(workspaceKey('https://api.notion.com', { workspaceId: 'w' }));
    await expect(connectionWorkspaceKey(ctx, 'missing')).rejects.toThrow(/does not exist/);
  });
});

describe('connections.remove', () => {
  /** A connection with one finished export whose folder (in EXPORTS_DIR) holds a 5-byte file. */
  async function connectionWithExport() {
    const connection = await admin().connections.create({ token: 'secret_twin', baseUrl: twin.url, name: 'Team' });
    const folder = path.join(ctx.config.exportsDir, 'e1');
    fs.mkdirSync(folder, { recursive: true });
    fs.writeFileSync(path.join(folder, 'Page.md'), 'hello');
    await requestTestExport(ctx, 'e1', connection.id, folder);
    await completeTestExport(ctx, 'e1', ['Page.md']);
    return { connection, folder };
  }

  const exportRow = async (id: string) => (await ctx.database.db.select().from(exports).where(eq(exports.id, id)))[0];

  it('is for admins only', async () => {
    const { connection } = await connectionWithExport();
    for (const caller of [viewer(), operator()]) {
      expect(await codeOf(caller.connections.remove({ id: connection.id, keepExports: false }))).toBe('FORBIDDEN');
    }
    expect(await codeOf(admin().connections.remove({ id: connection.id } as never))).toBe('BAD_REQUEST');
    expect(await connectionRow(connection.id)).toBeDefined();
  });

  it('keeping the exports: the connection leaves the list and cannot run exports, its exports and their files stay', async () => {
    const { connection, folder } = await connectionWithExport();
    expect((await admin().connections.list())[0]?.exports).toEqual({ count: 1, bytes: 0, active: 0 });
    expect(await admin().connections.remove({ id: connection.id, keepExports: true })).toEqual({
      keptExports: 1,
      deletedExports: 0,
      bytesRemoved: 0,
    });
    expect(await admin().connections.list()).toEqual([]);
    expect((await connectionRow(connection.id))?.removedAt).toBeInstanceOf(Date);
    expect((await exportRow('e1'))?.connectionId).toBe(connection.id);
    expect(fs.existsSync(path.join(folder, 'Page.md'))).toBe(true);
    await expect(connectionSecrets(ctx, connection.id)).rejects.toThrow(/was removed/);
    expect(await codeOf(operator().connections.test({ id: connection.id }))).toBe('NOT_FOUND');
    expect(await codeOf(operator().exports.start({ connectionId: connection.id }))).toBe('NOT_FOUND');
    expect(await codeOf(admin().connections.remove({ id: connection.id, keepExports: true }))).toBe('NOT_FOUND');
    // The same token can be added again, as a new connection.
    const again = await admin().connections.create({ token: 'secret_twin', baseUrl: twin.url });
    expect(again.id).not.toBe(connection.id);

    const removed = (await audit()).filter((e) => e.action === 'connection.removed');
    expect(removed.map((e) => [e.targetId, e.detail])).toEqual([
      [connection.id, { name: 'Team', workspaceName: 'Twin Workspace', keepExports: true, keptExports: 1, deletedExports: 0, bytesRemoved: 0 }],
    ]);
  });

  it('not keeping them: each export is deleted with its files, then the connection', async () => {
    const { connection, folder } = await connectionWithExport();
    expect(await admin().connections.remove({ id: connection.id, keepExports: false })).toEqual({
      keptExports: 0,
      deletedExports: 1,
      bytesRemoved: 5,
    });
    expect(fs.existsSync(folder)).toBe(false);
    expect(await exportRow('e1')).toBeUndefined();
    expect(await ctx.database.db.select().from(events).where(eq(events.streamId, 'export-e1'))).toEqual([]);
    expect(await connectionRow(connection.id)).toBeUndefined();
    const removed = (await audit()).filter((e) => e.action === 'connection.removed');
    expect(removed.map((e) => e.detail)).toEqual([
      { name: 'Team', workspaceName: 'Twin Workspace', keepExports: false, keptExports: 0, deletedExports: 1, bytesRemoved: 5 },
    ]);
  });

  it('is refused while one of its exports is queued or running, whichever way, and changes nothing', async () => {
    const { connection, folder } = await connectionWithExport();
    await requestTestExport(ctx, 'e2', connection.id, path.join(ctx.config.exportsDir, 'e2'));
    const check = async () => {
      for (const keepExports of [true, false]) {
        const refused = await admin()
          .connections.remove({ id: connection.id, keepExports })
          .catch((e: unknown) => e);
        expect(refused).toBeInstanceOf(TRPCError);
        expect((refused as TRPCError).code).toBe('PRECONDITION_FAILED');
        expect((refused as TRPCError).message).toMatch(/“Team” has an export queued or running: cancel it or let it finish/);
      }
      expect((await admin().connections.list()).map((c) => c.id)).toEqual([connection.id]);
      expect(await exportRow('e1')).toBeDefined();
      expect(fs.existsSync(path.join(folder, 'Page.md'))).toBe(true);
    };
    expect((await admin().connections.list())[0]?.exports.active).toBe(1);
    await check();
    await handle(ctx.store, 'e2', { type: 'StartExport', data: { attempt: 1, runner: 'r' } });
    expect((await exportRow('e2'))?.status).toBe('running');
    await check();
    expect((await audit()).filter((e) => e.action === 'connection.removed')).toEqual([]);
  });
});
