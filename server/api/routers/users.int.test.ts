import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createCaller } from '@/server/api/root';
import { listAudit } from '@/server/audit/audit-query';
import { authOf } from '@/server/auth/auth';
import { viewerOf } from '@/server/auth/viewer';
import { createTestUser, sessionCookie, signInOverHttp, TEST_PASSWORD } from '@/server/testing/sessions';
import { createTestContext, type TestContext } from '@/server/testing/test-context';

const PUBLIC_URL = 'http://exports.example.test';
const ADDRESS = '203.0.113.5';

let ctx: TestContext;
let admin: ReturnType<typeof createCaller>;
let adminId: string;
beforeEach(async () => {
  ctx = await createTestContext({ publicUrl: PUBLIC_URL });
  const me = await createTestUser(ctx, 'admin', 'root@example.test');
  adminId = me.id;
  admin = createCaller({ app: ctx, viewer: { id: me.id, email: me.email, name: me.name, role: 'admin' }, address: ADDRESS });
});

const PEOPLE_ACTIONS = ['user.created', 'user.invited', 'invite.revoked', 'invite.accepted', 'user.role-changed', 'user.disabled', 'user.enabled', 'user.removed'];

/** What the audit log says of people (sign-ins left out), oldest first, as [action, outcome, actor, target, detail]. */
async function auditTrail() {
  const { entries } = await listAudit(ctx.database.db, { limit: 200, action: PEOPLE_ACTIONS });
  return entries.reverse().map((e) => [e.action, e.outcome, e.actorEmail, e.targetType && `${e.targetType}:${e.targetId}`, e.detail]);
}

/** Signs in over HTTP; a fresh client address each time so its rate limit stays out of the way. */
let signIns = 0;
const signIn = (email: string) => signInOverHttp(ctx, email, TEST_PASSWORD, `198.51.100.${++signIns}`);
afterEach(async () => {
  await ctx.cleanup();
});

describe('users router', () => {
  it('creates a user who can sign in, lists them, changes their role and removes them', async () => {
    const created = await admin.users.create({ email: 'Ann@Example.test', name: 'Ann', role: 'operator', password: TEST_PASSWORD });
    expect(created).toMatchObject({ email: 'ann@example.test', role: 'operator' });
    expect(await sessionCookie(ctx, 'ann@example.test')).toContain('session_token=');
    expect((await admin.users.list()).map((u) => [u.email, u.role, u.status, u.you])).toEqual([
      ['ann@example.test', 'operator', 'active', false],
      ['root@example.test', 'admin', 'active', true],
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

  it('records each change in the audit log: who, from where, to whom, with names only; refusals as refused', async () => {
    const ann = await admin.users.create({ email: 'ann@example.test', role: 'operator', password: TEST_PASSWORD });
    await admin.users.setRole({ id: ann.id, role: 'viewer' });
    await admin.users.disable({ id: ann.id });
    await admin.users.enable({ id: ann.id });
    await admin.users.remove({ id: ann.id });
    await expect(admin.users.remove({ id: adminId })).rejects.toThrow();
    const { id: inviteId } = await admin.users.invite({ email: 'bob@example.test', role: 'viewer', lifetimeHours: 24 });
    await admin.users.revokeInvite({ id: inviteId });
    expect(await auditTrail()).toEqual([
      ['user.created', 'ok', 'root@example.test', `user:${ann.id}`, { email: 'ann@example.test', role: 'operator' }],
      ['user.role-changed', 'ok', 'root@example.test', `user:${ann.id}`, { email: 'ann@example.test', from: 'operator', to: 'viewer' }],
      ['user.disabled', 'ok', 'root@example.test', `user:${ann.id}`, { email: 'ann@example.test' }],
      ['user.enabled', 'ok', 'root@example.test', `user:${ann.id}`, { email: 'ann@example.test' }],
      ['user.removed', 'ok', 'root@example.test', `user:${ann.id}`, { email: 'ann@example.test', role: 'viewer' }],
      ['user.removed', 'refused', 'root@example.test', `user:${adminId}`, { reason: expect.stringMatching(/last enabled admin/) }],
      ['user.invited', 'ok', 'root@example.test', `invite:${inviteId}`, { email: 'bob@example.test', role: 'viewer', lifetimeHours: 24 }],
      ['invite.revoked', 'ok', 'root@example.test', `invite:${inviteId}`, { email: 'bob@example.test', role: 'viewer' }],
    ]);
    const { entries } = await listAudit(ctx.database.db, { action: PEOPLE_ACTIONS });
    expect(entries).toHaveLength(8);
    expect(entries.every((e) => e.address === ADDRESS && e.actorId === adminId)).toBe(true);
    expect(JSON.stringify(entries)).not.toContain(TEST_PASSWORD);
  });

  it('disables a user: their sessions end and they cannot sign in over HTTP until enabled again', async () => {
    const ann = await createTestUser(ctx, 'operator', 'ann@example.test');
    const cookie = await sessionCookie(ctx, 'ann@example.test');
    expect(await viewerOf(authOf(ctx), new Headers({ cookie }))).toMatchObject({ email: 'ann@example.test' });
    expect(await admin.users.disable({ id: ann.id })).toEqual({ id: ann.id, status: 'disabled' });
    expect(await viewerOf(authOf(ctx), new Headers({ cookie }))).toBeUndefined();
    expect((await admin.users.list()).find((u) => u.id === ann.id)?.status).toBe('disabled');
    const refused = await signIn('ann@example.test');
    expect(refused.status).toBe(403);
    expect(refused.headers.getSetCookie()).toEqual([]);
    expect(await admin.users.enable({ id: ann.id })).toEqual({ id: ann.id, status: 'active' });
    expect((await signIn('ann@example.test')).status).toBe(200);
  });

  it('never disables yourself or the last enabled admin; a disabled admin does not count as one', async () => {
    await expect(admin.users.disable({ id: adminId })).rejects.toMatchObject({ code: 'PRECONDITION_FAILED', message: 'You cannot disable yourself' });
    const other = await createTestUser(ctx, 'admin', 'other@example.test');
    const asOther = createCaller({ app: ctx, viewer: { id: other.id, email: other.email, name: other.name, role: 'admin' } });
    await asOther.users.disable({ id: adminId });
    // root is disabled: other is the only admin who can sign in.
    await expect(admin.users.disable({ id: other.id })).rejects.toMatchObject({ code: 'PRECONDITION_FAILED' });
    await expect(asOther.users.setRole({ id: other.id, role: 'viewer' })).rejects.toMatchObject({ code: 'PRECONDITION_FAILED' });
    await expect(asOther.users.remove({ id: other.id })).rejects.toMatchObject({ code: 'PRECONDITION_FAILED' });
    // A disabled admin may be demoted or removed: an enabled one remains.
    await asOther.users.setRole({ id: adminId, role: 'viewer' });
    await expect(admin.users.disable({ id: 'nobody' })).rejects.toMatchObject({ code: 'NOT_FOUND' });
    await expect(admin.users.enable({ id: 'nobody' })).rejects.toMatchObject({ code: 'NOT_FOUND' });
    expect((await asOther.users.list()).map((u) => [u.email, u.role, u.status])).toEqual([
      ['other@example.test', 'admin', 'active'],
      ['root@example.test', 'viewer', 'disabled'],
    ]);
  });

  it('invites: the link once, pending until accepted through the public procedures, then an account that signs in', async () => {
    const invited = await admin.users.invite({ email: 'Bob@Example.test', role: 'operator' });
    expect(invited).toMatchObject({ email: 'bob@example.test', role: 'operator', status: 'invited', invitedBy: 'root@example.test' });
    expect(invited.link).toMatch(/^http:\/\/exports\.example\.test\/invite\/[A-Za-z0-9_-]{43}$/);
    const { link, ...pending } = invited;
    const token = link.split('/').at(-1) ?? '';
    expect(await admin.users.invites()).toEqual([pending]);
    expect(JSON.stringify(await admin.users.invites())).not.toContain(token);
    await expect(admin.users.invite({ email: 'root@example.test', role: 'viewer' })).rejects.toMatchObject({ code: 'CONFLICT' });

    const nobody = createCaller({ app: ctx, address: '192.0.2.9' });
    expect(await nobody.invites.check({ token })).toMatchObject({ state: 'valid', email: 'bob@example.test', role: 'operator' });
    expect(await nobody.invites.accept({ token, name: 'Bob', password: TEST_PASSWORD })).toEqual({ email: 'bob@example.test' });
    expect(await nobody.invites.check({ token })).toEqual({ state: 'used' });
    await expect(nobody.invites.accept({ token, password: TEST_PASSWORD })).rejects.toMatchObject({ code: 'PRECONDITION_FAILED' });
    await expect(nobody.invites.accept({ token: 'made-up', password: TEST_PASSWORD })).rejects.toMatchObject({ code: 'NOT_FOUND' });
    expect(await admin.users.invites()).toEqual([]);
    expect((await signIn('bob@example.test')).status).toBe(200);

    const bob = (await admin.users.list()).find((u) => u.email === 'bob@example.test');
    expect(bob).toMatchObject({ name: 'Bob', role: 'operator', status: 'active' });
    const trail = await auditTrail();
    expect(trail.slice(-3)).toEqual([
      ['invite.accepted', 'ok', 'bob@example.test', `user:${bob?.id}`, { email: 'bob@example.test', role: 'operator' }],
      ['invite.accepted', 'refused', null, null, { reason: 'used' }],
      ['invite.accepted', 'refused', null, null, { reason: 'unknown' }],
    ]);
    const { entries } = await listAudit(ctx.database.db, { action: 'invite.accepted' });
    expect(entries.map((e) => e.address)).toEqual(['192.0.2.9', '192.0.2.9', '192.0.2.9']);
    expect(JSON.stringify(await listAudit(ctx.database.db))).not.toContain(token);
  });

  it('an invite whose email got an account meanwhile is no longer pending, and accepting it is refused as a conflict', async () => {
    const { link } = await admin.users.invite({ email: 'carl@example.test', role: 'viewer' });
    await admin.users.create({ email: 'carl@example.test', role: 'viewer', password: TEST_PASSWORD });
    expect(await admin.users.invites()).toEqual([]);
    const token = link.split('/').at(-1) ?? '';
    await expect(createCaller({ app: ctx }).invites.accept({ token, password: TEST_PASSWORD })).rejects.toMatchObject({ code: 'CONFLICT' });
    expect((await auditTrail()).map(([action, outcome]) => `${action} ${outcome}`)).toEqual(['user.invited ok', 'user.created ok']);
  });

  it('tells the signed-in person who they are and what the dashboard may offer them', async () => {
    expect(await admin.me()).toMatchObject({ email: 'root@example.test', role: 'admin', can: { operate: true, administer: true } });
    const viewer = createCaller({ app: ctx, viewer: { id: 'v', email: 'v@example.test', name: 'V', role: 'viewer' } });
    expect((await viewer.me()).can).toEqual({ operate: false, administer: false });
  });
});
