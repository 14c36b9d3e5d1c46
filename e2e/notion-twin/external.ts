/**
 * The other sites pages link files from, served by the twin itself when `serveExternalFiles` is
 * on: the generated workspace's external URLs (`https://images.twin.example/…`,
 * `https://files.twin.example/…`, the YouTube watch page) are answered with
 * `<twin>/external/<host>/<path>`, so an exporter that downloads external files meets real answers:
 *
 * - a file: its bytes, with its Content-Type (by extension) and Content-Length;
 * - a web page: the YouTube watch page (and any `.html` path), `text/html`;
 * - a file too large to archive: `podcast.mp3` (a long recording) says `Content-Length` 2 GiB;
 *   a path ending in `.stream` sends bytes without a Content-Length until the client hangs up
 *   (at most `STREAMED_FILE_BYTES`).
 */
import { createHash } from 'node:crypto';
import type { ServerResponse } from 'node:http';
import type { Reply } from './replies';

/** Hosts of the generated workspace's external files (and its video link). */
export const EXTERNAL_HOSTS = ['images.twin.example', 'files.twin.example', 'www.youtube.com'] as const;

/** What `podcast.mp3` claims to be: far more than an exporter should fetch. */
export const OVERSIZED_FILE_BYTES = 2 * 1024 * 1024 * 1024;
/** The most a `.stream` file sends when the client never hangs up. */
export const STREAMED_FILE_BYTES = 256 * 1024 * 1024;

const PATTERN = new RegExp(`https://(${EXTERNAL_HOSTS.map((h) => h.replaceAll('.', '\\.')).join('|')})/`, 'g');

/** The URL at which the twin serves an external URL of the workspace (others are left alone). */
export function servedExternalUrl(url: string, baseUrl: string): string {
  return url.replace(PATTERN, (_match, host: string) => `${baseUrl}/external/${host}/`);
}

/** An API answer with its external URLs pointing at the twin. */
export function withServedExternalUrls(reply: Reply, baseUrl: string): Reply {
  if (reply.type !== 'json' || reply.status !== 200) return reply;
  const text = JSON.stringify(reply.body);
  const served = servedExternalUrl(text, baseUrl);
  return served === text ? reply : { ...reply, body: JSON.parse(served) as object };
}

const CONTENT_TYPES: Record<string, string> = {
  jpg: 'image/jpeg',
  jpeg: 'image/jpeg',
  png: 'image/png',
  gif: 'image/gif',
  svg: 'image/svg+xml',
  pdf: 'application/pdf',
  csv: 'text/csv; charset=utf-8',
  mp3: 'audio/mpeg',
  mp4: 'video/mp4',
  zip: 'application/zip',
  html: 'text/html; charset=utf-8',
};

/** The bytes the twin serves for an external file: small and distinct per path. */
export function externalFileContent(pathname: string): Buffer {
  const digest = createHash('sha256').update(pathname).digest();
  return Buffer.concat([Buffer.from(`external file ${pathname}\n`), digest, digest]);
}

const WATCH_PAGE = (title: string) =>
  `<!doctype html><html lang="en"><head><meta charset="utf-8"><title>${title}</title></head><body><h1>${title}</h1><div id="player"></div></body></html>`;

/** Answers `GET /external/<host>/<path>` (404 for a host that is not one of EXTERNAL_HOSTS). */
export function serveExternal(res: ServerResponse, pathname: string, head: boolean): void {
  const m = /^\/external\/([a-z0-9.-]+)\/(.+)$/.exec(pathname);
  const host = m?.[1];
  const rest = m?.[2] ?? '';
  if (!host || !(EXTERNAL_HOSTS as readonly string[]).includes(host)) {
    res.writeHead(404, { 'content-type': 'text/plain' });
    res.end('not found');
    return;
  }
  const ext = rest.split('.').pop()?.toLowerCase() ?? '';
  if (host === 'www.youtube.com' || ext === 'html') {
    const body = WATCH_PAGE(host === 'www.youtube.com' ? 'Video - YouTube' : rest);
    res.writeHead(200, { 'content-type': 'text/html; charset=utf-8', 'content-length': Buffer.byteLength(body) });
    res.end(head ? '' : body);
    return;
  }
  if (rest.endsWith('podcast.mp3')) {
    res.writeHead(200, { 'content-type': 'audio/mpeg', 'content-length': OVERSIZED_FILE_BYTES });
    if (head) res.end();
    else streamZeros(res, OVERSIZED_FILE_BYTES);
    return;
  }
  if (ext === 'stream') {
    res.writeHead(200, { 'content-type': 'application/octet-stream' });
    if (head) res.end();
    else streamZeros(res, STREAMED_FILE_BYTES);
    return;
  }
  const body = externalFileContent(pathname);
  res.writeHead(200, { 'content-type': CONTENT_TYPES[ext] ?? 'application/octet-stream', 'content-length': body.length });
  res.end(head ? '' : body);
}

/** Sends `total` zero bytes as the client reads them, and stops when it hangs up. */
function streamZeros(res: ServerResponse, total: number): void {
  const chunk = Buffer.alloc(64 * 1024);
  let sent = 0;
  const pump = () => {
    while (sent < total && !res.destroyed) {
      const size = Math.min(chunk.length, total - sent);
      sent += size;
      if (!res.write(size === chunk.length ? chunk : chunk.subarray(0, size))) return void res.once('drain', pump);
    }
    if (!res.destroyed) res.end();
  };
  res.on('close', () => {
    sent = total;
  });
  pump();
}
