import { TRPCError } from '@trpc/server';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { appRouter, createCaller } from '@/server/api/root';
import type { Role } from '@/server/auth/roles';
import { createTrpcContext } from '@/server/api/trpc';
import { testViewer } from '@/server/testing/call-as';
import { signedInHeaders } from '@/server/testing/sessions';
import { createTestContext, type TestContext } from '@/server/testing/test-context';

/**
 * Who may call what: one row per procedure of the router, so a new procedure without a row
 * fails here. Every procedure is called as nobody, a viewer, an operator and an admin. `public`:
 * anyone, signed in or not (the invite page's calls, which the link's token guards).
 */
const ACCESS: Record<string, Role | 'public'> = {
  me: 'viewer',
  'exports.list': 'viewer',
  'exports.get': 'viewer',
  'exports.onProgress': 'viewer',
  'exports.start': 'operator',
  'exports.pause': 'operator',
  'exports.resume': 'operator',
  'exports.cancel': 'operator',
  'exports.retryFailed': 'operator',
  'exports.delete': 'operator',
  'exports.files': 'viewer',
  'exports.filterChoices': 'viewer',
  'connections.list': 'operator',
  'connections.create': 'admin',
  'connections.updateToken': 'admin',
  'connections.test': 'operator',
  'connections.rename': 'admin',
  'connections.remove': 'admin',
  'overview.get': 'viewer',
  'settings.get': 'viewer',
  'settings.update': 'admin',
  'settings.flags': 'admin',
  'settings.setFlag': 'admin',
  'settings.runner': 'viewer',
  'settings.updateRunner': 'admin',
  // Operators act on what the System view shows (rate limits, a refused token, a stuck queue); viewers see their exports' own charts.
  'system.status': 'operator',
  'system.onSamples': 'operator',
  'users.list': 'admin',
  'users.create': 'admin',
  'users.setRole': 'admin',
  'users.remove': 'admin',
  'users.disable': 'admin',
  'users.enable': 'admin',
  'users.invite': 'admin',
  'users.invites': 'admin',
  'users.revokeInvite': 'admin',
  'invites.check': 'public',
  'invites.accept': 'public',
  'audit.list': 'admin',
  // A schedule is no secret; changing it, or what retention keeps, is an operator's.
  'schedules.get': 'viewer',
  'schedules.describe': 'viewer',
  'schedules.set': 'operator',
  'schedules.remove': 'operator',
  'schedules.previewRetention': 'operator',
  'schedules.applyRetention': 'operator',
  'snapshots.list': 'viewer',
  'snapshots.pin': 'operator',
  'snapshots.unpin': 'operator',
  'snapshots.syncNow': 'operator',
  'snapshots.diff': 'viewer',
  'snapshots.pageDiff': 'viewer',
  'snapshots.history': 'viewer',
  // The list shows the webhook verification tokens themselves.
  'webhooks.tokens': 'admin',
  'webhooks.useToken': 'admin',
  'webhooks.removeToken': 'admin',
};

const RANK: Record<Role, number> = { viewer: 0, operator: 1, admin: 2 };
const PROCEDURES = Object.keys(appRouter._def.procedures).sort();

let ctx: TestContext;
beforeAll(async () => {
  ctx = await createTestContext();
});
afterAll(async () => {
  await ctx.cleanup();
});

/** Calls `path` with an input no procedure accepts ({ id: 42 }…): whoever passes the role check gets BAD_REQUEST at worst, and nothing changes. */
async function call(role: Role | undefined, path: string): Promise<TRPCError['code'] | 'OK'> {
  const caller = createCaller({ app: ctx, viewer: role ? testViewer(role) : undefined });
  const fn = path.split('.').reduce<unknown>((node, key) => (node as Record<string, unknown>)[key], caller) as (input: unknown) => Promise<unknown>;
  try {
    const result = await fn({ id: 42, token: 42, connectionId: 42, email: 42, requestsPerSecond: 'none' });
    // A subscription that starts hands back its stream: close it.
    if (result && typeof result === 'object' && Symbol.asyncIterator in result) await (result as AsyncGenerator).return?.(undefined);
    return 'OK';
  } catch (error) {
    if (error instanceof TRPCError) return error.code;
    throw error;
  }
}

/** Everything a call could have changed. */
async function stateOfDatabase(): Promise<string> {
  const tables = ['events', 'exports', 'connections', 'settings', 'user', 'session', 'account', 'export_jobs', 'invites', 'audit_events', 'schedules'];
  const counts = [];
  for (const table of tables) {
    const result = await ctx.database.client.execute(`select count(*) as n from "${table}"`);
    counts.push(`${table}=${result.rows[0]?.n}`);
  }
  return counts.join(' ');
}

describe('access to every procedure', () => {
  it('has a row for each procedure of the router, and none for a procedure that does not exist', () => {
    expect(PROCEDURES.filter((path) => !(path in ACCESS))).toEqual([]);
    expect(Object.keys(ACCESS).filter((path) => !PROCEDURES.includes(path))).toEqual([]);
  });

  for (const path of PROCEDURES) {
    const title =
      ACCESS[path] === 'public'
        ? `${path}: public → allowed to anyone, signed in or not`
        : `${path}: nobody → UNAUTHORIZED; below ${ACCESS[path]} → FORBIDDEN with nothing changed; from ${ACCESS[path]} up → allowed`;
    it(title, async () => {
      const needed = ACCESS[path] ?? 'admin';
      const before = await stateOfDatabase();
      if (needed === 'public') {
        for (const role of [undefined, 'viewer', 'operator', 'admin'] as const) {
          expect(['OK', 'BAD_REQUEST', 'NOT_FOUND'], `${role ?? 'nobody'}`).toContain(await call(role, path));
        }
        return;
      }
      expect(await call(undefined, path)).toBe('UNAUTHORIZED');
      for (const role of ['viewer', 'operator', 'admin'] as const) {
        const outcome = await call(role, path);
        if (RANK[role] < RANK[needed]) {
          expect(outcome, role).toBe('FORBIDDEN');
          expect(await stateOfDatabase(), role).toBe(before);
        } else {
          expect(['OK', 'BAD_REQUEST', 'NOT_FOUND'], `${role}: ${outcome}`).toContain(outcome);
        }
      }
    });
  }

  it('refuses a signed-in person whose stored role is none of ours', async () => {
    const caller = createCaller({ app: ctx, viewer: { ...testViewer('viewer'), role: null } });
    await expect(caller.exports.list()).rejects.toMatchObject({ code: 'FORBIDDEN' });
  });
});

describe('createTrpcContext', () => {
  it('reads who is asking from the session cookie of the request, and nobody without one', async () => {
    const g = globalThis as typeof globalThis & { __notionSyncContext?: Promise<TestContext> };
    g.__notionSyncContext = Promise.resolve(ctx);
    try {
      const headers = await signedInHeaders(ctx, 'operator', 'op@example.test');
      const signedIn = await createTrpcContext({ req: new Request('http://localhost/api/trpc/me', { headers }) });
      expect(signedIn.viewer).toMatchObject({ email: 'op@example.test', role: 'operator' });
      expect((await createTrpcContext({ req: new Request('http://localhost/api/trpc/me') })).viewer).toBeUndefined();
    } finally {
      g.__notionSyncContext = undefined;
    }
  });
});
