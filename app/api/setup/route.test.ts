import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { AppContext } from '@/server/context';
import { ensureFirstAdmin } from '@/server/auth/first-admin';
import { countAdmins } from '@/server/auth/user-admin';
import { viewerOf } from '@/server/auth/viewer';
import { TEST_PASSWORD } from '@/server/testing/sessions';
import { createTestContext, type TestContext } from '@/server/testing/test-context';
import { POST } from './route';
import { authOf } from '@/server/auth/auth';

/** The setup form's route as Next calls it, on the process-wide context. */
let ctx: TestContext;
let token = '';
const g = globalThis as typeof globalThis & { __notionSyncContext?: Promise<AppContext> };

beforeAll(async () => {
  ctx = await createTestContext();
  g.__notionSyncContext = Promise.resolve(ctx);
  await ensureFirstAdmin(ctx, (line) => {
    token = /token=([\w-]+)/.exec(line)?.[1] ?? '';
  });
});
afterAll(async () => {
  g.__notionSyncContext = undefined;
  await ctx.cleanup();
});

const post = (body: unknown) =>
  POST(new Request('http://localhost/api/setup', { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) }));

describe('POST /api/setup', () => {
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
    const cookie = response.headers
      .getSetCookie()
      .map((c) => c.split(';')[0])
      .join('; ');
    expect(await viewerOf(authOf(ctx), new Headers({ cookie }))).toMatchObject({ email: 'first@example.test', role: 'admin', name: 'First' });
    expect((await post({ token, email: 'second@example.test', password: TEST_PASSWORD })).status).toBe(403);
    expect(await countAdmins(ctx)).toBe(1);
  });
});
