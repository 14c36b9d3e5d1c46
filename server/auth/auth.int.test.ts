import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { toNodeHandler } from 'better-auth/node';
import { isAPIError } from 'better-auth/api';
import { eq } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { auditEvents, loginAttempts } from '@/db/schema';
import { type Auth, createAuth } from '@/server/auth/auth';
import { deriveAuthSecret } from '@/server/auth/auth-secret';
import { viewerOf } from '@/server/auth/viewer';
import { CLIENT_ADDRESS_HEADER, recordClientAddresses } from '@/server/security/client-address';
import { fakeClock } from '@/server/testing/fake-clock';
import { cookieHeaderOf, createTestUser, TEST_PASSWORD } from '@/server/testing/sessions';
import { createTestContext, type TestContext } from '@/server/testing/test-context';

/**
 * better-auth's own routes over real HTTP, on a real database file, with the sign-in limits on a
 * fake clock. Addresses are recorded as the server does (server/security/client-address.ts);
 * most tests trust a proxy so each can come from an address of its own with X-Forwarded-For
 * (better-auth allows 3 sign-ins per 10 s per address).
 */
const PUBLIC_URL = 'http://127.0.0.1:3999';
let ctx: TestContext;
let auth: Auth;
let server: http.Server;
let base: string;
let stopRecording: () => void;
const clock = fakeClock(Date.now());

beforeAll(async () => {
  ctx = await createTestContext({ publicUrl: PUBLIC_URL });
  auth = createAuth(ctx.config, ctx.database, { clock });
  stopRecording = recordClientAddresses({ trustProxy: true });
  server = http.createServer(toNodeHandler(auth));
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  await createTestUser(ctx, 'operator', 'op@example.test');
});
afterAll(async () => {
  stopRecording();
  await new Promise((resolve) => server.close(resolve));
  await ctx.cleanup();
});

/**
 * A POST as the dashboard's pages make it: JSON, with the page's Origin (Node's fetch, like a
 * browser, sends Sec-Fetch-Mode, so better-auth wants an Origin even on a sign-in). A header given
 * as undefined is left out.
 */
const post = (path: string, body: unknown, headers: Record<string, string | undefined> = {}) => {
  const sent = Object.entries({ 'content-type': 'application/json', origin: PUBLIC_URL, ...headers }).filter(
    (entry): entry is [string, string] => entry[1] !== undefined,
  );
  return fetch(`${base}/api/auth${path}`, { method: 'POST', headers: sent, body: JSON.stringify(body) });
};

/** A POST as curl makes it: no Origin, no Sec-Fetch-* headers. */
function scriptPost(path: string, body: unknown, headers: Record<string, string> = {}): Promise<{ status: number; cookies: string[] }> {
  const text = JSON.stringify(body);
  return new Promise((resolve, reject) => {
    const request = http.request(
      `${base}/api/auth${path}`,
      { method: 'POST', headers: { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text), ...headers } },
      (response) => {
        response.resume();
        response.on('end', () => resolve({ status: response.statusCode ?? 0, cookies: response.headers['set-cookie'] ?? [] }));
      },
    );
    request.on('error', reject);
    request.end(text);
  });
}

/** A request from `address`, as a trusted proxy would forward it. */
const from = (address: string, more: Record<string, string | undefined> = {}) => ({ 'x-forwarded-for': address, ...more });

const auditOf = async (action: string) => ctx.database.db.select().from(auditEvents).where(eq(auditEvents.action, action));
const lastAudit = async (action: string) => (await auditOf(action)).at(-1);

describe('accounts over HTTP', () => {
  it('POST /api/auth/sign-in/email answers 200 and sets an HTTP-only, SameSite=Lax session cookie (not Secure over http); audited', async () => {
    const response = await post('/sign-in/email', { email: 'op@example.test', password: TEST_PASSWORD }, from('192.0.2.1'));
    expect(response.status).toBe(200);
    const [cookie] = response.headers.getSetCookie().filter((c) => c.startsWith('better-auth.session_token='));
    expect(cookie).toMatch(/; HttpOnly/i);
    expect(cookie).toMatch(/; SameSite=Lax/i);
    expect(cookie).not.toMatch(/; Secure/i);
    const body = await response.json();
    expect(JSON.stringify(body)).not.toContain(TEST_PASSWORD);
    const viewer = await viewerOf(auth, new Headers({ cookie: cookieHeaderOf(response) }));
    expect(viewer).toMatchObject({ email: 'op@example.test', role: 'operator' });
    expect(await lastAudit('sign-in')).toMatchObject({ outcome: 'ok', actorId: viewer?.id, actorEmail: 'op@example.test', address: '192.0.2.1' });
  });

  it('refuses a wrong password with 401 and sets no cookie; audits the email tried and why, never the password', async () => {
    const response = await post('/sign-in/email', { email: 'Op@Example.test', password: 'not the password at all' }, from('192.0.2.2'));
    expect(response.status).toBe(401);
    expect(response.headers.getSetCookie()).toEqual([]);
    expect(await lastAudit('sign-in-failed')).toMatchObject({
      outcome: 'refused',
      actorId: null,
      actorEmail: 'op@example.test',
      address: '192.0.2.2',
      detail: { reason: 'wrong-password' },
    });
    expect((await post('/sign-in/email', { email: 'nobody@example.test', password: 'not the password at all' }, from('192.0.2.2'))).status).toBe(401);
    expect(await lastAudit('sign-in-failed')).toMatchObject({ actorEmail: 'nobody@example.test', detail: { reason: 'unknown-account' } });
    const everything = JSON.stringify(await ctx.database.db.select().from(auditEvents));
    expect(everything).not.toContain('not the password at all');
    expect(everything).not.toContain(TEST_PASSWORD);
  });

  it('has no sign-up: only admins add people', async () => {
    const response = await post('/sign-up/email', { email: 'new@example.test', password: TEST_PASSWORD, name: 'New' }, from('192.0.2.3'));
    expect(response.status).toBeGreaterThanOrEqual(400);
    const rows = await ctx.database.client.execute("select count(*) as n from user where email = 'new@example.test'");
    expect(Number(rows.rows[0]?.n)).toBe(0);
  });

  it('changes a password and signs the other sessions out; audited, a wrong current password too', async () => {
    await createTestUser(ctx, 'viewer', 'pw@example.test');
    const client = from('198.51.100.7');
    const first = cookieHeaderOf(await post('/sign-in/email', { email: 'pw@example.test', password: TEST_PASSWORD }, client));
    const second = cookieHeaderOf(await post('/sign-in/email', { email: 'pw@example.test', password: TEST_PASSWORD }, client));
    expect(first).not.toBe(second);
    const wrong = await post(
      '/change-password',
      { currentPassword: 'not the current one', newPassword: 'a brand new passphrase' },
      { ...client, cookie: second },
    );
    expect(wrong.status).toBe(400);
    expect(await lastAudit('password-changed')).toMatchObject({ outcome: 'refused', actorEmail: 'pw@example.test', detail: { reason: 'wrong-password' } });
    const changed = await post(
      '/change-password',
      { currentPassword: TEST_PASSWORD, newPassword: 'a brand new passphrase', revokeOtherSessions: true },
      { ...client, cookie: second },
    );
    expect(changed.status).toBe(200);
    expect(await viewerOf(auth, new Headers({ cookie: first }))).toBeUndefined();
    expect(await viewerOf(auth, new Headers({ cookie: cookieHeaderOf(changed) || second }))).toMatchObject({ email: 'pw@example.test' });
    expect(await lastAudit('password-changed')).toMatchObject({
      outcome: 'ok',
      actorEmail: 'pw@example.test',
      address: '198.51.100.7',
      detail: { otherSessionsRevoked: true },
    });
    expect(JSON.stringify(await ctx.database.db.select().from(auditEvents))).not.toContain('a brand new passphrase');
  });

  it('signs out other sessions, and this one; both audited with the address', async () => {
    const user = await createTestUser(ctx, 'viewer', 'out@example.test');
    const client = from('198.51.100.8');
    const first = cookieHeaderOf(await post('/sign-in/email', { email: 'out@example.test', password: TEST_PASSWORD }, client));
    const second = cookieHeaderOf(await post('/sign-in/email', { email: 'out@example.test', password: TEST_PASSWORD }, client));
    expect((await post('/revoke-other-sessions', {}, { ...client, cookie: second })).status).toBe(200);
    expect(await viewerOf(auth, new Headers({ cookie: first }))).toBeUndefined();
    expect(await lastAudit('other-sessions-revoked')).toMatchObject({ outcome: 'ok', actorId: user.id, address: '198.51.100.8' });
    expect((await post('/sign-out', {}, { ...client, cookie: second })).status).toBe(200);
    expect(await viewerOf(auth, new Headers({ cookie: second }))).toBeUndefined();
    expect(await lastAudit('sign-out')).toMatchObject({ outcome: 'ok', actorId: user.id, actorEmail: 'out@example.test', address: '198.51.100.8' });
    // Signing out without a session records nothing.
    const signOuts = (await auditOf('sign-out')).length;
    expect((await post('/sign-out', {}, client)).status).toBe(200);
    expect(await auditOf('sign-out')).toHaveLength(signOuts);
  });

  it('limits bursts of sign-ins per address (20 per 10 s, better-auth’s own) and keeps the count in the database', async () => {
    const attempts = [];
    for (let i = 0; i < 21; i++) attempts.push((await post('/sign-in/email', { email: `limited-${i}@example.test`, password: `wrong password ${i}` }, from('192.0.2.44'))).status);
    expect(attempts).toEqual([...Array(20).fill(401), 429]);
    const rows = await ctx.database.client.execute("select key from rate_limit where key like '192.0.2.44|%sign-in%'");
    expect(rows.rows.length).toBe(1);
  });
});

describe('failed sign-ins', () => {
  it('lock an account after 5 in 15 minutes, from wherever: refused before the password is checked, with 429 and Retry-After', async () => {
    await createTestUser(ctx, 'viewer', 'target@example.test');
    for (let i = 0; i < 5; i++) {
      expect((await post('/sign-in/email', { email: 'target@example.test', password: `guess number ${i}` }, from(`203.0.113.${i + 1}`))).status).toBe(401);
    }
    // The right password, from yet another address: refused all the same.
    const locked = await post('/sign-in/email', { email: 'Target@example.test', password: TEST_PASSWORD }, from('203.0.113.99'));
    expect(locked.status).toBe(429);
    expect(locked.headers.get('retry-after')).toBe('900');
    expect(locked.headers.getSetCookie()).toEqual([]);
    expect(await locked.json()).toMatchObject({ message: 'Too many failed sign-ins for this account; try again in 15 minutes' });
    expect(await lastAudit('sign-in-failed')).toMatchObject({
      outcome: 'refused',
      actorEmail: 'target@example.test',
      address: '203.0.113.99',
      detail: { reason: 'locked', lock: 'account' },
    });
    clock.advance(10 * 60_000);
    const later = await post('/sign-in/email', { email: 'target@example.test', password: TEST_PASSWORD }, from('203.0.113.98'));
    expect(later.status).toBe(429);
    expect(later.headers.get('retry-after')).toBe('300');
    // Once the lock is over the password works, and the account's failures are cleared.
    clock.advance(5 * 60_000);
    expect((await post('/sign-in/email', { email: 'target@example.test', password: TEST_PASSWORD }, from('203.0.113.97'))).status).toBe(200);
    expect(await ctx.database.db.select().from(loginAttempts).where(eq(loginAttempts.key, 'account:target@example.test'))).toEqual([]);
  });

  it('lock an address after 20 in 15 minutes, on any accounts (through auth.api, which better-auth does not rate-limit)', async () => {
    const headers = new Headers({ [CLIENT_ADDRESS_HEADER]: '198.51.100.99' });
    for (let i = 0; i < 20; i++) {
      const response = await auth.api.signInEmail({ body: { email: `sprayed-${i % 4}@example.test`, password: 'spring2026!' }, headers, asResponse: true });
      expect(response.status).toBe(401);
    }
    const refused = await auth.api.signInEmail({ body: { email: 'op@example.test', password: TEST_PASSWORD }, headers }).catch((error: unknown) => error);
    expect(isAPIError(refused) && refused.statusCode).toBe(429);
    expect(isAPIError(refused) && refused.message).toBe('Too many failed sign-ins from this address; try again in 15 minutes');
    expect(await lastAudit('sign-in-failed')).toMatchObject({ actorEmail: 'op@example.test', address: '198.51.100.99', detail: { reason: 'locked', lock: 'address' } });
    // The account itself is not locked: from another address it signs in.
    const elsewhere = new Headers({ [CLIENT_ADDRESS_HEADER]: '198.51.100.100' });
    expect((await auth.api.signInEmail({ body: { email: 'op@example.test', password: TEST_PASSWORD }, headers: elsewhere, asResponse: true })).status).toBe(200);
  });

  it('of a disabled account (the right password) are audited as such and not counted', async () => {
    await createTestUser(ctx, 'viewer', 'disabled@example.test');
    await ctx.database.client.execute({ sql: 'update user set banned = 1 where email = ?', args: ['disabled@example.test'] });
    const response = await post('/sign-in/email', { email: 'disabled@example.test', password: TEST_PASSWORD }, from('198.51.100.110'));
    expect(response.status).toBe(403);
    expect(response.headers.getSetCookie().filter((c) => c.includes('session_token=') && !c.includes('Max-Age=0'))).toEqual([]);
    expect(await lastAudit('sign-in-failed')).toMatchObject({ actorEmail: 'disabled@example.test', address: '198.51.100.110', detail: { reason: 'disabled' } });
    expect(await ctx.database.db.select().from(loginAttempts).where(eq(loginAttempts.key, 'account:disabled@example.test'))).toMatchObject([{ failures: 0 }]);
  });

  it('that are no password check (a malformed email) are not counted', async () => {
    const headers = new Headers({ [CLIENT_ADDRESS_HEADER]: '198.51.100.120' });
    for (let i = 0; i < 3; i++) {
      const response = await auth.api.signInEmail({ body: { email: 'not an email', password: 'whatever it is' }, headers, asResponse: true });
      expect(response.status).toBe(400);
    }
    const rows = await ctx.database.db.select().from(loginAttempts).where(eq(loginAttempts.key, 'address:198.51.100.120'));
    expect(rows).toMatchObject([{ failures: 0 }]);
  });
});

describe('client addresses', () => {
  it('without a trusted proxy, are the connection’s: an X-Forwarded-For a client sends is ignored', async () => {
    const stop = recordClientAddresses({ trustProxy: false });
    try {
      await createTestUser(ctx, 'viewer', 'spoof@example.test');
      const response = await post(
        '/sign-in/email',
        { email: 'spoof@example.test', password: TEST_PASSWORD },
        { 'x-forwarded-for': '203.0.113.200', [CLIENT_ADDRESS_HEADER]: '203.0.113.201' },
      );
      expect(response.status).toBe(200);
      expect(await lastAudit('sign-in')).toMatchObject({ actorEmail: 'spoof@example.test', address: '127.0.0.1' });
      const rows = await ctx.database.client.execute("select key from rate_limit where key like '127.0.0.1|%sign-in%'");
      expect(rows.rows.length).toBe(1);
    } finally {
      stop();
      stopRecording = recordClientAddresses({ trustProxy: true });
    }
  });
});

describe('cross-site requests to better-auth', () => {
  it('a sign-in from another site’s page is refused (403) and not counted; from a script (no Origin, no Sec-Fetch) or a loopback alias it works', async () => {
    await createTestUser(ctx, 'viewer', 'csrf@example.test');
    const signIns = (await auditOf('sign-in')).length;
    const crossSite = await post('/sign-in/email', { email: 'csrf@example.test', password: TEST_PASSWORD }, from('192.0.2.60', { origin: 'https://evil.example' }));
    expect(crossSite.status).toBe(403);
    expect(crossSite.headers.getSetCookie()).toEqual([]);
    const form = await fetch(`${base}/api/auth/sign-in/email`, {
      method: 'POST',
      headers: { ...from('192.0.2.61'), 'content-type': 'application/x-www-form-urlencoded', 'sec-fetch-site': 'cross-site', 'sec-fetch-mode': 'navigate' },
      body: new URLSearchParams({ email: 'csrf@example.test', password: TEST_PASSWORD }).toString(),
    });
    expect(form.status).toBe(403);
    expect(await auditOf('sign-in')).toHaveLength(signIns);
    // better-auth checks the origin inside the endpoint, after the attempt was counted: it is taken back.
    expect(await ctx.database.db.select().from(loginAttempts).where(eq(loginAttempts.key, 'account:csrf@example.test'))).toMatchObject([{ failures: 0 }]);
    const script = await scriptPost('/sign-in/email', { email: 'csrf@example.test', password: TEST_PASSWORD }, from('192.0.2.62'));
    expect(script.status).toBe(200);
    expect(script.cookies.some((cookie) => cookie.startsWith('better-auth.session_token='))).toBe(true);
    // Node's fetch sends Sec-Fetch-Mode like a browser: then better-auth wants an Origin.
    expect((await post('/sign-in/email', { email: 'csrf@example.test', password: TEST_PASSWORD }, from('192.0.2.64', { origin: undefined }))).status).toBe(403);
    const alias = await post('/sign-in/email', { email: 'csrf@example.test', password: TEST_PASSWORD }, from('192.0.2.63', { origin: 'http://localhost:3999' }));
    expect(alias.status).toBe(200);
  });

  it('a sign-out or a password change from another site, or with a cookie and no Origin, is refused and changes nothing', async () => {
    await createTestUser(ctx, 'viewer', 'victim@example.test');
    const client = from('192.0.2.70');
    const cookie = cookieHeaderOf(await post('/sign-in/email', { email: 'victim@example.test', password: TEST_PASSWORD }, client));
    for (const headers of [{ origin: 'https://evil.example' }, { origin: undefined, referer: 'https://evil.example/page' }, { origin: undefined }]) {
      expect((await post('/sign-out', {}, { ...client, cookie, ...headers })).status).toBe(403);
      const change = await post('/change-password', { currentPassword: TEST_PASSWORD, newPassword: 'chosen by the attacker' }, { ...client, cookie, ...headers });
      expect(change.status).toBe(403);
    }
    expect(await viewerOf(auth, new Headers({ cookie }))).toMatchObject({ email: 'victim@example.test' });
    expect((await post('/sign-in/email', { email: 'victim@example.test', password: TEST_PASSWORD }, from('192.0.2.71'))).status).toBe(200);
  });
});

describe('the auth settings', () => {
  it('marks cookies Secure when PUBLIC_URL is https', async () => {
    const secure = createAuth({ ...ctx.config, publicUrl: 'https://exports.example.test' }, ctx.database);
    const response = await secure.handler(
      new Request('https://exports.example.test/api/auth/sign-in/email', {
        method: 'POST',
        headers: { 'content-type': 'application/json', [CLIENT_ADDRESS_HEADER]: '203.0.113.9' },
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
