import { mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { AttachmentError, type AttachmentRef, AttachmentSkippedError, AttachmentStore, DEFAULT_MAX_EXTERNAL_BYTES } from './attachments';
import { TEMP_FILE_PATTERN } from './atomic-write';

// External downloads keep to what is a file: decided by host, Content-Type and size (with a cut-off
// for bodies of unknown length). Fault-free answers through the `fetch` option; the twin's external
// files are downloaded over HTTP in crawl/archive-content.int.test.ts.

let root: string;

beforeEach(async () => {
  root = await mkdtemp(path.join(tmpdir(), 'attachments-external-'));
});

afterEach(async () => {
  const entries = await readdir(path.join(root, 'attachments'), { recursive: true }).catch(() => []);
  expect(entries.filter((e) => TEMP_FILE_PATTERN.test(path.basename(String(e))))).toEqual([]);
  await rm(root, { recursive: true, force: true });
});

const external = (url: string): AttachmentRef => ({ url, kind: 'external', sourceId: 'block-1' });

/** Every host a public address (these tests answer through `fetch`, so nothing is resolved for real). */
const publicLookup = async () => [{ address: '93.184.216.34' }];

/** A fetch that answers every URL with `answer()` and records the URLs asked for. */
function fetchAnswering(answer: () => Response) {
  const calls: string[] = [];
  const fetchImpl = async (input: string | URL | Request) => {
    calls.push(String(input));
    return answer();
  };
  return { fetch: fetchImpl as typeof fetch, calls };
}

/** A body of `total` bytes sent in 64 KiB chunks, without a Content-Length; counts what was pulled. */
function endlessBody(total: number) {
  const state = { pulled: 0, cancelled: false };
  const body = new ReadableStream<Uint8Array>({
    pull(controller) {
      if (state.pulled >= total) return controller.close();
      const size = Math.min(65536, total - state.pulled);
      state.pulled += size;
      controller.enqueue(new Uint8Array(size));
    },
    cancel() {
      state.cancelled = true;
    },
  });
  return { body, state };
}

async function skipped(promise: Promise<unknown>): Promise<AttachmentSkippedError> {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(AttachmentSkippedError);
  expect(error).toBeInstanceOf(AttachmentError);
  return error as AttachmentSkippedError;
}

describe('AttachmentStore: external links that are no file', () => {
  it('asks nothing of video pages (YouTube, Vimeo…), whatever they would answer', async () => {
    const { fetch, calls } = fetchAnswering(() => new Response('<html></html>', { headers: { 'content-type': 'text/html' } }));
    const store = new AttachmentStore({ root, fetch, lookup: publicLookup, downloadExternal: true });
    for (const url of ['https://www.youtube.com/watch?v=dQw4w9WgXcQ', 'https://youtu.be/dQw4w9WgXcQ', 'https://vimeo.com/1']) {
      const error = await skipped(store.save(external(url)));
      expect(error.message).toMatch(/^Not downloaded: https:\/\/[^?]+ is a page of (youtube\.com|youtu\.be|vimeo\.com), not a file$/);
    }
    expect(calls).toEqual([]);
    expect(store.stats()).toMatchObject({ skipped: 3, failed: 0, saved: 0 });
  });

  it('keeps a web page as a link by its Content-Type, and does not ask for it again', async () => {
    const { fetch, calls } = fetchAnswering(() => new Response('<!doctype html><p>an article</p>', { headers: { 'content-type': 'text/html; charset=utf-8' } }));
    const store = new AttachmentStore({ root, fetch, lookup: publicLookup, downloadExternal: true });
    const error = await skipped(store.save(external('https://blog.example/post?id=1')));
    expect(error.message).toBe('Not downloaded: https://blog.example/post is a web page (text/html), not a file');
    expect(error.reason).toBe('a web page (text/html), not a file');
    await skipped(store.save({ ...external('https://blog.example/post?id=1'), sourceId: 'block-2' }));
    expect(calls).toHaveLength(1);
    expect(await readdir(path.join(root, 'attachments')).catch(() => [])).toEqual([]);
  });

  it('does not fetch a file whose Content-Length is over the cap', async () => {
    const { body, state } = endlessBody(10 * 1024 * 1024);
    const { fetch } = fetchAnswering(() => new Response(body, { headers: { 'content-type': 'video/mp4', 'content-length': String(10 * 1024 * 1024) } }));
    const store = new AttachmentStore({ root, fetch, lookup: publicLookup, downloadExternal: true, maxExternalBytes: 1024 * 1024 });
    const error = await skipped(store.save(external('https://cdn.example/film.mp4')));
    expect(error.reason).toBe('larger than 1 MB (10 MB)');
    expect(state.pulled).toBeLessThanOrEqual(2 * 65536);
  });

  it('cuts off a body of unknown length at the cap and leaves nothing behind', async () => {
    const { body, state } = endlessBody(8 * 1024 * 1024);
    const { fetch } = fetchAnswering(() => new Response(body, { headers: { 'content-type': 'application/octet-stream' } }));
    const store = new AttachmentStore({ root, fetch, lookup: publicLookup, downloadExternal: true, maxExternalBytes: 512 * 1024 });
    const error = await skipped(store.save(external('https://cdn.example/disk.img')));
    expect(error.reason).toBe('larger than 512 KB (cut off while downloading)');
    expect(state.pulled).toBeLessThan(1024 * 1024);
    expect(state.cancelled).toBe(true);
    expect(store.stats()).toMatchObject({ skipped: 1, failed: 0 });
  });

  it('downloads an external file under the cap, and a Notion-hosted file of any size or type', async () => {
    const big = 2 * 1024 * 1024;
    const { fetch } = fetchAnswering(() => new Response(new Uint8Array(big), { headers: { 'content-type': 'text/html', 'content-length': String(big) } }));
    const store = new AttachmentStore({ root, fetch, lookup: publicLookup, maxExternalBytes: 1024 });
    const hosted = await store.save({ url: 'https://files.notion.example/s/page.html?sig=1', kind: 'file', sourceId: 'block-1' });
    expect(hosted?.bytes).toBe(big);
    const small = new AttachmentStore({
      root,
      downloadExternal: true,
      fetch: fetchAnswering(() => new Response('a,b\r\n1,2\r\n', { headers: { 'content-type': 'text/csv' } })).fetch,
    });
    expect((await small.save(external('https://files.example/data.csv')))?.bytes).toBe(10);
  });

  it('has a cap of 100 MB unless told otherwise', () => {
    expect(DEFAULT_MAX_EXTERNAL_BYTES).toBe(100 * 1024 * 1024);
  });
});

describe('AttachmentStore: external links lead to public addresses only', () => {
  it('checks every redirect before following it: one to an internal address is not asked', async () => {
    const calls: string[] = [];
    const fetchImpl = (async (input: string | URL | Request, init?: RequestInit) => {
      calls.push(`${String(input)} ${init?.redirect}`);
      return new Response(null, { status: 302, headers: { location: 'http://169.254.169.254/latest/meta-data/' } });
    }) as typeof fetch;
    const store = new AttachmentStore({ root, fetch: fetchImpl, lookup: publicLookup, downloadExternal: true });
    const error = await skipped(store.save(external('https://files.example/report.pdf')));
    expect(error.reason).toBe('on a private or local address (169.254.169.254)');
    expect(calls).toEqual(['https://files.example/report.pdf manual']);
  });

  it('follows public redirects to the file, and gives up after five', async () => {
    let hops = 0;
    const fetchImpl = (async (input: string | URL | Request) => {
      const url = new URL(String(input));
      if (url.pathname === '/loop') return new Response(null, { status: 301, headers: { location: '/loop' } });
      if (hops++ < 2) return new Response(null, { status: 307, headers: { location: `/hop-${hops}` } });
      return new Response('%PDF-1.7', { headers: { 'content-type': 'application/pdf' } });
    }) as typeof fetch;
    const store = new AttachmentStore({ root, fetch: fetchImpl, lookup: publicLookup, downloadExternal: true });
    expect((await store.save(external('https://files.example/report.pdf')))?.bytes).toBe(8);
    const error = await skipped(store.save(external('https://files.example/loop')));
    expect(error.reason).toBe('redirected more than 5 times');
  });
});
