import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { authorizeRequest } from '@/server/auth/viewer';
import { signedInHeaders } from '@/server/testing/sessions';
import { createTestContext, type TestContext } from '@/server/testing/test-context';
import { authOf } from '@/server/auth/auth';

let ctx: TestContext;
beforeAll(async () => {
  ctx = await createTestContext();
});
afterAll(async () => {
  await ctx.cleanup();
});

describe('authorizeRequest (the route handlers’ check)', () => {
  it('answers 401 without a session, 403 below the role, and lets the role and those above it through', async () => {
    expect((await authorizeRequest(authOf(ctx), new Headers(), 'viewer')).response?.status).toBe(401);
    const viewer = await signedInHeaders(ctx, 'viewer');
    const operator = await signedInHeaders(ctx, 'operator');
    const admin = await signedInHeaders(ctx, 'admin');
    const refused = await authorizeRequest(authOf(ctx), viewer, 'operator');
    expect(refused.response?.status).toBe(403);
    expect(await refused.response?.json()).toEqual({ error: 'This needs the operator role' });
    expect((await authorizeRequest(authOf(ctx), operator, 'operator')).viewer?.role).toBe('operator');
    expect((await authorizeRequest(authOf(ctx), admin, 'operator')).viewer?.role).toBe('admin');
  });

  it('refuses a user whose stored role is none of ours', async () => {
    const headers = await signedInHeaders(ctx, 'viewer', 'odd@example.test');
    await ctx.database.client.execute("update user set role = 'owner' where email = 'odd@example.test'");
    const access = await authorizeRequest(authOf(ctx), headers, 'viewer');
    expect(access.response?.status).toBe(403);
  });
});
