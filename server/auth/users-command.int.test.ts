import { Readable } from 'node:stream';
import { afterEach, describe, expect, it } from 'vitest';
import { listAudit } from '@/server/audit/audit-query';
import { disableUser, findUserByEmail } from '@/server/auth/user-admin';
import { usersCommand } from '@/server/auth/users-command';
import { sessionCookie, TEST_PASSWORD } from '@/server/testing/sessions';
import { createTestContext, type TestContext } from '@/server/testing/test-context';

let ctx: TestContext;
afterEach(async () => {
  await ctx.cleanup();
});

describe('users command', () => {
  const run = (args: string[], stdin = '') => usersCommand(ctx, args, Readable.from([stdin]));

  it('adds with the password from stdin, lists, changes roles and removes, but never the last admin', async () => {
    ctx = await createTestContext();
    expect(await run(['add', 'root@example.test', '--role', 'admin', '--password-stdin'], `${TEST_PASSWORD}\n`)).toBe('Added root@example.test (admin).\n');
    expect(await sessionCookie(ctx, 'root@example.test')).toContain('session_token=');
    await run(['add', 'eve@example.test', '--role', 'viewer', '--password-stdin', '--name', 'Eve'], TEST_PASSWORD);
    expect(await run(['list'])).toBe('eve@example.test\tviewer\tEve\nroot@example.test\tadmin\troot\n');
    expect(await run(['set-role', 'eve@example.test', 'operator'])).toBe('eve@example.test is now operator.\n');
    await expect(run(['set-role', 'root@example.test', 'viewer'])).rejects.toMatchObject({ code: 'INVALID_STATE' });
    await expect(run(['remove', 'root@example.test'])).rejects.toMatchObject({ code: 'INVALID_STATE' });
    await run(['set-role', 'eve@example.test', 'admin']);
    expect(await run(['remove', 'root@example.test'])).toBe('Removed root@example.test.\n');
    expect(await run(['list'])).toBe('eve@example.test\tadmin\tEve\n');
    const sessions = await ctx.database.client.execute('select count(*) as n from session');
    expect(Number(sessions.rows[0]?.n)).toBe(0);
  });

  it('records every change in the audit log as the actor `cli`, refusals too, never the password', async () => {
    ctx = await createTestContext();
    await run(['add', 'Root@example.test', '--role', 'admin', '--password-stdin'], TEST_PASSWORD);
    await run(['add', 'eve@example.test', '--role', 'viewer', '--password-stdin'], TEST_PASSWORD);
    await run(['set-role', 'eve@example.test', 'operator']);
    await expect(run(['remove', 'root@example.test'])).rejects.toThrow();
    await run(['remove', 'eve@example.test']);
    await expect(run(['add', 'root@example.test', '--role', 'viewer', '--password-stdin'], TEST_PASSWORD)).rejects.toThrow();
    const { entries } = await listAudit(ctx.database.db);
    expect(entries.reverse().map((e) => [e.action, e.outcome, e.actorEmail, e.actorId, e.address, e.targetType, e.detail])).toEqual([
      ['user.created', 'ok', 'cli', null, null, 'user', { email: 'root@example.test', role: 'admin' }],
      ['user.created', 'ok', 'cli', null, null, 'user', { email: 'eve@example.test', role: 'viewer' }],
      ['user.role-changed', 'ok', 'cli', null, null, 'user', { email: 'eve@example.test', from: 'viewer', to: 'operator' }],
      ['user.removed', 'refused', 'cli', null, null, 'user', { email: 'root@example.test', role: 'admin', reason: expect.stringMatching(/last enabled admin/) }],
      ['user.removed', 'ok', 'cli', null, null, 'user', { email: 'eve@example.test', role: 'operator' }],
      ['user.created', 'refused', 'cli', null, null, null, { email: 'root@example.test', role: 'viewer', reason: expect.stringMatching(/exists already/) }],
    ]);
    expect(JSON.stringify(entries)).not.toContain(TEST_PASSWORD);
  });

  it('lists a disabled user as disabled', async () => {
    ctx = await createTestContext();
    await run(['add', 'root@example.test', '--role', 'admin', '--password-stdin'], TEST_PASSWORD);
    await run(['add', 'eve@example.test', '--role', 'viewer', '--password-stdin', '--name', 'Eve'], TEST_PASSWORD);
    const eve = await findUserByEmail(ctx, 'eve@example.test');
    await disableUser(ctx, eve?.id ?? '');
    expect(await run(['list'])).toBe('eve@example.test\tviewer\tEve\tdisabled\nroot@example.test\tadmin\troot\n');
  });

  it('refuses what it cannot do, changing nothing', async () => {
    ctx = await createTestContext();
    await expect(run(['add', 'x@example.test', '--role', 'owner', '--password-stdin'], TEST_PASSWORD)).rejects.toMatchObject({ code: 'BAD_INPUT' });
    await expect(run(['add', 'x@example.test', '--role', 'viewer'])).rejects.toThrow(/--password-stdin/);
    await expect(run(['add', 'x@example.test', '--role', 'viewer', '--password-stdin'], 'short')).rejects.toMatchObject({ code: 'BAD_INPUT' });
    await expect(run(['set-role', 'nobody@example.test', 'admin'])).rejects.toMatchObject({ code: 'NOT_FOUND' });
    await expect(run(['frobnicate', 'x@example.test'])).rejects.toThrow(/Unknown users command/);
    await expect(run([])).rejects.toThrow(/Usage/);
    expect(await run(['list'])).toBe('No users.\n');
    await run(['add', 'x@example.test', '--role', 'viewer', '--password-stdin'], TEST_PASSWORD);
    await expect(run(['add', 'X@example.test', '--role', 'admin', '--password-stdin'], TEST_PASSWORD)).rejects.toMatchObject({ code: 'CONFLICT' });
    expect(await run(['list'])).toBe('x@example.test\tviewer\tx\n');
  });
});
