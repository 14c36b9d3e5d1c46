import { constants as fsConstants } from 'node:fs';
import { type FileHandle, lstat, open, realpath } from 'node:fs/promises';
import path from 'node:path';
import { Readable } from 'node:stream';
import type { AppContext } from '@/server/app-context';
import { DomainError } from '@/server/errors';
import { contentDisposition } from './download-name';
import { exportFolder } from './export-download';
import { MAX_PREVIEW_BYTES, renderMarkdownPreview, tooLargeToPreview } from './markdown-preview';

/**
 * One file of an export, served to people who may see the export (the file tree's preview and
 * its links). It reads only what the zip download would hold: the export's folder as recorded
 * (exportFolder: a dashboard export's whole folder, a CLI export's recorded files), never through
 * a link, never outside.
 */

/**
 * What every answer of the file route carries: nothing in it can run (a sandbox, no script
 * source), it loads nothing but the export's own images and its inline styles, and only the
 * dashboard may frame it; the browser takes the declared type as it is.
 */
export const FILE_SECURITY_HEADERS: Readonly<Record<string, string>> = {
  'Content-Security-Policy': "sandbox; default-src 'none'; img-src 'self' data:; style-src 'unsafe-inline'; frame-ancestors 'self'",
  'X-Content-Type-Options': 'nosniff',
  'X-Frame-Options': 'SAMEORIGIN',
  'Cache-Control': 'no-store',
};

/**
 * What a path segment of the route may be: a name the export's layout can produce. Not empty,
 * `.` or `..`; no slash or backslash (a segment that decoded into several), no character the
 * layout never writes (`:*?"<>|`, control characters, NUL), and no leading dot (the layout never
 * makes hidden files; leftover temp files start with one). `%` stays a plain character: segments
 * are decoded once, by the router, and never again, so `%2e%2e` names a file called that.
 */
// biome-ignore lint/suspicious/noControlCharactersInRegex: control characters are exactly what is refused
const SEGMENT = /^(?!\.)[^/\\:*?"<>|\u0000-\u001f\u007f]{1,255}$/;
/** Folders deep enough for any export (its layout keeps paths under 250 characters). */
const MAX_SEGMENTS = 64;

/** How a file is answered: its type, and whether the browser shows it or saves it. */
export interface FileType {
  contentType: string;
  inline: boolean;
}

const TEXT = (type: string): FileType => ({ contentType: `${type}; charset=utf-8`, inline: true });
const SHOWN = (type: string): FileType => ({ contentType: type, inline: true });

/** Types by extension (lower case): text, images and PDF are shown; anything else is saved. */
const TYPES: Record<string, FileType> = {
  '.md': TEXT('text/markdown'),
  '.html': TEXT('text/html'),
  '.htm': TEXT('text/html'),
  '.json': TEXT('application/json'),
  '.csv': TEXT('text/csv'),
  '.txt': TEXT('text/plain'),
  '.png': SHOWN('image/png'),
  '.jpg': SHOWN('image/jpeg'),
  '.jpeg': SHOWN('image/jpeg'),
  '.gif': SHOWN('image/gif'),
  '.webp': SHOWN('image/webp'),
  '.avif': SHOWN('image/avif'),
  '.svg': SHOWN('image/svg+xml'),
  '.bmp': SHOWN('image/bmp'),
  '.ico': SHOWN('image/x-icon'),
  '.pdf': SHOWN('application/pdf'),
};
const SAVED: FileType = { contentType: 'application/octet-stream', inline: false };
/** Text files a preview shows as plain text. */
const PREVIEWED_AS_TEXT: ReadonlySet<string> = new Set(['.csv', '.json', '.txt']);

/** The type `name` is answered with (see TYPES); unknown files as bytes to save. */
export function fileTypeOf(name: string): FileType {
  return TYPES[path.posix.extname(name).toLowerCase()] ?? SAVED;
}

/** An export's file, opened (never through a link) for reading. */
export interface OpenedExportFile {
  handle: FileHandle;
  /** Relative to the export's folder, `/`-separated. */
  path: string;
  name: string;
  bytes: number;
}

const notFound = (exportId: string) => new DomainError('NOT_FOUND', `This file is not part of export ${exportId}`);

/**
 * Opens the file at `segments` (the route's path, decoded once) in the folder of `exportId`;
 * BAD_INPUT for a path no export file can have, NOT_FOUND for anything that is not a regular file
 * of the export (missing, a folder, a link or under one, outside its folder, not among a CLI
 * export's recorded files, or its export was cancelled and its files removed).
 *
 * Every folder on the way and the file itself are checked with `lstat` (a link is refused, not
 * followed), the real path of the file must be the folder's real path plus the same segments,
 * and the file is opened with O_NOFOLLOW and must still be the file that was checked.
 */
export async function openExportFile(ctx: AppContext, exportId: string, segments: readonly string[]): Promise<OpenedExportFile> {
  if (segments.length === 0 || segments.length > MAX_SEGMENTS || !segments.every((s) => SEGMENT.test(s))) {
    throw new DomainError('BAD_INPUT', 'This is not a file of an export');
  }
  // A cancelled export's files were removed (a CLI folder keeps what was there before).
  const folder = await exportFolder(ctx, exportId, (status) => {
    if (status === 'cancelled') throw notFound(exportId);
  });
  const rel = segments.join('/');
  if (folder.only && !folder.only.has(rel)) throw notFound(exportId);
  let at = folder.root;
  for (const [i, segment] of segments.entries()) {
    at = path.join(at, segment);
    const stats = await lstat(at).catch(() => undefined);
    const last = i === segments.length - 1;
    if (!stats || (last ? !stats.isFile() : !stats.isDirectory())) throw notFound(exportId);
  }
  const [realRoot, realFile] = await Promise.all([realpath(folder.root), realpath(at)]).catch(() => [null, null]);
  if (realRoot === null || realFile !== path.join(realRoot, ...segments)) throw notFound(exportId);
  const checked = await lstat(at);
  const handle = await open(at, fsConstants.O_RDONLY | fsConstants.O_NOFOLLOW).catch(() => undefined);
  if (!handle) throw notFound(exportId);
  const opened = await handle.stat();
  if (!opened.isFile() || opened.ino !== checked.ino || opened.dev !== checked.dev) {
    await handle.close();
    throw notFound(exportId);
  }
  return { handle, path: rel, name: segments[segments.length - 1] ?? rel, bytes: opened.size };
}

/** Another answer of the file route (a refusal, an error) with the route's security headers. */
export function withFileHeaders(response: Response): Response {
  const headers = new Headers(response.headers);
  for (const [name, value] of Object.entries(FILE_SECURITY_HEADERS)) headers.set(name, value);
  return new Response(response.body, { status: response.status, statusText: response.statusText, headers });
}

/**
 * The answer for an opened file (closed once sent): `preview` renders a Markdown file as a page
 * and shows CSV and JSON as plain text; HTML pages of the export are sent as they are; everything
 * else with its type from `fileTypeOf`, shown in the browser for text, images and PDF, saved
 * otherwise.
 */
export async function exportFileResponse(file: OpenedExportFile, options: { preview?: boolean } = {}): Promise<Response> {
  const type = fileTypeOf(file.name);
  if (options.preview && path.posix.extname(file.name).toLowerCase() === '.md') {
    let page: string;
    try {
      page =
        file.bytes > MAX_PREVIEW_BYTES ? tooLargeToPreview(file.name, file.bytes) : renderMarkdownPreview(await file.handle.readFile('utf8'), file.name);
    } finally {
      await file.handle.close();
    }
    const body = Buffer.from(page, 'utf8');
    return new Response(body, {
      headers: {
        ...FILE_SECURITY_HEADERS,
        'Content-Type': 'text/html; charset=utf-8',
        'Content-Length': String(body.length),
        'Content-Disposition': contentDisposition('inline', `${file.name}.html`, 'preview.html'),
      },
    });
  }
  // In the preview pane, CSV and JSON show as text (a browser would offer to save CSV, and views JSON with scripts).
  const asText = options.preview && PREVIEWED_AS_TEXT.has(path.posix.extname(file.name).toLowerCase());
  const stream = file.handle.createReadStream(); // closes the handle when done or destroyed
  return new Response(Readable.toWeb(stream) as ReadableStream<Uint8Array>, {
    headers: {
      ...FILE_SECURITY_HEADERS,
      'Content-Type': asText ? 'text/plain; charset=utf-8' : type.contentType,
      'Content-Length': String(file.bytes),
      'Content-Disposition': contentDisposition(type.inline ? 'inline' : 'attachment', file.name, 'file'),
    },
  });
}
