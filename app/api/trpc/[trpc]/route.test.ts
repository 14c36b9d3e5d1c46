import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { AppContext } from '@/server/context';
import { seedConnections } from '@/server/testing/seed';
import { signedInHeaders } from '@/server/testing/sessions';
import { createTestContext, type TestContext } from '@/server/testing/test-context';
import { GET, POST } from './route';

/**
 * The dashboard's API as Next calls it, on a real database: a mutation from another site (with
 * the operator's session cookie, as a browser would send it) is refused and changes nothing.
 */
const PUBLIC_URL = 'http://localhost:3211';
let ctx: TestContext;
let operator: Headers;
const g = globalThis as typeof globalThis & { __notionSyncContext?: Promise<AppContext> };

beforeAll(async () => {
  ctx = await createTestContext({ publicUrl: PUBLIC_URL });
  g.__notionSyncContext = Promise.resolve(ctx);
  await seedConnections(ctx, ['c1']);
  operator = await signedInHeaders(ctx, 'operator');
});
afterAll(async () => {
  g.__notionSyncContext = undefined;
  await ctx.cleanup();
});

/** `exports.start` of connection c1 as the operator, with `headers` besides the session cookie. */
const start = (headers: Record<string, string>) =>
  POST(
    new Request(`${PUBLIC_URL}/api/trpc/exports.start`, {
      method: 'POST',
      headers: { cookie: operator.get('cookie') ?? '', 'content-type': 'application/json', ...headers },
      body: JSON.stringify({ connectionId: 'c1' }),
    }),
  );

const exportCount = async () => Number((await ctx.database.client.execute('select count(*) as n from exports')).rows[0]?.n);
const eventCount = async () => Number((await ctx.database.client.execute('select count(*) as n from events')).rows[0]?.n);

describe('POST /api/trpc (mutations)', () => {
  it('refuses exports.start from another site with 403 and a JSON error; no export, no event', async () => {
    for (const headers of [{ origin: 'https://evil.example' }, { referer: 'https://evil.example/attack.html' }, { origin: 'null' }] as Record<string, string>[]) {
      const response = await start(headers);
      expect(response.status).toBe(403);
      expect(await response.json()).toEqual({ error: 'This request comes from another site; the dashboard accepts changes only from its own pages.' });
    }
    expect(await exportCount()).toBe(0);
    expect(await eventCount()).toBe(0);
  });

  it('refuses a mutation that says neither Origin nor Referer', async () => {
    const response = await start({});
    expect(response.status).toBe(403);
    expect(((await response.json()) as { error: string }).error).toMatch(/send Origin: <PUBLIC_URL>/);
    expect(await exportCount()).toBe(0);
  });

  it('starts the export from the dashboard’s own origin, its Referer, or another loopback spelling of it', async () => {
    for (const headers of [{ origin: PUBLIC_URL }, { referer: `${PUBLIC_URL}/exports` }, { origin: 'http://127.0.0.1:3211' }] as Record<string, string>[]) {
      const response = await start(headers);
      expect(response.status).toBe(200);
      const body = (await response.json()) as { result: { data: { id: string } } };
      expect(body.result.data.id).toMatch(/^[0-9a-f-]{36}$/);
    }
    expect(await exportCount()).toBe(3);
  });
});

describe('GET /api/trpc (queries)', () => {
  it('answers from any origin, or none: reading changes nothing', async () => {
    for (const headers of [{ origin: 'https://evil.example' }, {}] as Record<string, string>[]) {
      const response = await GET(new Request(`${PUBLIC_URL}/api/trpc/exports.list`, { headers: { cookie: operator.get('cookie') ?? '', ...headers } }));
      expect(response.status).toBe(200);
    }
  });
});
