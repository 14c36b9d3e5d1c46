import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { AppContext } from '@/server/context';
import { ensureFirstAdmin } from '@/server/auth/first-admin';
import { countAdmins, listUsers } from '@/server/auth/user-admin';
import { viewerOf } from '@/server/auth/viewer';
import { cookieHeaderOf, TEST_PASSWORD } from '@/server/testing/sessions';
import { createTestContext, type TestContext } from '@/server/testing/test-context';
import { POST } from './route';
import { authOf } from '@/server/auth/auth';

/** The setup form's route as Next calls it, on the process-wide context. */
let ctx: TestContext;
let token = '';
const g = globalThis as typeof globalThis & { __notionSyncContext?: Promise<AppContext> };

const PUBLIC_URL = 'http://localhost:3000';

beforeAll(async () => {
  ctx = await createTestContext({ publicUrl: PUBLIC_URL });
  g.__notionSyncContext = Promise.resolve(ctx);
  await ensureFirstAdmin(ctx, (line) => {
    token = /token=([\w-]+)/.exec(line)?.[1] ?? '';
  });
});
afterAll(async () => {
  g.__notionSyncContext = undefined;
  await ctx.cleanup();
});

/** The form as the setup page sends it: JSON, from the dashboard's own origin (or `headers` instead). */
const post = (body: unknown, headers: Record<string, string> = { origin: PUBLIC_URL }) =>
  POST(new Request(`${PUBLIC_URL}/api/setup`, { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body: JSON.stringify(body) }));

describe('POST /api/setup', () => {
  it('refuses a form from another site, or one that says neither Origin nor Referer (403), making no one and keeping the token', async () => {
    const form = { token, email: 'intruder@example.test', password: TEST_PASSWORD };
    for (const headers of [{ origin: 'https://evil.example' }, { referer: 'https://evil.example/setup' }, {}] as Record<string, string>[]) {
      const response = await post(form, headers);
      expect(response.status).toBe(403);
      expect(await response.json()).toMatchObject({ error: expect.stringMatching(/another site|neither/) });
    }
    expect(await countAdmins(ctx)).toBe(0);
    expect((await listUsers(ctx)).map((user) => user.email)).not.toContain('intruder@example.test');
  });

  it('refuses without a valid token (403) or with a body that is no form (400), making no one', async () => {
    expect((await post({ token: 'guessed', email: 'a@example.test', password: TEST_PASSWORD })).status).toBe(403);
    expect((await post({ email: 'a@example.test', password: TEST_PASSWORD })).status).toBe(400);
    expect((await post('nothing')).status).toBe(400);
    expect((await post({ token, email: 'a@example.test', password: 'short' })).status).toBe(400);
    expect(await countAdmins(ctx)).toBe(0);
  });

  it('makes the first admin with the printed token and signs them in; the token works once', async () => {
    const response = await post({ token, email: 'first@example.test', name: 'First', password: TEST_PASSWORD });
    expect(response.status).toBe(200);
    expect(await viewerOf(authOf(ctx), new Headers({ cookie: cookieHeaderOf(response) }))).toMatchObject({ email: 'first@example.test', role: 'admin', name: 'First' });
    expect((await post({ token, email: 'second@example.test', password: TEST_PASSWORD })).status).toBe(403);
    expect(await countAdmins(ctx)).toBe(1);
    const signIns = await ctx.database.client.execute("select actor_email, outcome from audit_events where action = 'sign-in'");
    expect(signIns.rows).toMatchObject([{ actor_email: 'first@example.test', outcome: 'ok' }]);
  });

  it('accepts the form from another loopback spelling of PUBLIC_URL (a browser on http://127.0.0.1:3000)', async () => {
    // The token is used: the answer is the token's refusal, not the origin's.
    const response = await post({ token, email: 'third@example.test', password: TEST_PASSWORD }, { origin: 'http://127.0.0.1:3000' });
    expect(response.status).toBe(403);
    expect(await response.json()).not.toMatchObject({ error: expect.stringMatching(/another site/) });
  });
});
