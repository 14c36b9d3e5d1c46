import { TRPCError } from '@trpc/server';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTwin, type Twin } from '@/e2e/notion-twin';
import { callerAs } from '@/server/testing/call-as';
import { isFinished } from '@/server/export/domain/export-status';
import { Runner } from '@/server/runner/runner';
import { exportRow } from '@/server/testing/export-row';
import { createTestContext, type TestContext } from '@/server/testing/test-context';

let twin: Twin;
beforeAll(async () => {
  twin = await startTwin({ workspace: { seed: 2, pages: 15, databases: 1, rowsPerDatabase: 4 } });
});
afterAll(async () => {
  await twin.close();
});

/** A database of its own for one test, and a caller of the routers on it. */
async function setup() {
  const ctx = await createTestContext({ notionRetry: { maxAttempts: 2, baseDelayMs: 5, maxDelayMs: 10 } });
  return { ctx, caller: callerAs(ctx, 'admin') };
}

/** The same, with a connection to the twin already added. */
async function withConnection() {
  const { ctx, caller } = await setup();
  const connection = await caller.connections.create({ token: 'secret_twin', baseUrl: twin.url });
  return { ctx, caller, connection };
}

/** Runs the test body, then removes its database whatever happened. */
async function using<T extends { ctx: TestContext }>(made: Promise<T>, body: (t: T) => Promise<void>): Promise<void> {
  const t = await made;
  try {
    await body(t);
  } finally {
    await t.ctx.cleanup();
  }
}

describe('tRPC routers', () => {
  it('adds a connection after checking it, and lists it without the token', () =>
    using(setup(), async ({ caller }) => {
      const created = await caller.connections.create({ token: 'secret_twin', baseUrl: twin.url });
      expect(created).toMatchObject({ name: 'Twin Workspace', workspaceName: 'Twin Workspace', tokenHint: '…twin' });
      const list = await caller.connections.list();
      expect(list.map((c) => c.id)).toEqual([created.id]);
      expect(JSON.stringify(list)).not.toContain('secret_twin');
    }));

  it('answers a bad token, a bad URL and an empty token with clear messages', () =>
    using(setup(), async ({ caller }) => {
      const bad = await caller.connections.create({ token: 'secret_bad', baseUrl: twin.url }).catch((e: unknown) => e);
      expect(bad).toBeInstanceOf(TRPCError);
      expect((bad as TRPCError).code).toBe('BAD_REQUEST');
      expect((bad as TRPCError).message).toMatch(/token/i);
      await expect(caller.connections.create({ token: 'x', baseUrl: 'ftp://nope' })).rejects.toThrow(/http\(s\) URL/);
      await expect(caller.connections.create({ token: '  ' })).rejects.toThrow(/Enter the integration token/);
      expect(await caller.connections.list()).toEqual([]);
    }));

  it('starts an export that the local runner performs, then shows it with its failures', () =>
    using(withConnection(), async ({ ctx, caller, connection }) => {
      // The runner would not look for work for an hour by itself: the request wakes it.
      const runner = new Runner(ctx, { pollMs: 3_600_000 });
      runner.start();
      const { id } = await caller.exports.start({ connectionId: connection.id, formats: ['markdown'] });
      await exportRow(ctx, id, (r) => isFinished(r.status));
      await runner.stop();
      const row = await caller.exports.get({ id });
      expect(row).toMatchObject({ status: 'completed', formats: ['markdown'], failures: [] });
      expect(row.pagesDone).toBe(
        twin.workspace.allPages().length + twin.workspace.allDatabases().length + twin.workspace.linkedDatabases().length,
      );
      expect((await caller.exports.list()).map((e) => e.id)).toEqual([id]);
      // The export folder is this machine's: administrators see it, others do not.
      expect(row.outDir).toMatch(/^(\/|[A-Za-z]:\\)/);
      const viewer = callerAs(ctx, 'viewer');
      expect(await viewer.exports.get({ id })).toMatchObject({ id, status: 'completed', outDir: null });
      expect(JSON.stringify(await viewer.exports.list())).not.toContain(String(row.outDir));
    }));

  it('maps domain errors: unknown export, unknown connection, cancelling a finished export', () =>
    using(withConnection(), async ({ ctx, caller, connection }) => {
      await expect(caller.exports.get({ id: 'nope' })).rejects.toMatchObject({ code: 'NOT_FOUND' });
      await expect(caller.exports.start({ connectionId: 'nope', formats: ['json'] })).rejects.toMatchObject({
        code: 'NOT_FOUND',
      });
      const { id } = await caller.exports.start({ connectionId: connection.id, formats: ['json'] });
      expect(await new Runner(ctx).runOnce()).toBe('completed');
      await expect(caller.exports.cancel({ id })).rejects.toMatchObject({ code: 'PRECONDITION_FAILED' });
    }));

  it('cancels a queued export', () =>
    using(withConnection(), async ({ caller, connection }) => {
      const { id } = await caller.exports.start({ connectionId: connection.id, formats: ['json'] });
      await caller.exports.cancel({ id });
      expect(await caller.exports.get({ id })).toMatchObject({ status: 'cancelled', statusReason: 'Cancelled from the dashboard', lastError: null });
    }));
});
