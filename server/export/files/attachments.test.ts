import { createHash } from 'node:crypto';
import { mkdir, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { AttachmentError, type AttachmentRef, AttachmentStore, type AttachmentStoreOptions } from './attachments';
import { classifyError } from '@/server/retry/classify';
import { TEMP_FILE_PATTERN } from './atomic-write';

// Fault injection through the `fetch` option; attachments.int.test.ts covers the same store over real HTTP.

// The disk is stubbed only for the tests that fill it: while `disk.full` is set, opening a file fails with it.
const disk = vi.hoisted(() => ({ full: undefined as NodeJS.ErrnoException | undefined }));
vi.mock('node:fs/promises', async (importOriginal) => {
  const actual = await importOriginal<typeof import('node:fs/promises')>();
  return { ...actual, open: (...args: Parameters<typeof actual.open>) => (disk.full ? Promise.reject(disk.full) : actual.open(...args)) };
});

const sha = (data: string) => createHash('sha256').update(data).digest('hex');
const noSleep = async () => undefined;
let root: string;

beforeEach(async () => {
  root = await mkdtemp(path.join(tmpdir(), 'attachments-unit-'));
});

afterEach(async () => {
  disk.full = undefined;
  const entries = await readdir(path.join(root, 'attachments'), { recursive: true }).catch(() => []);
  expect(entries.filter((e) => TEMP_FILE_PATTERN.test(path.basename(String(e))))).toEqual([]);
  await rm(root, { recursive: true, force: true });
});

type Reply = Response | Error | ((url: string, init: RequestInit) => Promise<Response> | Response);

/** A fetch answering from a script, one reply per call (the last reply repeats). */
function scriptedFetch(...replies: Reply[]) {
  const calls: string[] = [];
  const fetchImpl = async (input: string | URL | Request, init: RequestInit = {}) => {
    const url = String(input);
    calls.push(url);
    const reply = replies[Math.min(calls.length - 1, replies.length - 1)];
    if (reply instanceof Error) throw reply;
    if (typeof reply === 'function') return reply(url, init);
    return reply.clone();
  };
  return { fetch: fetchImpl as typeof fetch, calls };
}

const ok = (body: string, headers: Record<string, string> = {}) => new Response(body, { status: 200, headers });
const status = (code: number, body = '') => new Response(body, { status: code });
const networkError = (code: string) => new TypeError('fetch failed', { cause: Object.assign(new Error(code), { code }) });

/** A body that sends `first`, then fails or stalls. */
function brokenBody(first: string, mode: 'error' | 'stall'): ReadableStream<Uint8Array> {
  let sent = false;
  return new ReadableStream<Uint8Array>({
    pull(controller) {
      if (!sent) {
        sent = true;
        controller.enqueue(new TextEncoder().encode(first));
      } else if (mode === 'error') {
        controller.error(Object.assign(new Error('socket hang up'), { code: 'ECONNRESET' }));
      } else {
        return new Promise<void>(() => undefined);
      }
    },
  });
}

/** Never answers until aborted, like a host that accepted the connection and went quiet. */
const hang = (_url: string, init: RequestInit) =>
  new Promise<Response>((_resolve, reject) => {
    init.signal?.addEventListener('abort', () => reject(init.signal?.reason));
  });

const ref = (url = 'https://files.example/space/abc/report.pdf?X-Amz-Signature=s3cr3t', extra: Partial<AttachmentRef> = {}): AttachmentRef => ({
  url,
  kind: 'file',
  sourceId: 'block-1',
  ...extra,
});

/** External links' hosts taken as public: these tests answer through `fetch`, nothing is resolved. */
const publicLookup = async () => [{ address: '93.184.216.34' }];
const store = (options: Partial<AttachmentStoreOptions>) => new AttachmentStore({ root, sleep: noSleep, lookup: publicLookup, ...options });

async function failure(promise: Promise<unknown>): Promise<AttachmentError> {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(AttachmentError);
  return error as AttachmentError;
}

describe('AttachmentStore: refusing and failing', () => {
  it('refuses invalid and non-http URLs without fetching', async () => {
    const { fetch, calls } = scriptedFetch(ok('x'));
    const s = store({ fetch, downloadExternal: true });
    expect((await failure(s.save(ref('not a url')))).message).toMatch(/invalid URL/);
    expect((await failure(s.save(ref('data:text/plain,hi', { kind: 'external' })))).message).toMatch(/not an http\(s\) URL \(data:\)/);
    expect(calls).toEqual([]);
    expect(s.stats().failed).toBe(2);
  });

  it('fails at once on other 4xx answers, naming the status but not the signature', async () => {
    const { fetch, calls } = scriptedFetch(status(401, 'nope'));
    const error = await failure(store({ fetch }).save(ref()));
    expect(error.status).toBe(401);
    expect(error.message).toBe(
      'Cannot download attachment of block-1 (https://files.example/space/abc/report.pdf): the server answered HTTP 401',
    );
    expect(calls).toHaveLength(1);
  });

  it('gives up on 5xx after maxAttempts, with growing jittered delays', async () => {
    const delays: number[] = [];
    const { fetch, calls } = scriptedFetch(status(502));
    const s = store({ fetch, maxAttempts: 4, baseDelayMs: 100, maxDelayMs: 250, random: () => 0.5, sleep: async (ms) => void delays.push(ms) });
    const error = await failure(s.save(ref()));
    expect(error.status).toBe(502);
    expect(error.message).toMatch(/HTTP 502 after 4 attempts/);
    expect(calls).toHaveLength(4);
    expect(delays).toEqual([50, 100, 125]);
  });

  it('retries network errors, 429 and 408', async () => {
    const { fetch, calls } = scriptedFetch(networkError('ECONNRESET'), status(429), status(408), ok('fine'));
    const saved = await store({ fetch }).save(ref());
    expect(saved?.bytes).toBe(4);
    expect(calls).toHaveLength(4);
  });

  it('reports the network error code when retries run out', async () => {
    const { fetch } = scriptedFetch(networkError('ENOTFOUND'));
    const error = await failure(store({ fetch, maxAttempts: 2 }).save(ref()));
    expect(error.message).toMatch(/network error ENOTFOUND after 2 attempts/);
    expect(error.status).toBeUndefined();
    const plain = scriptedFetch(new Error('boom'));
    expect((await failure(store({ fetch: plain.fetch, maxAttempts: 1 }).save(ref()))).message).toMatch(/network error \(boom\)/);
  });

  it('times out a host that stops answering, before or during the body, and retries', async () => {
    const { fetch, calls } = scriptedFetch(hang, () => new Response(brokenBody('part', 'stall')), ok('whole'));
    const saved = await store({ fetch, timeoutMs: 30 }).save(ref());
    expect(calls).toHaveLength(3);
    expect(saved?.sha256).toBe(sha('whole'));

    const always = scriptedFetch(hang);
    const error = await failure(store({ fetch: always.fetch, timeoutMs: 20, maxAttempts: 2 }).save(ref()));
    expect(error.message).toMatch(/timed out \(no progress for 20 ms\) after 2 attempts/);
  });

  it('retries a body cut short or broken mid-way, and removes the partial temp file', async () => {
    const { fetch, calls } = scriptedFetch(
      () => new Response(brokenBody('half', 'error')),
      () => new Response(brokenBody('ab', 'stall').pipeThrough(new TransformStream()), { headers: { 'content-length': '10' } }),
      ok('0123456789', { 'content-length': '10' }),
    );
    // The second reply stalls; a short timeout turns it into a retry.
    const saved = await store({ fetch, timeoutMs: 30 }).save(ref());
    expect(calls).toHaveLength(3);
    expect(saved?.bytes).toBe(10);

    const short = scriptedFetch(ok('abc', { 'content-length': '5' }));
    const error = await failure(store({ fetch: short.fetch, maxAttempts: 1 }).save(ref()));
    expect(error.message).toMatch(/network error \(got 3 of 5 bytes\)/);
  });

  it('wraps disk errors in AttachmentError, keeping the cause', async () => {
    const file = path.join(root, 'not-a-folder');
    await writeFile(file, 'x');
    const { fetch } = scriptedFetch(ok('data'));
    const s = new AttachmentStore({ root: file, fetch });
    const error = await failure(s.save(ref()));
    expect((error.cause as NodeJS.ErrnoException).code).toBe('ENOTDIR');
    expect(error.message).toMatch(/^Cannot save attachment of block-1 \(https:\/\/files\.example\/space\/abc\/report\.pdf\): /);
    expect(s.stats()).toMatchObject({ failed: 1, saved: 0 });
  });
});

describe('AttachmentStore: what the shared classification decides', () => {
  it('waits as long as a host asks (Retry-After), within the ceiling', async () => {
    const delays: number[] = [];
    const { fetch, calls } = scriptedFetch(
      new Response('', { status: 429, headers: { 'Retry-After': '2' } }),
      new Response('', { status: 503, headers: { 'Retry-After': '3600' } }),
      ok('fine'),
    );
    const s = store({ fetch, maxDelayMs: 30_000, random: () => 0, sleep: async (ms) => void delays.push(ms) });
    expect((await s.save(ref()))?.bytes).toBe(4);
    expect(calls).toHaveLength(3);
    expect(delays).toEqual([2000, 30_000]);
  });

  it('does not retry what retrying cannot fix: a port fetch refuses, a bug', async () => {
    for (const error of [new TypeError('fetch failed', { cause: new Error('bad port') }), new TypeError('x is not a function')]) {
      const { fetch, calls } = scriptedFetch(error, ok('never'));
      const failed = await failure(store({ fetch }).save(ref()));
      expect(calls).toHaveLength(1);
      expect(failed.cause).toBe(error);
      expect(failed.message).toMatch(/^Cannot download attachment of block-1 \(https:\/\/files\.example\/space\/abc\/report\.pdf\): network error \(/);
    }
  });

  it('lets a full disk through unwrapped, so that it stops the export instead of failing one file', async () => {
    disk.full = Object.assign(new Error('ENOSPC: no space left on device, open'), { code: 'ENOSPC' });
    const { fetch } = scriptedFetch(ok('data'));
    const s = store({ fetch });
    await expect(s.save(ref())).rejects.toBe(disk.full);
    expect(s.stats()).toMatchObject({ failed: 0, saved: 0 });
  });

  it('is an item failure for the shared classification, whatever the host answered', async () => {
    const { fetch } = scriptedFetch(status(401));
    const error = await failure(store({ fetch }).save(ref()));
    expect(classifyError(error)).toMatchObject({ class: 'item', status: 401 });
  });

  it('stops waiting between attempts at once when the export is cancelled (the default sleep)', async () => {
    const controller = new AbortController();
    const { fetch, calls } = scriptedFetch(status(503));
    // An hour between attempts: the test only ends because the abort ends the wait.
    const s = new AttachmentStore({ root, fetch, signal: controller.signal, baseDelayMs: 3_600_000, maxDelayMs: 3_600_000, random: () => 1 });
    const pending = s.save(ref());
    await vi.waitUntil(() => calls.length === 1);
    setImmediate(() => controller.abort(new Error('cancelled')));
    await expect(pending).rejects.toThrow('cancelled');
    expect(calls).toHaveLength(1);
  });
});

describe('AttachmentStore: refreshing URLs', () => {
  it('asks for a fresh URL at most twice', async () => {
    let n = 0;
    const { fetch, calls } = scriptedFetch(status(403));
    const s = store({ fetch, refresh: async () => `https://files.example/space/abc/report.pdf?v=${++n}` });
    const error = await failure(s.save(ref()));
    expect(calls).toHaveLength(3);
    expect(error.message).toMatch(/HTTP 403, even after 2 refreshed URLs/);
    expect(s.stats()).toMatchObject({ refreshed: 2, failed: 1 });
  });

  it('refreshes on 400, 404 and 410 too', async () => {
    for (const code of [400, 404, 410]) {
      const { fetch, calls } = scriptedFetch(status(code), ok(`after ${code}`));
      const saved = await store({ fetch, refresh: async () => 'https://files.example/new' }).save(ref());
      expect(calls[1]).toBe('https://files.example/new');
      expect(saved?.sha256).toBe(sha(`after ${code}`));
    }
  });

  it('does not wait forever for the body of a refusal', async () => {
    const { fetch, calls } = scriptedFetch(() => new Response(brokenBody('<Error>', 'stall'), { status: 403 }), ok('ok'));
    const saved = await store({ fetch, timeoutMs: 20, refresh: async () => 'https://files.example/again' }).save(ref());
    expect(calls).toHaveLength(2);
    expect(saved?.bytes).toBe(2);
  });

  it('fails clearly without a refresh callback, when refreshing throws, or when it returns a bad URL', async () => {
    const { fetch } = scriptedFetch(status(403));
    expect((await failure(store({ fetch }).save(ref()))).message).toMatch(/HTTP 403, and there is no way to refresh it/);

    const cause = new Error('Notion said 404');
    const thrown = await failure(store({ fetch, refresh: async () => Promise.reject(cause) }).save(ref()));
    expect(thrown.cause).toBe(cause);
    expect(thrown.message).toMatch(/refreshing it failed: Notion said 404/);

    const bad = await failure(store({ fetch, refresh: async () => 'ftp://files.example/x' }).save(ref()));
    expect(bad.message).toMatch(/not an http\(s\) URL/);
  });

  it('refreshes an expired URL before its turn comes, and only once', async () => {
    let now = Date.parse('2026-07-04T12:00:00Z');
    const { fetch, calls } = scriptedFetch(ok('fresh'));
    const refreshes: string[] = [];
    const s = store({
      fetch,
      now: () => now,
      refresh: async (r) => {
        refreshes.push(r.url);
        now += 3_600_000; // time passes; the fresh URL's expiry is unknown, so it is simply tried
        return 'https://files.example/space/abc/report.pdf?sig=fresh';
      },
    });
    // Within the 5 s safety margin counts as expired.
    await s.save(ref(undefined, { expiryTime: '2026-07-04T12:00:03Z' }));
    expect(refreshes).toHaveLength(1);
    expect(calls).toEqual(['https://files.example/space/abc/report.pdf?sig=fresh']);

    const valid = scriptedFetch(ok('valid'));
    await store({ fetch: valid.fetch, now: () => now }).save(ref('https://files.example/other.pdf', { expiryTime: 'not a date' }));
    expect(valid.calls).toHaveLength(1);
  });
});

describe('AttachmentStore: sharing, naming, stats', () => {
  it('reuses a finished download for later saves of the same file, but not for other files', async () => {
    const { fetch, calls } = scriptedFetch((url) => ok(`content of ${new URL(url).pathname}`, { 'content-type': 'text/plain' }));
    const s = store({ fetch });
    const first = await s.save(ref('https://files.example/space/abc/a.txt?sig=1'));
    const again = await s.save(ref('https://files.example/space/abc/a.txt?sig=2', { sourceId: 'block-2' }));
    await s.save(ref('https://files.example/space/def/a.txt?sig=1'));
    expect(calls).toHaveLength(2);
    expect(again).toEqual({ ...first, sourceId: 'block-2' });
    expect(first?.contentType).toBe('text/plain');
    expect(s.stats()).toEqual({ saved: 2, deduplicated: 1, bytes: first!.bytes * 2, failed: 0, skipped: 0, refreshed: 0 });
  });

  it('keeps external URLs apart by their query, and dedupes their content', async () => {
    const { fetch, calls } = scriptedFetch(ok('same'));
    const s = store({ fetch, downloadExternal: true });
    const a = await s.save(ref('https://cdn.example/img?id=1', { kind: 'external' }));
    const b = await s.save(ref('https://cdn.example/img?id=2', { kind: 'external' }));
    expect(calls).toHaveLength(2);
    expect(b?.path).toBe(a?.path);
    expect(a?.path).toBe(`attachments/${sha('same').slice(0, 16)}/img`);
  });

  it('shares a failure with every waiting save, then lets a later save try again', async () => {
    const { fetch, calls } = scriptedFetch(status(401), ok('second time'));
    const s = store({ fetch });
    const results = await Promise.allSettled([s.save(ref()), s.save(ref())]);
    expect(results.map((r) => r.status)).toEqual(['rejected', 'rejected']);
    expect(calls).toHaveLength(1);
    expect((await s.save(ref()))?.bytes).toBe(11);
    expect(s.stats()).toMatchObject({ failed: 2, saved: 1 });
  });

  it('dedupes concurrent downloads of the same content under different URLs', async () => {
    let release!: () => void;
    const gate = new Promise<void>((resolve) => {
      release = resolve;
    });
    const { fetch } = scriptedFetch(async () => {
      await gate;
      return ok('twin');
    });
    const s = store({ fetch });
    const saves = [s.save(ref('https://files.example/x/one.bin')), s.save(ref('https://files.example/y/two.bin'))];
    release();
    const [one, two] = await Promise.all(saves);
    expect(two?.path).toBe(one?.path);
    const files = await readdir(path.join(root, 'attachments', sha('twin').slice(0, 16)));
    expect(files).toHaveLength(1);
    expect(s.stats()).toMatchObject({ saved: 1, deduplicated: 1, bytes: 4 });
  });

  it('runs at most `concurrency` downloads at once', async () => {
    let active = 0;
    let peak = 0;
    const { fetch } = scriptedFetch(async (url) => {
      active += 1;
      peak = Math.max(peak, active);
      // Let the other saves run as far as they can while this download is in flight.
      for (let i = 0; i < 5; i++) await new Promise((resolve) => setImmediate(resolve));
      active -= 1;
      return ok(url);
    });
    const s = store({ fetch, concurrency: 2 });
    await Promise.all([1, 2, 3, 4, 5].map((i) => s.save(ref(`https://files.example/f/${i}.txt`))));
    expect(peak).toBe(2);
    expect(s.stats().saved).toBe(5);
  });

  it('names files from the URL when no name is given, falling back to "file"', async () => {
    const { fetch } = scriptedFetch((url) => ok(url));
    const s = store({ fetch });
    const names = [];
    for (const url of ['https://files.example/a/b/Quarterly%20report.pdf?x=1', 'https://files.example/', 'https://files.example/bad%E0%A4%A']) {
      names.push(path.posix.basename((await s.save(ref(url)))!.path));
    }
    expect(names).toEqual(['Quarterly report.pdf', 'file', 'bad%E0%A4%A']);
    const named = await s.save(ref('https://files.example/c/blob', { name: '  ' }));
    expect(path.posix.basename(named!.path)).toBe('blob');
  });

  it('replaces a damaged file left on disk instead of trusting it', async () => {
    const folder = path.join(root, 'attachments', sha('good data').slice(0, 16));
    await mkdir(folder, { recursive: true });
    await writeFile(path.join(folder, 'report.pdf'), 'bad  data'); // same size, other content
    await writeFile(path.join(folder, 'other.txt'), 'x');
    const { fetch } = scriptedFetch(ok('good data'));
    const s = store({ fetch });
    const saved = await s.save(ref());
    expect(saved?.path).toBe(`attachments/${sha('good data').slice(0, 16)}/report.pdf`);
    expect(await readFile(path.join(folder, 'report.pdf'), 'utf8')).toBe('good data');
    expect(s.stats().saved).toBe(1);
  });

  it('stops when the export is cancelled, without counting a failure', async () => {
    const controller = new AbortController();
    // Cancelled while the download is under way (once the request went out).
    const { fetch } = scriptedFetch((url: string, init: RequestInit) => {
      queueMicrotask(() => controller.abort(new Error('cancelled')));
      return hang(url, init);
    });
    const s = store({ fetch, signal: controller.signal });
    const pending = s.save(ref());
    await expect(pending).rejects.toThrow('cancelled');
    await expect(s.save(ref('https://files.example/later.pdf'))).rejects.toThrow('cancelled');
    expect(s.stats().failed).toBe(0);
  });

  it('stops a cancelled export that is waiting to refresh', async () => {
    const controller = new AbortController();
    const { fetch } = scriptedFetch(status(403));
    const s = store({
      fetch,
      signal: controller.signal,
      refresh: async () => {
        controller.abort(new Error('cancelled'));
        throw new Error('aborted request');
      },
    });
    await expect(s.save(ref())).rejects.toThrow('cancelled');
  });
});
