import { statSync } from 'node:fs';
import path from 'node:path';
import { Readable } from 'node:stream';
import type { ReadableStream as WebReadableStream } from 'node:stream/web';
import { ZipArchive } from 'archiver';
import { failpoint } from '@/server/failpoints';
import { TEMP_FILE_PATTERN } from './atomic-write';

export interface ZipOptions {
  /** zlib level 0 (store) to 9. Default 1: Markdown and JSON still shrink a lot, and it is fast. */
  level?: number;
}

/**
 * Streams the export folder as a zip, file by file, straight from disk (nothing is built in
 * memory). Entry names are relative to `root`. Leftover temp files from interrupted atomic writes
 * are skipped; a file that disappears while zipping fails the stream instead of being left out.
 * Throws at once if `root` is not a folder (archiver would quietly produce an empty zip).
 */
export function createZipStream(root: string, options: ZipOptions = {}): Readable {
  if (!statSync(root, { throwIfNoEntry: false })?.isDirectory()) {
    throw new Error(`Cannot zip ${root}: the export folder does not exist`);
  }
  const archive = new ZipArchive({ zlib: { level: options.level ?? 1 } });
  archive.on('warning', (warning) => archive.emit('error', warning));
  let entries = 0;
  archive.directory(path.resolve(root), false, (entry) => {
    if (TEMP_FILE_PATTERN.test(path.posix.basename(entry.name))) return false;
    if (++entries === 2) failpoint('mid-zip');
    return entry;
  });
  archive.finalize().catch((err: unknown) => archive.emit('error', err));
  return archive;
}

/** The same zip as a web stream, for a Next route handler: `new Response(zipToWebStream(dir))`. */
export function zipToWebStream(root: string, options?: ZipOptions): ReadableStream<Uint8Array> {
  const web: WebReadableStream<Uint8Array> = Readable.toWeb(createZipStream(root, options));
  return web as unknown as ReadableStream<Uint8Array>;
}
