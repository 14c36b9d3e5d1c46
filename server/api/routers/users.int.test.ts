import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createCaller } from '@/server/api/root';
import { createTestUser, sessionCookie, TEST_PASSWORD } from '@/server/testing/sessions';
import { createTestContext, type TestContext } from '@/server/testing/test-context';

let ctx: TestContext;
let admin: ReturnType<typeof createCaller>;
let adminId: string;
beforeEach(async () => {
  ctx = await createTestContext();
  const me = await createTestUser(ctx, 'admin', 'root@example.test');
  adminId = me.id;
  admin = createCaller({ app: ctx, viewer: { id: me.id, email: me.email, name: me.name, role: 'admin' } });
});
afterEach(async () => {
  await ctx.cleanup();
});

describe('users router', () => {
  it('creates a user who can sign in, lists them, changes their role and removes them', async () => {
    const created = await admin.users.create({ email: 'Ann@Example.test', name: 'Ann', role: 'operator', password: TEST_PASSWORD });
    expect(created).toMatchObject({ email: 'ann@example.test', role: 'operator' });
    expect(await sessionCookie(ctx, 'ann@example.test')).toContain('session_token=');
    expect((await admin.users.list()).map((u) => [u.email, u.role, u.you])).toEqual([
      ['ann@example.test', 'operator', false],
      ['root@example.test', 'admin', true],
    ]);
    await admin.users.setRole({ id: created.id, role: 'viewer' });
    expect((await admin.users.list()).find((u) => u.id === created.id)?.role).toBe('viewer');
    await admin.users.remove({ id: created.id });
    expect((await admin.users.list()).map((u) => u.email)).toEqual(['root@example.test']);
  });

  it('refuses a taken email, a short password, and removing or demoting the last admin (yourself)', async () => {
    await expect(admin.users.create({ email: 'root@example.test', role: 'viewer', password: TEST_PASSWORD })).rejects.toMatchObject({ code: 'CONFLICT' });
    await expect(admin.users.create({ email: 'b@example.test', role: 'viewer', password: 'short' })).rejects.toMatchObject({ code: 'BAD_REQUEST' });
    await expect(admin.users.remove({ id: adminId })).rejects.toMatchObject({ code: 'PRECONDITION_FAILED' });
    await expect(admin.users.setRole({ id: adminId, role: 'operator' })).rejects.toMatchObject({ code: 'PRECONDITION_FAILED' });
    await expect(admin.users.remove({ id: 'nobody' })).rejects.toMatchObject({ code: 'NOT_FOUND' });
    expect((await admin.users.list()).map((u) => [u.email, u.role])).toEqual([['root@example.test', 'admin']]);
  });

  it('tells the signed-in person who they are and what the dashboard may offer them', async () => {
    expect(await admin.me()).toMatchObject({ email: 'root@example.test', role: 'admin', can: { operate: true, administer: true } });
    const viewer = createCaller({ app: ctx, viewer: { id: 'v', email: 'v@example.test', name: 'V', role: 'viewer' } });
    expect((await viewer.me()).can).toEqual({ operate: false, administer: false });
  });
});
