import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import type { AppContext } from '@/server/context';
import { createTestContext, type TestContext } from '@/server/testing/test-context';
import { GET as live } from './live/route';
import { GET as ready } from './ready/route';
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

const READY = { ok: true, checks: { database: { ok: true }, migrations: { ok: true }, exportsDir: { ok: true }, diskSpace: { ok: true } } };

describe('GET /api/health (public)', () => {
  it('says the server works without naming its folders or its database: the readiness summary', async () => {
    g.__notionSyncContext = Promise.resolve(ctx);
    const response = await GET();
    expect(response.status).toBe(200);
    expect(response.headers.get('cache-control')).toBe('no-store');
    const text = await response.text();
    expect(JSON.parse(text)).toEqual(READY);
    expect(text).not.toContain(ctx.dir);
  });

  it('/api/health/ready answers the same, and 503 when a part is not ready', async () => {
    g.__notionSyncContext = Promise.resolve(ctx);
    const response = await ready();
    expect(response.status).toBe(200);
    expect(await response.json()).toEqual(READY);
    // This process is to run a runner, and none beats.
    g.__notionSyncContext = Promise.resolve({ ...ctx, config: { ...ctx.config, runnerEnabled: true } });
    const notReady = await ready();
    expect(notReady.status).toBe(503);
    expect(await notReady.json()).toEqual({ ok: false, checks: { ...READY.checks, runner: { ok: false, error: 'is not running' } } });
  });

  it('/api/health/live answers while the event loop keeps up, reading nothing else', async () => {
    // A context that could not be built does not make the process dead.
    const failure = Promise.reject(new Error('no database'));
    failure.catch(() => {});
    g.__notionSyncContext = failure;
    const response = live();
    expect(response.status).toBe(200);
    expect(await response.json()).toEqual({ ok: true, checks: { eventLoop: { ok: true } } });
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
