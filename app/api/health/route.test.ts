import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import type { AppContext } from '@/server/context';
import { createTestContext, type TestContext } from '@/server/testing/test-context';
import { GET } from './route';

let ctx: TestContext;
const g = globalThis as typeof globalThis & { __notionSyncContext?: Promise<AppContext> };

beforeAll(async () => {
  ctx = await createTestContext();
});
afterAll(async () => {
  g.__notionSyncContext = undefined;
  vi.restoreAllMocks();
  await ctx.cleanup();
});

describe('GET /api/health (public)', () => {
  it('says the server works without naming its folders or its database', async () => {
    g.__notionSyncContext = Promise.resolve(ctx);
    const response = await GET();
    expect(response.status).toBe(200);
    const text = await response.text();
    expect(JSON.parse(text)).toEqual({ ok: true, checks: { database: { ok: true }, exportsDir: { ok: true } } });
    expect(text).not.toContain(ctx.dir);
  });

  it('says the server did not start, and leaves why (a path, a key file) to the log', async () => {
    const logged: unknown[] = [];
    vi.spyOn(console, 'error').mockImplementation((...args: unknown[]) => {
      logged.push(...args);
    });
    const failure = Promise.reject(new Error(`Cannot open ${ctx.dir}/secret.key`));
    failure.catch(() => {});
    g.__notionSyncContext = failure;
    const response = await GET();
    expect(response.status).toBe(503);
    const text = await response.text();
    expect(JSON.parse(text)).toEqual({ ok: false, error: 'The server did not start; its log says why' });
    expect(text).not.toContain(ctx.dir);
    expect(String(logged[1])).toContain('secret.key');
  });
});
