import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { eq } from 'drizzle-orm';
import Provider from 'oidc-provider';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { auditEvents, authAccounts, authUsers } from '@/db/schema';
import { authOf } from '@/server/auth/auth';
import { NO_ROLE_ERROR, SINGLE_SIGN_ON_PROVIDER_ID, singleSignOnCallbackUrl } from '@/server/auth/single-sign-on';
import { viewerOf } from '@/server/auth/viewer';
import { CLIENT_ADDRESS_HEADER } from '@/server/security/client-address';
import { createTestUser } from '@/server/testing/sessions';
import { createTestContext, type TestContext } from '@/server/testing/test-context';

/**
 * Single sign-on against a real OpenID provider (oidc-provider, certified) started on a loopback
 * port: our side is better-auth's own handler on a real database; the browser is played by hand
 * (redirects followed one by one, each side's cookies carried), the provider's development login
 * form standing in for its password page.
 */

const APP = 'http://127.0.0.1:3999';
const CLIENT = { id: 'notion-sync', secret: 'a client secret of the test provider' };

/** The provider's accounts: `groups` is read at every token and userinfo request, so a test may change it. */
const people = new Map<string, { email: string; name?: string; groups: string[] }>([
  ['ada', { email: 'ada@example.test', name: 'Ada Admin', groups: ['staff', 'notion-admins'] }],
  // No name: the user is named after the email.
  ['vic', { email: 'vic@example.test', groups: ['staff'] }],
  ['nobody', { email: 'nobody@example.test', name: 'No Body', groups: ['contractors'] }],
  ['mover', { email: 'mover@example.test', name: 'Mo Ver', groups: ['notion-admins'] }],
  ['pat', { email: 'pat@example.test', name: 'Pat Password', groups: ['notion-admins'] }],
]);

let ctx: TestContext;
let providerServer: http.Server;
let issuer: string;

beforeAll(async () => {
  providerServer = http.createServer();
  await new Promise<void>((resolve) => providerServer.listen(0, '127.0.0.1', resolve));
  issuer = `http://127.0.0.1:${(providerServer.address() as AddressInfo).port}`;
  const provider = new Provider(issuer, {
    clients: [
      {
        client_id: CLIENT.id,
        client_secret: CLIENT.secret,
        redirect_uris: [singleSignOnCallbackUrl(APP)],
        token_endpoint_auth_method: 'client_secret_post',
      },
    ],
    cookies: { keys: ['cookie key of the test provider'] },
    // Lifetimes of its own (seconds), so the provider does not note each default it falls back to.
    ttl: { AccessToken: 300, AuthorizationCode: 60, Grant: 600, IdToken: 300, Interaction: 600, Session: 600 },
    claims: { openid: ['sub'], email: ['email', 'email_verified'], profile: ['name'], groups: ['groups'] },
    async findAccount(_ctx, sub) {
      const person = people.get(sub);
      return person && { accountId: sub, claims: async () => ({ sub, email: person.email, email_verified: true, name: person.name, groups: person.groups }) };
    },
  });
  providerServer.on('request', provider.callback());
  ctx = await createTestContext({
    publicUrl: APP,
    singleSignOn: {
      issuer,
      clientId: CLIENT.id,
      clientSecret: CLIENT.secret,
      displayName: 'Test IdP',
      roleClaim: 'groups',
      roleMap: [
        { value: 'notion-admins', role: 'admin' },
        { value: 'notion-operators', role: 'operator' },
        { value: 'staff', role: 'viewer' },
      ],
      extraScopes: ['groups'],
    },
  });
});

afterAll(async () => {
  providerServer.closeAllConnections();
  await new Promise((resolve) => providerServer.close(resolve));
  await ctx?.cleanup();
});

/** Cookies by name, as a browser would keep them for one site (paths ignored: every request of the test may carry them). */
class CookieJar {
  private readonly cookies = new Map<string, string>();
  take(response: Response): void {
    for (const line of response.headers.getSetCookie()) {
      const [pair = '', ...attributes] = line.split(';');
      const name = pair.slice(0, pair.indexOf('='));
      const value = pair.slice(pair.indexOf('=') + 1);
      const expired = value === '' || attributes.some((a) => /^\s*max-age=0\s*$/i.test(a) || /^\s*expires=.*1970/i.test(a));
      if (expired) this.cookies.delete(name);
      else this.cookies.set(name, value);
    }
  }
  header(): string {
    return [...this.cookies].map(([name, value]) => `${name}=${value}`).join('; ');
  }
}

let browsers = 0;

/** A request to our auth routes, answered by better-auth's handler in process. */
async function app(jar: CookieJar, address: string, url: string, init: RequestInit = {}): Promise<Response> {
  const headers = new Headers(init.headers);
  headers.set('cookie', jar.header());
  headers.set('origin', APP);
  headers.set(CLIENT_ADDRESS_HEADER, address);
  const response = await authOf(ctx).handler(new Request(new URL(url, APP), { ...init, headers }));
  jar.take(response);
  return response;
}

/**
 * One sign-in as the provider's account `login`, from the button's request to our callback's
 * answer (a redirect: to `/` signed in, or to the sign-in page with an error).
 */
async function signInAs(login: string) {
  const appJar = new CookieJar();
  const providerJar = new CookieJar();
  // Each sign-in from another address: sign-in routes are limited to a few attempts per address.
  const address = `198.51.100.${++browsers}`;
  const started = await app(appJar, address, '/api/auth/sign-in/social', {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ provider: SINGLE_SIGN_ON_PROVIDER_ID, callbackURL: '/', errorCallbackURL: '/sign-in' }),
  });
  expect(started.status).toBe(200);
  const { url: authorizationUrl } = (await started.json()) as { url: string };
  let next = authorizationUrl;
  for (let hop = 0; !next.startsWith(`${APP}/`); hop++) {
    if (hop > 12) throw new Error(`the provider never sent the browser back (at ${next})`);
    let response = await fetch(next, { redirect: 'manual', headers: { cookie: providerJar.header() } });
    providerJar.take(response);
    if (response.status === 200) {
      // A development interaction page: the login form (any password), then the consent form.
      const prompt = /name="prompt" value="(\w+)"/.exec(await response.text())?.[1];
      const form: Record<string, string> = prompt === 'login' ? { prompt, login, password: 'anything' } : { prompt: String(prompt) };
      response = await fetch(next, {
        method: 'POST',
        redirect: 'manual',
        headers: { cookie: providerJar.header(), 'content-type': 'application/x-www-form-urlencoded' },
        body: new URLSearchParams(form),
      });
      providerJar.take(response);
    }
    const location = response.headers.get('location');
    if (!location) throw new Error(`the provider answered ${response.status} at ${next}`);
    next = new URL(location, next).href;
  }
  const callback = await app(appJar, address, next);
  return { authorizationUrl: new URL(authorizationUrl), callback, location: callback.headers.get('location') ?? '', cookie: appJar.header(), address };
}

const userRow = async (email: string) => (await ctx.database.db.select().from(authUsers).where(eq(authUsers.email, email)))[0];
const auditOf = async (action: string) => ctx.database.db.select().from(auditEvents).where(eq(auditEvents.action, action));

describe('single sign-on through an OpenID Connect provider', () => {
  it('signs a member of the admin group in as an admin, asking with PKCE for the configured scopes, and keeps none of the provider’s tokens', async () => {
    const { authorizationUrl, callback, location, cookie, address } = await signInAs('ada');
    expect(authorizationUrl.origin).toBe(issuer);
    expect(authorizationUrl.searchParams.get('code_challenge_method')).toBe('S256');
    expect(authorizationUrl.searchParams.get('redirect_uri')).toBe(`${APP}/api/auth/callback/oidc`);
    expect(authorizationUrl.searchParams.get('scope')?.split(' ').sort()).toEqual(['email', 'groups', 'openid', 'profile']);

    expect(callback.status).toBe(302);
    expect(location).toBe('/');
    const viewer = await viewerOf(authOf(ctx), new Headers({ cookie }));
    // staff (viewer) and notion-admins (admin): the highest role wins.
    expect(viewer).toMatchObject({ email: 'ada@example.test', name: 'Ada Admin', role: 'admin' });

    const user = await userRow('ada@example.test');
    const accounts = await ctx.database.db.select().from(authAccounts).where(eq(authAccounts.userId, user!.id));
    expect(accounts).toHaveLength(1);
    expect(accounts[0]).toMatchObject({ providerId: 'oidc', accountId: 'ada', accessToken: null, refreshToken: null, idToken: null, password: null });
    expect(await auditOf('user.created')).toContainEqual(
      expect.objectContaining({ targetId: user!.id, detail: { email: 'ada@example.test', role: 'admin', by: 'single sign-on' } }),
    );
    expect(await auditOf('sign-in')).toContainEqual(
      expect.objectContaining({ actorId: user!.id, actorEmail: 'ada@example.test', address, detail: { method: 'single sign-on' } }),
    );
  });

  it('gives someone with only the viewer group the viewer role', async () => {
    const { location, cookie } = await signInAs('vic');
    expect(location).toBe('/');
    expect(await viewerOf(authOf(ctx), new Headers({ cookie }))).toMatchObject({ email: 'vic@example.test', name: 'vic', role: 'viewer' });
  });

  it('keeps a disabled person out, whatever the provider says', async () => {
    await ctx.database.db.update(authUsers).set({ banned: true }).where(eq(authUsers.email, 'vic@example.test'));
    const { location, cookie } = await signInAs('vic');
    expect(new URL(location, APP).pathname).toBe('/sign-in');
    expect(new URL(location, APP).searchParams.get('error')).toBe('BANNED_USER');
    expect(await viewerOf(authOf(ctx), new Headers({ cookie }))).toBeUndefined();
  });

  it('refuses someone whose groups map to no role, back to the sign-in page, and creates nothing', async () => {
    const { callback, location, cookie, address } = await signInAs('nobody');
    expect(callback.status).toBe(302);
    expect(new URL(location, APP).pathname).toBe('/sign-in');
    expect(new URL(location, APP).searchParams.get('error')).toBe(NO_ROLE_ERROR);
    expect(await viewerOf(authOf(ctx), new Headers({ cookie }))).toBeUndefined();
    expect(await userRow('nobody@example.test')).toBeUndefined();
    expect(await ctx.database.db.select().from(authAccounts).where(eq(authAccounts.accountId, 'nobody'))).toEqual([]);
    expect(await auditOf('sign-in-failed')).toContainEqual(
      expect.objectContaining({
        outcome: 'refused',
        actorEmail: 'nobody@example.test',
        address,
        detail: { method: 'single sign-on', reason: 'no role for the claims', claim: 'groups', values: ['contractors'] },
      }),
    );
    // Once: the redirect that follows is not recorded again.
    expect((await auditOf('sign-in-failed')).filter((entry) => JSON.stringify(entry.detail).includes(NO_ROLE_ERROR))).toEqual([]);
  });

  it('sets the role from the claims again at every sign-in, and refuses once no group gives one', async () => {
    const mover = people.get('mover')!;
    const first = await signInAs('mover');
    expect(await viewerOf(authOf(ctx), new Headers({ cookie: first.cookie }))).toMatchObject({ role: 'admin' });

    mover.groups = ['notion-operators'];
    const second = await signInAs('mover');
    expect(second.location).toBe('/');
    expect(await viewerOf(authOf(ctx), new Headers({ cookie: second.cookie }))).toMatchObject({ email: 'mover@example.test', role: 'operator' });
    // Roles are read at every request: the earlier session lost admin too.
    expect(await viewerOf(authOf(ctx), new Headers({ cookie: first.cookie }))).toMatchObject({ role: 'operator' });
    const user = await userRow('mover@example.test');
    expect(await auditOf('user.role-changed')).toContainEqual(
      expect.objectContaining({ targetId: user!.id, detail: { email: 'mover@example.test', from: 'admin', to: 'operator', by: 'single sign-on' } }),
    );

    mover.groups = [];
    const third = await signInAs('mover');
    expect(new URL(third.location, APP).searchParams.get('error')).toBe(NO_ROLE_ERROR);
    expect(await viewerOf(authOf(ctx), new Headers({ cookie: third.cookie }))).toBeUndefined();
  });

  it('refuses an ID token posted straight to the sign-in route: only the provider’s page signs in', async () => {
    const refused = await app(new CookieJar(), '198.51.100.200', '/api/auth/sign-in/social', {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ provider: SINGLE_SIGN_ON_PROVIDER_ID, idToken: { token: 'eyJhbGciOiJub25lIn0.eyJzdWIiOiJhZGEifQ.' } }),
    });
    expect(refused.status).toBe(400);
    expect(await refused.json()).toMatchObject({ code: 'ID_TOKEN_SIGN_IN_DISABLED' });
    expect(refused.headers.getSetCookie()).toEqual([]);
  });

  it('does not take over a password account with the same email', async () => {
    const existing = await createTestUser(ctx, 'viewer', 'pat@example.test');
    const { location, cookie, address } = await signInAs('pat');
    expect(new URL(location, APP).pathname).toBe('/sign-in');
    expect(new URL(location, APP).searchParams.get('error')).toBe('account_not_linked');
    expect(await auditOf('sign-in-failed')).toContainEqual(
      expect.objectContaining({ outcome: 'refused', address, detail: { method: 'single sign-on', reason: 'account_not_linked' } }),
    );
    expect(await viewerOf(authOf(ctx), new Headers({ cookie }))).toBeUndefined();
    expect(await userRow('pat@example.test')).toMatchObject({ id: existing.id, role: 'viewer' });
    expect(await ctx.database.db.select().from(authAccounts).where(eq(authAccounts.accountId, 'pat'))).toEqual([]);
  });
});
