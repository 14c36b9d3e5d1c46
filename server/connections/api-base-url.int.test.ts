import net from 'node:net';
import { eq } from 'drizzle-orm';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { exports } from '@/db/schema';
import { requestExport } from '@/server/export/control/request-export';
import { Runner } from '@/server/runner/runner';
import { createTestContext, type TestContext } from '@/server/testing/test-context';
import { connectionSecrets, createConnection, updateConnectionToken } from './connections';

/** A TCP server that counts the connections made to it and drops each at once. */
let listener: net.Server;
let connectionsMade = 0;
let port: number;
/** A port nothing listens on. */
let closedPort: number;

beforeAll(async () => {
  listener = net.createServer((socket) => {
    connectionsMade += 1;
    socket.destroy();
  });
  await new Promise<void>((resolve) => listener.listen(0, '127.0.0.1', resolve));
  port = (listener.address() as net.AddressInfo).port;
  const probe = net.createServer();
  await new Promise<void>((resolve) => probe.listen(0, '127.0.0.1', resolve));
  closedPort = (probe.address() as net.AddressInfo).port;
  await new Promise<void>((resolve) => probe.close(() => resolve()));
});
afterAll(async () => {
  await new Promise<void>((resolve) => listener.close(() => resolve()));
});

let ctx: TestContext | undefined;
afterEach(async () => {
  await ctx?.cleanup();
  ctx = undefined;
  connectionsMade = 0;
});

const fastRetry = { baseDelayMs: 1, maxDelayMs: 1, timeoutMs: 5_000 };

async function refusal(promise: Promise<unknown>): Promise<string> {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(Error);
  return (error as Error).message;
}

describe('a connection API base URL outside development', () => {
  it('is refused before any request: same message for an open port and a closed one', async () => {
    ctx = await createTestContext({ deployment: 'production', notionRetry: fastRetry });
    const open = await refusal(createConnection(ctx, { token: 'secret_x', baseUrl: `http://127.0.0.1:${port}` }));
    const https = await refusal(createConnection(ctx, { token: 'secret_x', baseUrl: `https://127.0.0.1:${port}` }));
    const closed = await refusal(createConnection(ctx, { token: 'secret_x', baseUrl: `http://127.0.0.1:${closedPort}` }));
    expect(open).toMatch(/must be an https:\/\/ address on an allowed host/);
    expect(https).toBe(open);
    expect(closed).toBe(open);
    expect(connectionsMade).toBe(0);
  });

  it('a connection stored with another URL (made in development) is refused when its token is replaced and when it is exported', async () => {
    ctx = await createTestContext({ deployment: 'production', notionRetry: fastRetry });
    const sealed = ctx.cipher.encrypt('secret_x');
    await ctx.database.client.execute({
      sql: "insert into connections (id, name, base_url, token_ciphertext, token_hash, token_hint, created_at) values ('dev', 'n', ?, ?, 'h', '…', 0)",
      args: [`http://127.0.0.1:${port}`, sealed],
    });
    expect(await refusal(updateConnectionToken(ctx, 'dev', 'secret_y'))).toMatch(/allowed host/);
    expect(await refusal(connectionSecrets(ctx, 'dev'))).toMatch(/allowed host/);

    const exportId = await requestExport(ctx, { connectionId: 'dev', formats: ['json'], requestedBy: 'dashboard' });
    await new Runner(ctx).runOnce();
    const [row] = await ctx.database.db.select().from(exports).where(eq(exports.id, exportId));
    expect(row?.lastError).toMatch(/allowed host/);
    expect(connectionsMade).toBe(0);
  });

  it('goes out when allowed: a host of NOTION_API_HOSTS, or anything in development (the counter counts)', async () => {
    ctx = await createTestContext({ deployment: 'production', notionApiHosts: [`127.0.0.1:${port}`], notionRetry: fastRetry });
    await refusal(createConnection(ctx, { token: 'secret_x', baseUrl: `https://127.0.0.1:${port}` }));
    expect(connectionsMade).toBeGreaterThan(0);
    await ctx.cleanup();

    connectionsMade = 0;
    ctx = await createTestContext({ deployment: 'development', notionRetry: fastRetry });
    await refusal(createConnection(ctx, { token: 'secret_x', baseUrl: `http://127.0.0.1:${port}` }));
    expect(connectionsMade).toBeGreaterThan(0);
  });
});
