import { createHash, randomBytes } from 'node:crypto';
import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { AttachmentError, type AttachmentRef, AttachmentSkippedError, AttachmentStore } from './attachments';
import { TEMP_FILE_PATTERN } from './atomic-write';
import { MAX_NAME_BYTES } from './layout';

type Handler = (req: IncomingMessage, res: ServerResponse, url: URL) => void;

const BIG = randomBytes(5 * 1024 * 1024);
const PDF = Buffer.from('%PDF-1.7 same bytes behind two URLs');
const sha = (data: Buffer) => createHash('sha256').update(data).digest('hex');
const EXPIRED_XML =
  '<?xml version="1.0" encoding="UTF-8"?><Error><Code>AccessDenied</Code><Message>Request has expired</Message></Error>';

let server: Server;
let base: string;
let root: string;
/** Requests seen, as `pathname?query`. */
let requests: string[];
const routes = new Map<string, Handler>();

function send(res: ServerResponse, status: number, body: Buffer | string, type = 'application/octet-stream') {
  res.writeHead(status, { 'content-type': type, 'content-length': Buffer.byteLength(body) });
  res.end(body);
}

beforeAll(async () => {
  server = createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://localhost');
    requests.push(`${url.pathname}${url.search}`);
    const handler = routes.get(url.pathname) ?? routes.get(url.pathname.replace(/[^/]*$/, ''));
    if (handler) handler(req, res, url);
    else send(res, 404, 'not found', 'text/plain');
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;

  // 5 MB, written in 64 KiB chunks with backpressure.
  routes.set('/files/big.bin', (_req, res) => {
    res.writeHead(200, { 'content-type': 'application/octet-stream', 'content-length': BIG.length });
    let offset = 0;
    const pump = () => {
      while (offset < BIG.length) {
        const chunk = BIG.subarray(offset, offset + 65536);
        offset += chunk.length;
        if (!res.write(chunk)) return void res.once('drain', pump);
      }
      res.end();
    };
    pump();
  });
  for (const name of ['/a/report.pdf', '/b/copy%20of%20report.pdf']) {
    routes.set(name, (_req, res) => send(res, 200, PDF, 'application/pdf'));
  }
  routes.set('/slow/photo.png', (_req, res) => {
    setTimeout(() => send(res, 200, 'slow png bytes', 'image/png'), 50);
  });
  // An S3-like signed URL: only `sig=fresh` is still valid.
  routes.set('/signed/plan.pdf', (_req, res, url) => {
    if (url.searchParams.get('sig') === 'fresh') send(res, 200, 'signed content', 'application/pdf');
    else send(res, 403, EXPIRED_XML, 'application/xml');
  });
  let flaky = 0;
  routes.set('/flaky/data.csv', (_req, res) => {
    flaky += 1;
    if (flaky === 1) send(res, 503, 'Slow Down', 'text/plain');
    else send(res, 200, 'a,b\n1,2\n', 'text/csv');
  });
  routes.set('/external/logo.svg', (_req, res) => send(res, 200, '<svg/>', 'image/svg+xml'));
  // Any file under /named/ answers with its own path as content.
  routes.set('/named/', (_req, res, url) => send(res, 200, `named ${url.pathname}`, 'text/plain'));
});

afterAll(async () => {
  await new Promise<void>((resolve) => server.close(() => resolve()));
});

beforeEach(async () => {
  requests = [];
  root = await mkdtemp(path.join(tmpdir(), 'attachments-int-'));
});

afterEach(async () => {
  // No test may leave a temp file behind.
  const leftovers = await listFiles(path.join(root, 'attachments'));
  expect(leftovers.filter((file) => TEMP_FILE_PATTERN.test(path.basename(file)))).toEqual([]);
  await rm(root, { recursive: true, force: true });
});

async function listFiles(dir: string): Promise<string[]> {
  const entries = await readdir(dir, { recursive: true, withFileTypes: true }).catch(() => []);
  return entries.filter((e) => e.isFile()).map((e) => path.relative(dir, path.join(e.parentPath, e.name)));
}

const fileRef = (pathAndQuery: string, extra: Partial<AttachmentRef> = {}): AttachmentRef => ({
  url: `${base}${pathAndQuery}`,
  kind: 'file',
  sourceId: 'block-1',
  ...extra,
});
const noSleep = async () => undefined;

describe('AttachmentStore against a real HTTP server', () => {
  it('streams a 5 MB body to a content-addressed file and hashes it', async () => {
    const store = new AttachmentStore({ root });
    const saved = await store.save(fileRef('/files/big.bin?X-Amz-Signature=abc'));
    const digest = sha(BIG);
    expect(saved).toEqual({
      path: `attachments/${digest.slice(0, 16)}/big.bin`,
      bytes: BIG.length,
      sha256: digest,
      sourceId: 'block-1',
      contentType: 'application/octet-stream',
    });
    const onDisk = await readFile(path.join(root, ...saved!.path.split('/')));
    expect(sha(onDisk)).toBe(digest);
    expect(store.stats()).toEqual({ saved: 1, deduplicated: 0, bytes: BIG.length, failed: 0, skipped: 0, refreshed: 0 });
  });

  it('stores two URLs with the same content once', async () => {
    const store = new AttachmentStore({ root });
    const first = await store.save(fileRef('/a/report.pdf?sig=1'));
    const second = await store.save(fileRef('/b/copy%20of%20report.pdf?sig=2', { sourceId: 'block-2' }));
    expect(second?.path).toBe(first?.path);
    expect(first?.path).toBe(`attachments/${sha(PDF).slice(0, 16)}/report.pdf`);
    expect(second?.sourceId).toBe('block-2');
    expect(await listFiles(path.join(root, 'attachments'))).toEqual([path.join(sha(PDF).slice(0, 16), 'report.pdf')]);
    expect(store.stats()).toMatchObject({ saved: 1, deduplicated: 1, bytes: PDF.length });
  });

  it('also dedupes against files an earlier run of the export left on disk', async () => {
    const first = await new AttachmentStore({ root }).save(fileRef('/a/report.pdf'));
    const resumed = new AttachmentStore({ root });
    const again = await resumed.save(fileRef('/b/copy%20of%20report.pdf'));
    expect(again?.path).toBe(first?.path);
    expect(resumed.stats()).toMatchObject({ saved: 0, deduplicated: 1, bytes: 0 });
  });

  it('shares one download between concurrent saves of one file', async () => {
    const store = new AttachmentStore({ root });
    const results = await Promise.all([
      store.save(fileRef('/slow/photo.png?sig=1', { sourceId: 'p1' })),
      store.save(fileRef('/slow/photo.png?sig=1', { sourceId: 'p2' })),
      // Notion signs each read differently; the file is the same.
      store.save(fileRef('/slow/photo.png?sig=2', { sourceId: 'p3' })),
    ]);
    expect(requests.filter((r) => r.startsWith('/slow/'))).toHaveLength(1);
    expect(new Set(results.map((r) => r?.path)).size).toBe(1);
    expect(results.map((r) => r?.sourceId)).toEqual(['p1', 'p2', 'p3']);
    expect(results[0]?.contentType).toBe('image/png');
    expect(store.stats()).toMatchObject({ saved: 1, deduplicated: 2 });
  });

  it('refreshes a signed URL that S3 refuses with 403 AccessDenied, then succeeds', async () => {
    const refreshed: AttachmentRef[] = [];
    const store = new AttachmentStore({
      root,
      refresh: async (ref) => {
        refreshed.push(ref);
        return `${base}/signed/plan.pdf?sig=fresh`;
      },
    });
    const ref = fileRef('/signed/plan.pdf?sig=stale', { sourceId: 'file-block' });
    const saved = await store.save(ref);
    expect(refreshed).toEqual([ref]);
    expect(requests).toEqual(['/signed/plan.pdf?sig=stale', '/signed/plan.pdf?sig=fresh']);
    expect(saved?.path).toMatch(/^attachments\/[0-9a-f]{16}\/plan\.pdf$/);
    expect(store.stats()).toMatchObject({ saved: 1, refreshed: 1, failed: 0 });
  });

  it('refreshes before downloading when expiry_time has passed', async () => {
    const store = new AttachmentStore({ root, refresh: async () => `${base}/signed/plan.pdf?sig=fresh` });
    await store.save(fileRef('/signed/plan.pdf?sig=stale', { expiryTime: '2020-01-01T00:00:00.000Z' }));
    expect(requests).toEqual(['/signed/plan.pdf?sig=fresh']);
  });

  it('fails with AttachmentError when refreshing gives no URL', async () => {
    const store = new AttachmentStore({ root, refresh: async () => undefined });
    const error = await store.save(fileRef('/signed/plan.pdf?sig=stale&X-Amz-Credential=secret')).catch((e) => e);
    expect(error).toBeInstanceOf(AttachmentError);
    expect(error.status).toBe(403);
    expect(error.ref.sourceId).toBe('block-1');
    expect(error.message).toContain('HTTP 403 (AccessDenied: Request has expired)');
    expect(error.message).toContain('gave no new URL');
    expect(error.message).not.toContain('secret');
    expect(store.stats()).toMatchObject({ failed: 1, saved: 0 });
  });

  it('leaves external links alone by default and downloads them when asked', async () => {
    const ref: AttachmentRef = { url: `${base}/external/logo.svg`, kind: 'external', sourceId: 'img' };
    expect(await new AttachmentStore({ root }).save(ref)).toBeUndefined();
    expect(requests).toEqual([]);

    // This server is on the loopback, which only development and the demo allow.
    const store = new AttachmentStore({ root, downloadExternal: true, publicAddressesOnly: false });
    const saved = await store.save(ref);
    expect(saved?.path).toMatch(/\/logo\.svg$/);
    expect(saved?.contentType).toBe('image/svg+xml');
    expect(requests).toEqual(['/external/logo.svg']);
  });

  it('never asks a private or local address for an external link, unless allowed', async () => {
    const ref: AttachmentRef = { url: `${base}/external/logo.svg`, kind: 'external', sourceId: 'img' };
    const store = new AttachmentStore({ root, downloadExternal: true });
    const error = await store.save(ref).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(AttachmentSkippedError);
    expect((error as AttachmentSkippedError).reason).toMatch(/private or local address \(127\.0\.0\.1\)/);
    expect(requests).toEqual([]);
    expect(store.stats()).toMatchObject({ saved: 0, skipped: 1 });
  });

  it('does not try to refresh a broken external link', async () => {
    let refreshes = 0;
    const store = new AttachmentStore({
      root,
      downloadExternal: true,
      publicAddressesOnly: false,
      refresh: async () => {
        refreshes += 1;
        return undefined;
      },
    });
    const error = await store.save({ url: `${base}/gone.png`, kind: 'external', sourceId: 'x' }).catch((e) => e);
    expect(error).toBeInstanceOf(AttachmentError);
    expect(error.status).toBe(404);
    expect(refreshes).toBe(0);
  });

  it('retries a 503 with backoff, then saves', async () => {
    const delays: number[] = [];
    const store = new AttachmentStore({
      root,
      random: () => 1,
      baseDelayMs: 200,
      sleep: async (ms) => {
        delays.push(ms);
      },
    });
    const saved = await store.save(fileRef('/flaky/data.csv'));
    expect(requests).toEqual(['/flaky/data.csv', '/flaky/data.csv']);
    expect(delays).toEqual([200]);
    expect(saved?.bytes).toBe(8);
  });

  it('makes unsafe file names safe', async () => {
    const store = new AttachmentStore({ root, sleep: noSleep });
    const names = new Map<string, string>();
    for (const [i, name] of ['CON.txt', 'a/b:c?.pdf', `${'n'.repeat(300)}.docx`].entries()) {
      const saved = await store.save(fileRef(`/named/${i}`, { name }));
      names.set(name, path.posix.basename(saved!.path));
    }
    expect(names.get('CON.txt')).toBe('_CON.txt');
    expect(names.get('a/b:c?.pdf')).toBe('a b c.pdf');
    const long = names.get(`${'n'.repeat(300)}.docx`)!;
    expect(long.endsWith('.docx')).toBe(true);
    expect(Buffer.byteLength(long)).toBeLessThanOrEqual(MAX_NAME_BYTES);
    expect(await listFiles(path.join(root, 'attachments'))).toHaveLength(3);

    // Without a name, the URL's last segment is used, decoded and made safe.
    const fromUrl = await store.save(fileRef('/named/Q3%3A%20plan%20%2F%20final..pdf?sig=x'));
    expect(path.posix.basename(fromUrl!.path)).toBe('Q3 plan final.pdf');
  });
});
