import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { authOf } from '@/server/auth/auth';
import { acceptInvite, checkInvite, createInvite, type InviteDeps, InviteRefusedError, listPendingInvites, revokeInvite } from '@/server/auth/invites';
import { listUsers } from '@/server/auth/user-admin';
import { viewerOf } from '@/server/auth/viewer';
import { createAppContext } from '@/server/context';
import { LiveFeed } from '@/server/events/live-feed';
import { fakeClock } from '@/server/testing/fake-clock';
import { cookieHeaderOf, createTestUser, signInOverHttp, TEST_PASSWORD } from '@/server/testing/sessions';
import { createTestContext, type TestContext } from '@/server/testing/test-context';

const HOUR = 3_600_000;
const PUBLIC_URL = 'http://exports.example.test:3000';

let ctx: TestContext;
let clock: ReturnType<typeof fakeClock>;
let deps: InviteDeps;
let adminId: string;
beforeEach(async () => {
  ctx = await createTestContext({ publicUrl: PUBLIC_URL });
  clock = fakeClock(Date.now());
  deps = { ...ctx, now: clock.now };
  adminId = (await createTestUser(ctx, 'admin', 'root@example.test')).id;
});
afterEach(async () => {
  await ctx.cleanup();
});

const tokenOf = (link: string) => link.slice(`${PUBLIC_URL}/invite/`.length);
const storedInvites = async () => (await ctx.database.client.execute('select * from invites')).rows;

describe('invite links', () => {
  it('are a random 32-byte token under PUBLIC_URL, stored only as its SHA-256, valid for 7 days by default', async () => {
    const { invite, link } = await createInvite(deps, { email: 'Ann@Example.test', role: 'operator' }, { id: adminId });
    expect(link).toMatch(new RegExp(`^${PUBLIC_URL}/invite/[A-Za-z0-9_-]{43}$`));
    const token = tokenOf(link);
    expect(Buffer.from(token, 'base64url')).toHaveLength(32);
    expect(invite).toMatchObject({ email: 'ann@example.test', role: 'operator', invitedBy: 'root@example.test' });
    expect(invite.expiresAt.getTime() - invite.createdAt.getTime()).toBe(7 * 24 * HOUR);
    const rows = await storedInvites();
    expect(rows).toHaveLength(1);
    expect(String(rows[0]?.token_hash)).toMatch(/^[0-9a-f]{64}$/);
    expect(JSON.stringify(rows)).not.toContain(token);
    expect(invite.id).toBe(rows[0]?.token_hash);
    expect(await checkInvite(deps, token)).toMatchObject({ state: 'valid', email: 'ann@example.test', role: 'operator' });
  });

  it('end to end: accepting makes an account with the chosen name and password, which signs in over HTTP', async () => {
    const { link } = await createInvite(deps, { email: 'ann@example.test', role: 'viewer', lifetimeHours: 1 }, { id: adminId });
    const accepted = await acceptInvite(deps, { token: tokenOf(link), name: 'Ann Smith', password: TEST_PASSWORD });
    expect(accepted).toMatchObject({ email: 'ann@example.test', role: 'viewer', invitedBy: adminId });
    const response = await signInOverHttp(ctx, 'ann@example.test', TEST_PASSWORD, '198.51.100.20');
    expect(response.status).toBe(200);
    expect(await viewerOf(authOf(ctx), new Headers({ cookie: cookieHeaderOf(response) }))).toMatchObject({
      email: 'ann@example.test',
      name: 'Ann Smith',
      role: 'viewer',
    });
    expect(await checkInvite(deps, tokenOf(link))).toEqual({ state: 'used' });
    expect(await listPendingInvites(deps)).toEqual([]);
  });

  it('expire at the end of their lifetime (1 hour … 30 days), by the injected clock', async () => {
    await expect(createInvite(deps, { email: 'a@example.test', role: 'viewer', lifetimeHours: 0 }, { id: adminId })).rejects.toMatchObject({ code: 'BAD_INPUT' });
    await expect(createInvite(deps, { email: 'a@example.test', role: 'viewer', lifetimeHours: 721 }, { id: adminId })).rejects.toMatchObject({ code: 'BAD_INPUT' });
    const { link } = await createInvite(deps, { email: 'a@example.test', role: 'viewer', lifetimeHours: 2 }, { id: adminId });
    clock.advance(2 * HOUR - 1);
    expect((await checkInvite(deps, tokenOf(link))).state).toBe('valid');
    expect(await listPendingInvites(deps)).toHaveLength(1);
    clock.advance(1);
    expect(await checkInvite(deps, tokenOf(link))).toEqual({ state: 'expired' });
    expect(await listPendingInvites(deps)).toEqual([]);
    const refused = acceptInvite(deps, { token: tokenOf(link), password: TEST_PASSWORD });
    await expect(refused).rejects.toBeInstanceOf(InviteRefusedError);
    await expect(refused).rejects.toMatchObject({ state: 'expired', code: 'INVALID_STATE', message: expect.stringMatching(/expired.*Ask an admin/) });
    expect((await listUsers(ctx)).map((u) => u.email)).toEqual(['root@example.test']);
  });

  it('are used once: accepting again is refused and says so', async () => {
    const { link } = await createInvite(deps, { email: 'a@example.test', role: 'viewer' }, { id: adminId });
    await acceptInvite(deps, { token: tokenOf(link), password: TEST_PASSWORD });
    const again = acceptInvite(deps, { token: tokenOf(link), password: 'another good password' });
    await expect(again).rejects.toMatchObject({ state: 'used', message: expect.stringMatching(/used already/) });
    expect((await listUsers(ctx)).map((u) => u.email)).toEqual(['a@example.test', 'root@example.test']);
    // The first password is the one that holds.
    expect((await signInOverHttp(ctx, 'a@example.test', 'another good password', '198.51.100.21')).status).toBe(401);
  });

  it('two accepts racing on two connections to the database make one account', async () => {
    const { link } = await createInvite(deps, { email: 'race@example.test', role: 'operator' }, { id: adminId });
    const other = await createAppContext(ctx.config, new LiveFeed());
    try {
      const results = await Promise.allSettled([
        acceptInvite(deps, { token: tokenOf(link), name: 'One', password: TEST_PASSWORD }),
        acceptInvite({ ...other, now: clock.now }, { token: tokenOf(link), name: 'Two', password: TEST_PASSWORD }),
      ]);
      expect(results.map((r) => r.status).sort()).toEqual(['fulfilled', 'rejected']);
      const refused = results.find((r) => r.status === 'rejected');
      expect(refused?.status === 'rejected' && refused.reason).toBeInstanceOf(InviteRefusedError);
    } finally {
      other.database.close();
    }
    expect((await listUsers(ctx)).filter((u) => u.email === 'race@example.test')).toHaveLength(1);
  });

  it('unknown or made-up tokens are refused and make nothing', async () => {
    await createInvite(deps, { email: 'a@example.test', role: 'viewer' }, { id: adminId });
    for (const token of ['x', 'A'.repeat(43)]) {
      expect(await checkInvite(deps, token)).toEqual({ state: 'unknown' });
      await expect(acceptInvite(deps, { token, password: TEST_PASSWORD })).rejects.toMatchObject({ state: 'unknown', code: 'NOT_FOUND' });
    }
    await expect(acceptInvite(deps, { token: '', password: TEST_PASSWORD })).rejects.toMatchObject({ code: 'BAD_INPUT' });
    expect(await listUsers(ctx)).toHaveLength(1);
  });

  it('revoked, the link is unknown and the invite is no longer pending; a revoked or used invite cannot be revoked', async () => {
    const { invite, link } = await createInvite(deps, { email: 'a@example.test', role: 'viewer' }, { id: adminId });
    expect((await listPendingInvites(deps)).map((i) => i.id)).toEqual([invite.id]);
    expect(await revokeInvite(deps, invite.id)).toEqual({ email: 'a@example.test', role: 'viewer' });
    expect(await listPendingInvites(deps)).toEqual([]);
    expect(await checkInvite(deps, tokenOf(link))).toEqual({ state: 'unknown' });
    await expect(acceptInvite(deps, { token: tokenOf(link), password: TEST_PASSWORD })).rejects.toMatchObject({ message: expect.stringMatching(/revoked/) });
    await expect(revokeInvite(deps, invite.id)).rejects.toMatchObject({ code: 'NOT_FOUND' });

    const used = await createInvite(deps, { email: 'b@example.test', role: 'viewer' }, { id: adminId });
    await acceptInvite(deps, { token: tokenOf(used.link), password: TEST_PASSWORD });
    await expect(revokeInvite(deps, used.invite.id)).rejects.toMatchObject({ code: 'NOT_FOUND' });
    expect((await listUsers(ctx)).map((u) => u.email)).toEqual(['b@example.test', 'root@example.test']);
  });

  it('refuses an email that has an account; a new invite for the same email replaces the older link', async () => {
    await expect(createInvite(deps, { email: 'ROOT@example.test', role: 'viewer' }, { id: adminId })).rejects.toMatchObject({ code: 'CONFLICT' });
    const first = await createInvite(deps, { email: 'a@example.test', role: 'viewer' }, { id: adminId });
    const second = await createInvite(deps, { email: 'a@example.test', role: 'operator' }, { id: adminId });
    expect(await checkInvite(deps, tokenOf(first.link))).toEqual({ state: 'unknown' });
    expect((await listPendingInvites(deps)).map((i) => [i.email, i.role])).toEqual([['a@example.test', 'operator']]);
    expect((await acceptInvite(deps, { token: tokenOf(second.link), password: TEST_PASSWORD })).role).toBe('operator');
  });

  it('a refused password leaves the invite usable; an email taken meanwhile gives it back too', async () => {
    const { link } = await createInvite(deps, { email: 'a@example.test', role: 'viewer' }, { id: adminId });
    await expect(acceptInvite(deps, { token: tokenOf(link), password: 'short' })).rejects.toMatchObject({ code: 'BAD_INPUT' });
    expect((await checkInvite(deps, tokenOf(link))).state).toBe('valid');
    await createTestUser(ctx, 'viewer', 'a@example.test');
    await expect(acceptInvite(deps, { token: tokenOf(link), password: TEST_PASSWORD })).rejects.toMatchObject({ code: 'CONFLICT' });
    expect((await checkInvite(deps, tokenOf(link))).state).toBe('valid');
  });

  it('lists pending invites soonest to expire first, with who sent them (null once they are gone)', async () => {
    await createInvite(deps, { email: 'late@example.test', role: 'viewer', lifetimeHours: 48 }, { id: adminId });
    await createInvite(deps, { email: 'soon@example.test', role: 'admin', lifetimeHours: 1 }, { id: 'someone-removed' });
    expect((await listPendingInvites(deps)).map((i) => [i.email, i.invitedBy])).toEqual([
      ['soon@example.test', null],
      ['late@example.test', 'root@example.test'],
    ]);
  });
});
