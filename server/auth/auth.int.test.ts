import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { toNodeHandler } from 'better-auth/node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createAuth } from '@/server/auth/auth';
import { deriveAuthSecret } from '@/server/auth/auth-secret';
import { viewerOf } from '@/server/auth/viewer';
import { createTestUser, TEST_PASSWORD } from '@/server/testing/sessions';
import { createTestContext, type TestContext } from '@/server/testing/test-context';
import { authOf } from '@/server/auth/auth';

/** better-auth's own routes over real HTTP, on a real database file. */
let ctx: TestContext;
let server: http.Server;
let base: string;

beforeAll(async () => {
  ctx = await createTestContext({ publicUrl: 'http://127.0.0.1:3999' });
  server = http.createServer(toNodeHandler(authOf(ctx)));
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  await createTestUser(ctx, 'operator', 'op@example.test');
});
afterAll(async () => {
  await new Promise((resolve) => server.close(resolve));
  await ctx.cleanup();
});

const post = (path: string, body: unknown, headers: Record<string, string> = {}) =>
  fetch(`${base}/api/auth${path}`, { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body: JSON.stringify(body) });

const cookieOf = (response: Response) =>
  response.headers
    .getSetCookie()
    .map((c) => c.split(';')[0])
    .join('; ');

describe('accounts over HTTP', () => {
  it('POST /api/auth/sign-in/email answers 200 and sets an HTTP-only, SameSite=Lax session cookie (not Secure over http)', async () => {
    const response = await post('/sign-in/email', { email: 'op@example.test', password: TEST_PASSWORD });
    expect(response.status).toBe(200);
    const [cookie] = response.headers.getSetCookie().filter((c) => c.startsWith('better-auth.session_token='));
    expect(cookie).toMatch(/; HttpOnly/i);
    expect(cookie).toMatch(/; SameSite=Lax/i);
    expect(cookie).not.toMatch(/; Secure/i);
    const body = await response.json();
    expect(JSON.stringify(body)).not.toContain(TEST_PASSWORD);
    const viewer = await viewerOf(authOf(ctx), new Headers({ cookie: cookieOf(response) }));
    expect(viewer).toMatchObject({ email: 'op@example.test', role: 'operator' });
  });

  it('refuses a wrong password with 401 and sets no cookie', async () => {
    const response = await post('/sign-in/email', { email: 'op@example.test', password: 'not the password at all' });
    expect(response.status).toBe(401);
    expect(response.headers.getSetCookie()).toEqual([]);
  });

  it('has no sign-up: only admins add people', async () => {
    const response = await post('/sign-up/email', { email: 'new@example.test', password: TEST_PASSWORD, name: 'New' });
    expect(response.status).toBeGreaterThanOrEqual(400);
    const rows = await ctx.database.client.execute("select count(*) as n from user where email = 'new@example.test'");
    expect(Number(rows.rows[0]?.n)).toBe(0);
  });

  it('changes a password and signs the other sessions out', async () => {
    await createTestUser(ctx, 'viewer', 'pw@example.test');
    // Another client address: the sign-ins of the tests above count against theirs.
    const client = { 'x-forwarded-for': '198.51.100.7' };
    const first = cookieOf(await post('/sign-in/email', { email: 'pw@example.test', password: TEST_PASSWORD }, client));
    const second = cookieOf(await post('/sign-in/email', { email: 'pw@example.test', password: TEST_PASSWORD }, client));
    expect(first).not.toBe(second);
    const changed = await post(
      '/change-password',
      { currentPassword: TEST_PASSWORD, newPassword: 'a brand new passphrase', revokeOtherSessions: true },
      { ...client, cookie: second, origin: 'http://127.0.0.1:3999' },
    );
    expect(changed.status).toBe(200);
    expect(await viewerOf(authOf(ctx), new Headers({ cookie: first }))).toBeUndefined();
    expect(await viewerOf(authOf(ctx), new Headers({ cookie: cookieOf(changed) || second }))).toMatchObject({ email: 'pw@example.test' });
  });

  it('limits sign-in attempts (3 per 10 s) and keeps the count in the database', async () => {
    const attempts = [];
    const client = { 'x-forwarded-for': '192.0.2.44' };
    for (let i = 0; i < 4; i++) attempts.push((await post('/sign-in/email', { email: 'op@example.test', password: `wrong password ${i}` }, client)).status);
    expect(attempts).toEqual([401, 401, 401, 429]);
    const rows = await ctx.database.client.execute("select key, count from rate_limit where key like '%sign-in%'");
    expect(rows.rows.length).toBeGreaterThan(0);
  });
});

describe('the auth settings', () => {
  it('marks cookies Secure when PUBLIC_URL is https', async () => {
    const auth = createAuth({ ...ctx.config, publicUrl: 'https://exports.example.test' }, ctx.database);
    const response = await auth.handler(
      new Request('https://exports.example.test/api/auth/sign-in/email', {
        method: 'POST',
        headers: { 'content-type': 'application/json', 'x-forwarded-for': '203.0.113.9' },
        body: JSON.stringify({ email: 'op@example.test', password: TEST_PASSWORD }),
      }),
    );
    expect(response.status).toBe(200);
    const [cookie] = response.headers.getSetCookie().filter((c) => c.includes('session_token='));
    expect(cookie).toMatch(/^__Secure-better-auth\.session_token=.*; Secure/i);
  });

  it('derives its secret from the key material, apart from the token key', () => {
    const secret = deriveAuthSecret({ secret: 'test-secret-test-secret', dataDir: ctx.dir });
    expect(secret).toHaveLength(43);
    expect(secret).not.toContain('test-secret');
    expect(deriveAuthSecret({ secret: 'another-secret-entirely', dataDir: ctx.dir })).not.toBe(secret);
    expect(deriveAuthSecret({ secret: 'test-secret-test-secret', dataDir: ctx.dir })).toBe(secret);
  });
});
