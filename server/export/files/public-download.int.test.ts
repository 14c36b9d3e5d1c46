import { createHash, randomBytes } from 'node:crypto';
import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { brotliCompressSync, gzipSync } from 'node:zlib';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it, vi } from 'vitest';
import { AttachmentError, type AttachmentRef, AttachmentSkippedError, AttachmentStore, type AttachmentStoreOptions } from './attachments';
import { TEMP_FILE_PATTERN } from './atomic-write';
import { type AddressLookup, isPublicAddress, NonPublicAddressError, publicOnlyLookup } from './public-address';
import { requestPublic } from './public-request';

// External downloads with publicAddressesOnly, over real HTTP on the loopback: the address judged
// is the address connected to (DNS rebinding), redirects are judged hop by hop, and the answer
// streams as fetch's did (cap, abort, encodings). Names are resolved by the test's `lookup`; a
// loopback server stands in for a public host only where a test's judge says so.

const FILE = randomBytes(300 * 1024);
const TEXT = Buffer.from('a,b\r\n1,2\r\n'.repeat(200));
const sha = (data: Buffer) => createHash('sha256').update(data).digest('hex');

interface Seen {
  path: string;
  headers: IncomingMessage['headers'];
}

type Handler = (req: IncomingMessage, res: ServerResponse) => void;

let server: Server;
let port: number;
let root: string;
let seen: Seen[];
/** Answers the server has closed, and whether each was sent to its end. */
let closed: { path: string; finished: boolean }[];
const routes = new Map<string, Handler>();

function send(res: ServerResponse, body: Buffer, headers: Record<string, string | number> = {}) {
  res.writeHead(200, { 'content-type': 'application/octet-stream', 'content-length': body.length, ...headers });
  res.end(body);
}

/** `total` bytes in 64 KiB chunks with backpressure, without a Content-Length. */
function stream(res: ServerResponse, total: number) {
  res.writeHead(200, { 'content-type': 'application/octet-stream' });
  let sent = 0;
  const pump = () => {
    while (sent < total && !res.destroyed) {
      sent += 65536;
      if (!res.write(Buffer.alloc(65536))) return void res.once('drain', pump);
    }
    res.end();
  };
  pump();
}

beforeAll(async () => {
  server = createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://x');
    seen.push({ path: url.pathname, headers: req.headers });
    res.on('close', () => closed.push({ path: url.pathname, finished: res.writableFinished }));
    const handler = routes.get(url.pathname);
    if (handler) handler(req, res);
    else res.writeHead(404, { 'content-type': 'text/plain' }).end('not found');
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  port = (server.address() as AddressInfo).port;

  routes.set('/file.bin', (_req, res) => send(res, FILE));
  routes.set('/to-file', (_req, res) => res.writeHead(302, { location: '/file.bin' }).end());
  routes.set('/to-metadata', (_req, res) => res.writeHead(302, { location: 'http://169.254.169.254/latest/meta-data/' }).end());
  routes.set('/to-rebinding', (_req, res) => res.writeHead(307, { location: `http://rebinding.test:${port}/file.bin` }).end());
  routes.set('/endless', (_req, res) => stream(res, 16 * 1024 * 1024));
  routes.set('/announced-big', (_req, res) => {
    res.writeHead(200, { 'content-type': 'video/mp4', 'content-length': 16 * 1024 * 1024 });
    res.write(Buffer.alloc(65536));
  });
  routes.set('/silent', () => undefined);
  routes.set('/stalls', (_req, res) => {
    res.writeHead(200, { 'content-type': 'application/octet-stream', 'content-length': FILE.length });
    res.write(FILE.subarray(0, 1024));
  });
  routes.set('/data.csv.gz', (_req, res) => send(res, gzipSync(TEXT), { 'content-type': 'text/csv', 'content-encoding': 'gzip' }));
  routes.set('/data.csv.br', (_req, res) => send(res, brotliCompressSync(TEXT), { 'content-type': 'text/csv', 'content-encoding': 'br' }));
  routes.set('/data.csv.zst', (_req, res) => send(res, TEXT, { 'content-type': 'text/csv', 'content-encoding': 'zstd' }));
  routes.set('/empty', (_req, res) => res.writeHead(204).end());
  routes.set('/odd-status', (_req, res) => res.writeHead(600).end('?'));
  routes.set('/truncated', (_req, res) => {
    res.writeHead(200, { 'content-type': 'application/octet-stream', 'content-length': FILE.length });
    res.write(FILE.subarray(0, 4096), () => res.socket?.destroy());
  });
});

afterAll(async () => {
  server.closeAllConnections();
  await new Promise<void>((resolve) => server.close(() => resolve()));
});

beforeEach(async () => {
  root = await mkdtemp(path.join(tmpdir(), 'public-download-'));
  seen = [];
  closed = [];
});

afterEach(async () => {
  const entries = await readdir(path.join(root, 'attachments'), { recursive: true }).catch(() => []);
  expect(entries.filter((e) => TEMP_FILE_PATTERN.test(path.basename(String(e))))).toEqual([]);
  await rm(root, { recursive: true, force: true });
});

const external = (url: string): AttachmentRef => ({ url, kind: 'external', sourceId: 'block-1' });
const at = (host: string, pathname: string) => `http://${host}:${port}${pathname}`;

/** A resolver that answers from `answers` in turn (the last one from then on) and records the names asked. */
function resolver(...answers: string[][]) {
  const asked: string[] = [];
  const lookup: AddressLookup = async (hostname) => {
    asked.push(hostname);
    const answer = answers[Math.min(asked.length, answers.length) - 1] ?? [];
    return answer.map((address) => ({ address }));
  };
  return { lookup, asked };
}

/** The judge of tests whose loopback server plays a public host: 127.0.0.1 counts as public, nothing else changes. */
const loopbackIsPublic = (address: string) => address === '127.0.0.1' || isPublicAddress(address);

const noSleep = async () => undefined;
const store = (options: Partial<AttachmentStoreOptions>) => new AttachmentStore({ root, downloadExternal: true, sleep: noSleep, ...options });

async function rejection(promise: Promise<unknown>): Promise<unknown> {
  return promise.then(
    () => {
      throw new Error('expected a rejection');
    },
    (error: unknown) => error,
  );
}

async function skipped(promise: Promise<unknown>): Promise<AttachmentSkippedError> {
  const error = await rejection(promise);
  expect(error).toBeInstanceOf(AttachmentSkippedError);
  return error as AttachmentSkippedError;
}

describe('external downloads connect only to the address that was judged', () => {
  it('does not reach a loopback server through a name that resolves to a public address, then to 127.0.0.1 (DNS rebinding)', async () => {
    const { lookup, asked } = resolver(['93.184.216.34'], ['127.0.0.1']);
    // `localhost` resolves to the server for real: a request that resolved the name itself would reach it.
    const s = store({ lookup });
    const error = await skipped(s.save(external(at('localhost', '/file.bin?token=1'))));
    expect(error.reason).toBe('on a private or local address (127.0.0.1)');
    expect(error.message).toBe(`Not downloaded: ${at('localhost', '/file.bin')} is on a private or local address (127.0.0.1)`);
    expect(seen).toEqual([]);
    // Judged once before the request and once on its connection; the refusal is not retried.
    expect(asked).toEqual(['localhost', 'localhost']);
    expect(s.stats()).toMatchObject({ skipped: 1, failed: 0, saved: 0 });
  });

  it('refuses the connection when one of several answers is not public', async () => {
    const { lookup } = resolver(['93.184.216.34'], ['93.184.216.34', '10.0.0.5']);
    const error = await skipped(store({ lookup }).save(external(at('files.test', '/file.bin'))));
    expect(error.reason).toBe('on a private or local address (10.0.0.5)');
    expect(seen).toEqual([]);
  });

  it('downloads from a host judged public byte for byte, asking for no encoding', async () => {
    const { lookup, asked } = resolver(['127.0.0.1']);
    const s = store({ lookup, isPublicAddress: loopbackIsPublic });
    const saved = await s.save(external(at('files.test', '/file.bin?v=2')));
    expect(saved).toMatchObject({ bytes: FILE.length, sha256: sha(FILE), contentType: 'application/octet-stream', path: `attachments/${sha(FILE).slice(0, 16)}/file.bin` });
    expect((await readFile(path.join(root, saved!.path))).equals(FILE)).toBe(true);
    expect(seen.map((r) => r.path)).toEqual(['/file.bin']);
    expect(seen[0]?.headers).toMatchObject({ host: `files.test:${port}`, 'accept-encoding': 'identity', accept: '*/*' });
    expect(asked).toEqual(['files.test', 'files.test']);
  });

  it('judges a literal IP host as written: downloaded when public, not asked when not', async () => {
    const never: AddressLookup = async () => {
      throw new Error('DNS asked');
    };
    const saved = await store({ lookup: never, isPublicAddress: loopbackIsPublic }).save(external(at('127.0.0.1', '/file.bin')));
    expect(saved?.sha256).toBe(sha(FILE));
    expect(seen).toHaveLength(1);
    const error = await skipped(store({ lookup: never }).save(external(at('127.0.0.1', '/file.bin'))));
    expect(error.reason).toBe('on a private or local address (127.0.0.1)');
    expect(seen).toHaveLength(1);
  });

  it('follows a redirect to a host judged public, and refuses one to a private address without asking it', async () => {
    const { lookup } = resolver(['127.0.0.1']);
    const s = store({ lookup, isPublicAddress: loopbackIsPublic });
    expect((await s.save(external(at('files.test', '/to-file'))))?.sha256).toBe(sha(FILE));
    expect(seen.map((r) => r.path)).toEqual(['/to-file', '/file.bin']);
    seen = [];
    const error = await skipped(s.save(external(at('files.test', '/to-metadata'))));
    expect(error.reason).toBe('on a private or local address (169.254.169.254)');
    expect(error.message).toContain(at('files.test', '/to-metadata'));
    expect(seen.map((r) => r.path)).toEqual(['/to-metadata']);
  });

  it('refuses a redirect whose name rebinds between its check and its connection', async () => {
    const asked: string[] = [];
    const lookup: AddressLookup = async (hostname) => {
      asked.push(hostname);
      const rebinds = hostname === 'rebinding.test' && asked.filter((h) => h === hostname).length > 1;
      return [{ address: rebinds ? '10.0.0.5' : '127.0.0.1' }];
    };
    const error = await skipped(store({ lookup, isPublicAddress: loopbackIsPublic }).save(external(at('files.test', '/to-rebinding'))));
    expect(error.reason).toBe('on a private or local address (10.0.0.5)');
    expect(seen.map((r) => r.path)).toEqual(['/to-rebinding']);
    expect(asked).toEqual(['files.test', 'files.test', 'rebinding.test', 'rebinding.test']);
  });
});

describe('external downloads over the checked connection: the answer as fetch gave it', () => {
  const publicStore = (options: Partial<AttachmentStoreOptions> = {}) =>
    store({ lookup: resolver(['127.0.0.1']).lookup, isPublicAddress: loopbackIsPublic, ...options });

  it('cuts off a body of unknown length at the cap, and closes the connection', async () => {
    const error = await skipped(publicStore({ maxExternalBytes: 256 * 1024 }).save(external(at('files.test', '/endless'))));
    expect(error.reason).toBe('larger than 256 KB (cut off while downloading)');
    await vi.waitFor(() => expect(closed).toEqual([{ path: '/endless', finished: false }]));
  });

  it('does not read a body whose Content-Length is over the cap', async () => {
    const error = await skipped(publicStore({ maxExternalBytes: 1024 * 1024 }).save(external(at('files.test', '/announced-big'))));
    expect(error.reason).toBe('larger than 1 MB (16 MB)');
    await vi.waitFor(() => expect(closed).toEqual([{ path: '/announced-big', finished: false }]));
  });

  it('stops waiting for an answer when the export is aborted', async () => {
    const controller = new AbortController();
    const s = publicStore({ signal: controller.signal });
    const saving = s.save(external(at('files.test', '/silent')));
    await vi.waitFor(() => expect(seen).toHaveLength(1));
    controller.abort(new Error('export cancelled'));
    expect(await rejection(saving)).toMatchObject({ message: 'export cancelled' });
    await vi.waitFor(() => expect(closed).toEqual([{ path: '/silent', finished: false }]));
  });

  it('gives up on a body that stalls, after its attempts, and leaves nothing behind', async () => {
    const s = publicStore({ timeoutMs: 100, maxAttempts: 2 });
    const error = await rejection(s.save(external(at('files.test', '/stalls'))));
    expect(error).toBeInstanceOf(AttachmentError);
    expect(error).not.toBeInstanceOf(AttachmentSkippedError);
    expect((error as Error).message).toMatch(/timed out \(no progress for 100 ms\) after 2 attempts$/);
    expect(seen).toHaveLength(2);
  });

  it('retries a body cut short by the server', async () => {
    const error = await rejection(publicStore({ maxAttempts: 2 }).save(external(at('files.test', '/truncated'))));
    expect((error as Error).message).toMatch(/after 2 attempts$/);
    expect(seen).toHaveLength(2);
  });

  it('decompresses gzip and br answers sent although identity was asked for, and keeps other codings as sent', async () => {
    const s = publicStore();
    for (const name of ['/data.csv.gz', '/data.csv.br', '/data.csv.zst']) {
      const saved = await s.save(external(at('files.test', name)));
      expect(saved, name).toMatchObject({ bytes: TEXT.length, sha256: sha(TEXT), contentType: 'text/csv' });
    }
    expect(seen.map((r) => r.headers['accept-encoding'])).toEqual(['identity', 'identity', 'identity']);
  });

  it('saves an answer without a body as an empty file, and fails on a status outside HTTP without retrying', async () => {
    const s = publicStore();
    expect((await s.save(external(at('files.test', '/empty'))))?.bytes).toBe(0);
    const error = await rejection(s.save(external(at('files.test', '/odd-status'))));
    expect(error).toBeInstanceOf(AttachmentError);
    expect((error as Error).message).toContain('invalid HTTP status (600)');
    expect(seen.map((r) => r.path)).toEqual(['/empty', '/odd-status']);
  });

  it('fails as a network error, retried, when the name does not resolve or the connection fails', async () => {
    const nowhere = resolver([]);
    const error = await rejection(store({ lookup: nowhere.lookup, maxAttempts: 2 }).save(external(at('nowhere.test', '/file.bin'))));
    expect(error).toBeInstanceOf(AttachmentError);
    expect((error as Error).message).toMatch(/network error ENOTFOUND after 2 attempts$/);
    // Checked (no answer: left to the request), then each attempt's connection.
    expect(nowhere.asked).toHaveLength(4);
    // TLS spoken to a plain HTTP server: a failed connection, not a refusal.
    const tls = await rejection(publicStore({ maxAttempts: 1 }).save(external(`https://files.test:${port}/file.bin`)));
    expect(tls).toBeInstanceOf(AttachmentError);
    expect(tls).not.toBeInstanceOf(AttachmentSkippedError);
    expect((tls as Error).message).toMatch(/network error/);
    expect(seen).toEqual([]);
  });
});

describe('requestPublic and publicOnlyLookup', () => {
  it('refuses a literal IP host that is not public before connecting', async () => {
    const signal = new AbortController().signal;
    for (const [url, address] of [
      ['http://10.0.0.5/a.pdf', '10.0.0.5'],
      ['http://[::1]:8080/a.pdf', '::1'],
    ] as const) {
      const error = await rejection(requestPublic(new URL(url), { signal }));
      expect(error).toBeInstanceOf(NonPublicAddressError);
      expect(error).toMatchObject({ address, reason: `on a private or local address (${address})` });
    }
  });

  it('answers in the shape net.connect asks for, of the family asked for, and passes resolver failures on', async () => {
    const call = (lookup: AddressLookup, options: Parameters<ReturnType<typeof publicOnlyLookup>>[1]) =>
      new Promise<{ error: unknown; address: unknown; family?: number }>((resolve) => {
        publicOnlyLookup(lookup)('files.test', options, (error, address, family) => resolve({ error, address, family }));
      });
    const both = resolver(['2606:4700:4700::1111', '93.184.216.34']).lookup;
    expect(await call(both, {})).toEqual({ error: null, address: '2606:4700:4700::1111', family: 6 });
    expect(await call(both, { family: 4 })).toEqual({ error: null, address: '93.184.216.34', family: 4 });
    expect(await call(both, { family: 'IPv6', all: true })).toEqual({ error: null, address: [{ address: '2606:4700:4700::1111', family: 6 }] });
    expect(await call(both, { family: 'IPv4', all: true })).toEqual({ error: null, address: [{ address: '93.184.216.34', family: 4 }] });
    const onlyV6 = await call(resolver(['2606:4700:4700::1111']).lookup, { family: 4 });
    expect(onlyV6.error).toMatchObject({ code: 'ENOTFOUND' });
    const refused = await call(resolver(['93.184.216.34', '::ffff:192.168.1.1']).lookup, { all: true });
    expect(refused.error).toBeInstanceOf(NonPublicAddressError);
    expect((refused.error as Error).message).toBe('files.test is on a private or local address (::ffff:192.168.1.1)');
    const failing = await call(() => Promise.reject(Object.assign(new Error('getaddrinfo EAI_AGAIN'), { code: 'EAI_AGAIN' })), {});
    expect(failing.error).toMatchObject({ code: 'EAI_AGAIN' });
    const odd = await call(() => Promise.reject('no'), {});
    expect(odd.error).toMatchObject({ message: 'no' });
  });
});
