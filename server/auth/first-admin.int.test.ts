import { afterEach, describe, expect, it } from 'vitest';
import { claimSetup, ensureFirstAdmin, SetupRefusedError } from '@/server/auth/first-admin';
import { countAdmins, listUsers } from '@/server/auth/user-admin';
import { viewerOf } from '@/server/auth/viewer';
import { sessionCookie, TEST_PASSWORD } from '@/server/testing/sessions';
import { createTestContext, type TestContext } from '@/server/testing/test-context';
import { authOf } from '@/server/auth/auth';

let ctx: TestContext;
afterEach(async () => {
  await ctx.cleanup();
});

const tokensStored = async () => (await ctx.database.client.execute('select token_hash from setup_tokens')).rows.map((r) => String(r.token_hash));

/** Runs ensureFirstAdmin and returns what it printed and the link's token. */
async function start() {
  const lines: string[] = [];
  const outcome = await ensureFirstAdmin(ctx, (line) => lines.push(line));
  const token = /\/setup\?token=([A-Za-z0-9_-]+)/.exec(lines.join('\n'))?.[1];
  return { outcome, lines, token };
}

describe('the first admin', () => {
  it('is made from ADMIN_EMAIL and ADMIN_PASSWORD when there is no admin, once', async () => {
    ctx = await createTestContext({ firstAdmin: { email: 'Boss@Example.test', password: TEST_PASSWORD } });
    const first = await start();
    expect(first.outcome).toBe('admin-created');
    expect(first.lines.join('\n')).not.toContain(TEST_PASSWORD);
    expect(await viewerOf(authOf(ctx), new Headers({ cookie: await sessionCookie(ctx, 'boss@example.test') }))).toMatchObject({ role: 'admin' });
    expect((await start()).outcome).toBe('admin-exists');
    expect(await countAdmins(ctx)).toBe(1);
  });

  it('without them, prints a one-time link whose token is stored only as its SHA-256, and a new start voids the old link', async () => {
    ctx = await createTestContext();
    const first = await start();
    expect(first.outcome).toBe('setup-link');
    expect(first.lines).toHaveLength(1);
    expect(first.lines[0]).toContain('http://localhost:0/setup?token=');
    const token = first.token ?? '';
    expect(Buffer.from(token, 'base64url')).toHaveLength(32);
    expect(await tokensStored()).toHaveLength(1);
    expect((await tokensStored())[0]).toMatch(/^[0-9a-f]{64}$/);
    expect((await tokensStored())[0]).not.toContain(token);

    const second = await start();
    expect(second.token).not.toBe(token);
    await expect(claimSetup(ctx, { token, email: 'a@example.test', password: TEST_PASSWORD })).rejects.toBeInstanceOf(SetupRefusedError);
    expect(await listUsers(ctx)).toEqual([]);

    await expect(claimSetup(ctx, { token: second.token ?? '', email: 'a@example.test', password: 'short' })).rejects.toMatchObject({ code: 'BAD_INPUT' });
    expect(await tokensStored()).toHaveLength(1);
    expect(await claimSetup(ctx, { token: second.token ?? '', email: 'A@example.test', password: TEST_PASSWORD })).toEqual({ email: 'a@example.test' });
    expect(await countAdmins(ctx)).toBe(1);
    expect(await tokensStored()).toEqual([]);
    await expect(claimSetup(ctx, { token: second.token ?? '', email: 'b@example.test', password: TEST_PASSWORD })).rejects.toBeInstanceOf(SetupRefusedError);
    expect((await listUsers(ctx)).map((u) => u.email)).toEqual(['a@example.test']);
  });

  it('refuses a made-up token even while no admin exists (an exposed setup page is not claimable)', async () => {
    ctx = await createTestContext();
    await start();
    for (const token of ['', 'x', 'A'.repeat(43)]) {
      await expect(claimSetup(ctx, { token, email: 'a@example.test', password: TEST_PASSWORD })).rejects.toThrow();
    }
    expect(await listUsers(ctx)).toEqual([]);
  });
});
