/**
 * An integration token never leaves the server once it is saved: a unique token is planted in a
 * connection to the Notion twin, a whole export runs, every query and mutation of the API is
 * called (over HTTP where the answer's wire form matters), and then the token is looked for,
 * byte by byte and in the encodings it could take, everywhere the server writes: the database
 * file and its -wal and -shm files, every file of the export folder (and the zip), the console,
 * and every answer. Only the twin (in memory) and the encrypted column may hold it.
 */
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { format } from 'node:util';
import { fetchRequestHandler } from '@trpc/server/adapters/fetch';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { startTwin, type Twin } from '@/e2e/notion-twin';
import { appRouter } from '@/server/api/root';
import { callerAs, testViewer } from '@/server/testing/call-as';
import { tokenHash } from '@/server/auth/token-cipher';
import { exportDownload } from '@/server/export/delivery/export-download';
import { createZipStream } from '@/server/export/delivery/zip';
import { exportStreamId } from '@/server/export/domain/export';
import { checkHealth } from '@/server/observability/health';
import { Runner } from '@/server/runner/runner';
import { createTestContext, type TestContext } from '@/server/testing/test-context';

const PLANTED = `secret_planted_${randomBytes(12).toString('hex')}`;

/** The forms the token could take if something wrote it: as is, UTF-16, hex, base64 at each alignment. */
function needles(token: string): Buffer[] {
  const bytes = Buffer.from(token, 'utf8');
  const base64 = [0, 1, 2].map((shift) => {
    const text = Buffer.concat([Buffer.alloc(shift), bytes]).toString('base64');
    // Characters that depend on the bytes around the token are cut off.
    return Buffer.from(text.slice(Math.ceil((shift * 4) / 3) + 1, -4));
  });
  return [bytes, Buffer.from(token, 'utf16le'), Buffer.from(bytes.toString('hex')), Buffer.from(bytes.toString('hex').toUpperCase()), ...base64];
}

const found = (haystack: Buffer | string, token = PLANTED) => {
  const data = typeof haystack === 'string' ? Buffer.from(haystack) : haystack;
  return needles(token).some((needle) => data.includes(needle));
};

function filesUnder(dir: string): string[] {
  return fs
    .readdirSync(dir, { recursive: true, withFileTypes: true })
    .filter((d) => d.isFile())
    .map((d) => path.join(d.parentPath, d.name));
}

/** What the server printed: every console call and every write to stdout and stderr. */
const logs: string[] = [];
/** Every answer, as the client receives it (JSON text for HTTP, JSON of the value for the caller). */
const answers: string[] = [];

let twin: Twin;
let ctx: TestContext;
let closedPort: number;

beforeAll(async () => {
  for (const method of ['log', 'info', 'warn', 'error', 'debug'] as const) {
    vi.spyOn(console, method).mockImplementation((...args: unknown[]) => {
      logs.push(format(...args));
    });
  }
  for (const stream of [process.stdout, process.stderr]) {
    const write = stream.write.bind(stream);
    vi.spyOn(stream, 'write').mockImplementation(((chunk: string | Uint8Array, ...rest: never[]) => {
      logs.push(typeof chunk === 'string' ? chunk : Buffer.from(chunk).toString('utf8'));
      return write(chunk, ...rest);
    }) as typeof stream.write);
  }
  twin = await startTwin({ tokens: [PLANTED], workspace: { seed: 3, pages: 25, databases: 2, rowsPerDatabase: 4, unsharedPages: 1 } });
  ctx = await createTestContext({ notionRetry: { baseDelayMs: 1, maxDelayMs: 1, timeoutMs: 5_000 } });
  const probe = net.createServer();
  await new Promise<void>((resolve) => probe.listen(0, '127.0.0.1', resolve));
  closedPort = (probe.address() as net.AddressInfo).port;
  await new Promise<void>((resolve) => probe.close(() => resolve()));
});
afterAll(async () => {
  vi.restoreAllMocks();
  await ctx.cleanup();
  await twin.close();
});

/** A tRPC call over HTTP, as the dashboard makes it; the answer's text is kept. */
async function http(kind: 'query' | 'mutation', procedure: string, input?: unknown): Promise<{ status: number; body: unknown }> {
  const url = new URL(`http://localhost/api/trpc/${procedure}`);
  if (kind === 'query' && input !== undefined) url.searchParams.set('input', JSON.stringify(input));
  const req = new Request(url, kind === 'query' ? {} : { method: 'POST', body: JSON.stringify(input), headers: { 'content-type': 'application/json' } });
  const response = await fetchRequestHandler({ endpoint: '/api/trpc', req, router: appRouter, createContext: async () => ({ app: ctx, viewer: testViewer('admin') }) });
  const text = await response.text();
  answers.push(text);
  return { status: response.status, body: JSON.parse(text) };
}

const caller = () => callerAs(ctx, 'admin');
const keep = <T>(value: T): T => {
  answers.push(JSON.stringify(value));
  return value;
};

describe('a saved integration token never leaves the server', () => {
  let connectionId: string;
  let exportId: string;

  it('goes through every answer of the API and a whole export', async () => {
    // Refused attempts first: a token Notion refuses, bad input, an address that does not answer.
    const refused = await http('mutation', 'connections.create', { token: `${PLANTED}_revoked`, baseUrl: twin.url });
    expect(refused.status).toBe(400);
    const invalid = await http('mutation', 'connections.create', { token: PLANTED, baseUrl: twin.url, name: 'n'.repeat(101) });
    expect(invalid.status).toBe(400);
    const unreachable = await http('mutation', 'connections.create', { token: PLANTED, baseUrl: `http://127.0.0.1:${closedPort}` });
    expect(unreachable.status).toBe(400);
    // A token pasted with a line break inside: fetch's own error quotes the header it refuses.
    const broken = await http('mutation', 'connections.create', { token: `${PLANTED}\nsecond line`, baseUrl: twin.url });
    expect(broken.status).toBe(400);
    expect(JSON.stringify(broken.body)).toMatch(/holds letters, digits and signs only/);

    const created = await http('mutation', 'connections.create', { token: PLANTED, baseUrl: twin.url, name: 'Planted' });
    expect(created.status).toBe(200);
    const connection = (created.body as { result: { data: { id: string; tokenHint: string } } }).result.data;
    expect(connection.tokenHint).toBe(`…${PLANTED.slice(-4)}`);
    connectionId = connection.id;
    keep(await caller().connections.updateToken({ id: connectionId, token: PLANTED }));
    const pasted = await caller()
      .connections.updateToken({ id: connectionId, token: `${PLANTED}\tsecond` })
      .catch((e: unknown) => keep((e as Error).message));
    expect(pasted).toMatch(/without spaces or line breaks/);
    await http('query', 'connections.list');
    await http('query', 'settings.get');
    await http('mutation', 'settings.update', { requestsPerSecond: 500 });

    ({ id: exportId } = keep(await caller().exports.start({ connectionId })));
    const runner = new Runner(ctx, { concurrency: 4, log: (line) => console.error(line) });
    expect(await runner.runOnce()).toBe('completed_with_errors'); // the page not shared with the integration
    await http('query', 'exports.list');
    await http('query', 'exports.get', { id: exportId });
    keep(await caller().exports.retryFailed({ id: exportId }));
    expect(await runner.runOnce()).toBe('completed_with_errors');
    await http('query', 'exports.get', { id: exportId });

    // Another export, paused, resumed and cancelled before it runs.
    const { id: other } = keep(await caller().exports.start({ connectionId, formats: ['markdown'] }));
    keep(await caller().exports.pause({ id: other }));
    keep(await caller().exports.resume({ id: other }));
    keep(await caller().exports.cancel({ id: other }));
    await http('mutation', 'exports.cancel', { id: other }); // refused: already cancelled

    // The live feed from the first event on.
    const last = (await ctx.store.readStream(exportStreamId(exportId))).at(-1)?.globalPosition ?? 0;
    const abort = new AbortController();
    const feed = await callerAs(ctx, 'admin', { signal: abort.signal }).exports.onProgress({ id: exportId });
    for await (const message of feed) {
      keep(message);
      if ((message as unknown as [string, { position: number }])[1].position >= last) break;
    }
    abort.abort();

    keep(await checkHealth(ctx));
    const download = await exportDownload(ctx, exportId);
    const zip: Buffer[] = [];
    for await (const chunk of createZipStream(download.root, { level: 0, only: download.only })) zip.push(chunk as Buffer);
    expect(found(Buffer.concat(zip))).toBe(false);
    expect(Buffer.concat(zip).includes(twin.workspace.allPages()[0]?.title ?? '?')).toBe(true);
  });

  it('is found nowhere: database, -wal and -shm, export files, logs, answers', async () => {
    const db = ctx.database.url.replace(/^file:/, '');
    const files = filesUnder(ctx.dir);
    expect(files).toEqual(expect.arrayContaining([db, `${db}-wal`, `${db}-shm`]));
    expect(files.filter((f) => f.startsWith(ctx.config.exportsDir)).length).toBeGreaterThan(50);
    const holding = files.filter((file) => found(fs.readFileSync(file)));
    expect(holding).toEqual([]);
    // The scan does read the database: the token's hash, stored in the clear, is there.
    const state = Buffer.concat([db, `${db}-wal`].map((f) => fs.readFileSync(f)));
    expect(state.includes(Buffer.from(tokenHash(PLANTED)))).toBe(true);
    expect(found(state, tokenHash(PLANTED))).toBe(true);

    expect(answers.length).toBeGreaterThan(15);
    expect(answers.filter((a) => found(a))).toEqual([]);
    expect(logs.filter((line) => found(line))).toEqual([]);
  });

  it('an unexpected error is answered without its message or a stack, and logged here', async () => {
    ctx.database.close();
    const broken = await http('query', 'exports.list');
    expect(broken.status).toBe(500);
    const error = (broken.body as { error: { message: string; data: Record<string, unknown> } }).error;
    expect(error.message).toBe('Something went wrong on the server; its log says what.');
    expect(error.data).not.toHaveProperty('stack');
    expect(JSON.stringify(broken.body)).not.toContain(ctx.dir);
    expect(logs.join('\n')).toMatch(/tRPC exports\.list failed/);

    // Closed, and searched again (whatever the close folded into the database file).
    const files = filesUnder(ctx.dir);
    expect(files.filter((file) => found(fs.readFileSync(file)))).toEqual([]);
    const db = ctx.database.url.replace(/^file:/, '');
    const state = Buffer.concat(files.filter((f) => f.startsWith(db)).map((f) => fs.readFileSync(f)));
    expect(found(state, tokenHash(PLANTED))).toBe(true);
    expect(logs.filter((line) => found(line))).toEqual([]);
  });
});
