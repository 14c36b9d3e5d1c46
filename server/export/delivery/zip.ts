import { constants as fsConstants, lstatSync } from 'node:fs';
import { createRequire } from 'node:module';
import zlib from 'node:zlib';
import { lstat, open, readdir, readFile } from 'node:fs/promises';
import path from 'node:path';
import { PassThrough, pipeline, Readable } from 'node:stream';
import { ZipFile } from 'yazl';
import { failpoint } from '@/server/failpoints';
import { TEMP_FILE_PATTERN } from '@/server/export/files/atomic-write';

/**
 * The zip format itself (headers, CRC-32, deflate streams, data descriptors, central directory,
 * ZIP64 past 4 GB or 65,535 entries, UTF-8 names, Unix modes) is yazl's. This module decides what
 * goes in and in which order, which files are stored rather than deflated, reads ahead, and hands
 * entries over only as fast as the download takes them, so memory stays flat.
 *
 * yazl runs with `patches/yazl+3.3.1.patch` (applied by patch-package on install): the fix of
 * thejoshwolfe/yazl#91 (finding the next entry scanned every earlier one, so a zip of n files took
 * n²/2 steps: a third of a second at 9,000 files, 11 s at 50,000), and an entry lets go of its data
 * once written (yazl keeps every entry for the central directory, and with it, unpatched, the
 * compressed data of every `addBuffer`). The cursor that fix adds, `firstNotDoneEntryIndex`, is
 * also how this module knows how far yazl has got.
 *
 * Cost, measured with bench/zip.ts (1 GB, 8,900 files, 2 cores): yazl checksums with
 * buffer-crc32 (JavaScript, on the main thread, ~250 MB/s against zlib.crc32's ~3 GB/s; see
 * nativeCrc32ForYazl); a streamed entry costs about a quarter of a millisecond of main thread (a
 * pipeline of four streams and a zlib stream, deflating one chunk after another), so small files
 * go in whole with `addBuffer`, which checksums at once and deflates on libuv's threads, many files
 * at a time, ahead of their turn.
 */

const NATIVE_CRC = Symbol.for('notion-sync.zip.native-crc32');

let nativeCrc: boolean | undefined;

/**
 * Points yazl's checksum (buffer-crc32's `unsigned`, the only one it calls) at Node's native
 * zlib.crc32 (Node 20.15+): the same CRC-32, about ten times faster, and it was the largest cost
 * of a zip. Patches the very module instance yazl loads (both stay outside the Next bundle, see
 * next.config.js); anything it is not given as expected still goes to the original.
 */
export function nativeCrc32ForYazl(): boolean {
  nativeCrc ??= patchYazlCrc32(); // every zip calls this: the module lookups only once
  return nativeCrc;
}

function patchYazlCrc32(): boolean {
  if (typeof zlib.crc32 !== 'function') return false;
  const fromProject = createRequire(path.join(process.cwd(), 'package.json'));
  const crc = createRequire(fromProject.resolve('yazl'))('buffer-crc32') as {
    unsigned: (buf: unknown, previous?: unknown) => number;
    [NATIVE_CRC]?: true;
  };
  if (crc[NATIVE_CRC]) return true;
  const javascript = crc.unsigned;
  crc.unsigned = (buf, previous) =>
    Buffer.isBuffer(buf) && (previous === undefined || typeof previous === 'number')
      ? zlib.crc32(buf, previous ?? 0)
      : javascript(buf, previous);
  crc[NATIVE_CRC] = true;
  return true;
}

export interface ZipOptions {
  /**
   * zlib level 0 (store everything) to 9 for the files that are deflated. Default 1: Markdown and
   * JSON still shrink a lot, and it is fast. Files in `STORED_EXTENSIONS` are stored at any level.
   */
  level?: number;
  /** Write ZIP64 records even where 32-bit fields would do (yazl's `forceZip64Format`; tests). */
  forceZip64?: boolean;
  /**
   * Only these files (paths relative to the root, `/`-separated), and the folders on their way;
   * anything else in the folder is left out. Default: every file and folder.
   */
  only?: ReadonlySet<string>;
  /**
   * The zip's length as `planZip` worked it out (and announced as Content-Length): a zip that comes
   * out of another length (a file changed meanwhile) fails at its end instead of ending quietly.
   */
  expectedSize?: number;
}

/**
 * Extensions (lower case) of formats that are compressed already: images, audio, video, archives,
 * PDF and Office documents (zip containers). Deflating them gains next to nothing and is what makes
 * a zip slow (zlib runs at a few dozen MB/s on random-looking bytes), so they are stored as they are.
 */
export const STORED_EXTENSIONS: ReadonlySet<string> = new Set([
  // images
  '.png', '.jpg', '.jpeg', '.gif', '.webp', '.avif', '.heic', '.heif',
  // video
  '.mp4', '.m4v', '.mov', '.webm', '.mkv', '.avi',
  // audio
  '.mp3', '.m4a', '.aac', '.ogg', '.oga', '.opus', '.flac',
  // archives
  '.zip', '.gz', '.tgz', '.bz2', '.xz', '.zst', '.7z', '.rar',
  // documents that are compressed inside
  '.pdf', '.docx', '.xlsx', '.pptx', '.odt', '.ods', '.odp', '.epub',
]);

/** Whether the zip stores `name` instead of deflating it (see `STORED_EXTENSIONS`). */
export function isStoredInZip(name: string): boolean {
  return STORED_EXTENSIONS.has(path.posix.extname(name).toLowerCase());
}

/** Files up to this size are read whole ahead of their turn; larger ones are opened and streamed in their turn. */
const WHOLE_FILE_BYTES = 256 * 1024;
/** Entries being stat'ed and read ahead (in parallel, on libuv's threads) of the one handed to yazl next. */
const READ_AHEAD = 32;
/**
 * Entries handed to yazl ahead of the one it is writing (small files whole, deflated meanwhile, so
 * held in memory until their turn). Once this many wait, the next ones are handed over only when
 * yazl is down to `HAND_OVER_LOW` of them, as a burst rather than one per turn: yazl keeps every
 * entry's name in a small Buffer, which Node cuts from a shared 8 KB slab, and a name cut between
 * the other small buffers of an entry's turn keeps a slab of garbage alive with it. One entry at a
 * time that came to ~2.6 KB an entry (72 MB for 28,000 files); in bursts, ~0.7 KB.
 */
const HAND_OVER_ENTRIES = 32;
/** See `HAND_OVER_ENTRIES`: enough left to keep yazl busy while the next burst is deflated. */
const HAND_OVER_LOW = 8;
/**
 * Read size for streamed files. Every chunk is garbage once sent, and a server collects it only
 * every few dozen MB; 256 KB chunks kept the bench download's peak ~15 MB lower than 1 MB ones,
 * at the same speed.
 */
const STREAM_CHUNK_BYTES = 256 * 1024;
/**
 * How far a streamed file is read ahead of yazl. yazl checksums each chunk on the main thread as it
 * arrives; without this buffer the file stream only asks for its next chunk once that is done, so
 * disk reads and checksumming would take turns instead of overlapping.
 */
const STREAM_READ_AHEAD_BYTES = 2 * 1024 * 1024;
/** The zip leaves in chunks of at least this size (headers are a few dozen bytes each). */
const OUTPUT_CHUNK_BYTES = 64 * 1024;
/**
 * How much zip the web stream makes ahead of the socket. Without it the zip is made only when the
 * socket asks for more, so reading files and sending would take turns (8.3 s for the 1 GB bench
 * download against 7.2 s with it, before `addBuffer`).
 */
const WEB_STREAM_AHEAD_BYTES = 2 * 1024 * 1024;
/** Opening a file never follows a link: one that replaced a file after it was listed fails instead of being zipped. */
const READ_NO_FOLLOW = fsConstants.O_RDONLY | fsConstants.O_NOFOLLOW;

interface FoundEntry {
  abs: string;
  /** Relative to the root, posix separators. */
  name: string;
}

interface EntryMeta {
  name: string;
  mtime: Date;
  /** `stats.mode`: permissions and file type, as unzip restores them. */
  mode: number;
}

type PreparedEntry =
  | (EntryMeta & { kind: 'directory' })
  /** A small file, read whole. */
  | (EntryMeta & { kind: 'buffer'; data: Buffer; compressionLevel: number })
  | (EntryMeta & { kind: 'stream'; abs: string; size: number; compressionLevel: number })
  /** A symbolic link (or something else that is neither file nor folder): left out. */
  | { kind: 'skip' };

/** Which entries `only` lets in: its files, and the folders on their way. */
function entryFilter(only: ReadonlySet<string> | undefined): (name: string, isDirectory: boolean) => boolean {
  if (!only) return () => true;
  const folders = new Set<string>();
  for (const file of only) {
    for (let slash = file.indexOf('/'); slash !== -1; slash = file.indexOf('/', slash + 1)) folders.add(file.slice(0, slash));
  }
  return (name, isDirectory) => (isDirectory ? folders.has(name) : only.has(name));
}

/**
 * Every entry under `root`, depth first, names sorted, without leftover temp files and without
 * symbolic links: a link is never followed nor zipped, wherever it points (outside the folder
 * or inside). A folder is read only once `lstat` says it is a folder, not a link put in its place.
 */
async function* walk(root: string, keep: (name: string, isDirectory: boolean) => boolean, rel = ''): AsyncGenerator<FoundEntry> {
  if (rel !== '' && !(await lstat(path.join(root, rel))).isDirectory()) return;
  const dirents = await readdir(path.join(root, rel), { withFileTypes: true });
  dirents.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  for (const dirent of dirents) {
    if (TEMP_FILE_PATTERN.test(dirent.name) || dirent.isSymbolicLink()) continue;
    const name = rel === '' ? dirent.name : `${rel}/${dirent.name}`;
    if (!keep(name, dirent.isDirectory())) continue;
    yield { abs: path.join(root, name), name };
    if (dirent.isDirectory()) yield* walk(root, keep, name);
  }
}

/** Stats the entry (never following a link) and reads a small file whole. Fails if it vanished. */
async function prepare({ abs, name }: FoundEntry, level: number): Promise<PreparedEntry> {
  const stats = await lstat(abs);
  const meta: EntryMeta = { name, mtime: stats.mtime, mode: stats.mode };
  if (stats.isDirectory()) return { ...meta, kind: 'directory' };
  // A link that replaced a file after the folder was read, a socket, a device: not zipped.
  if (!stats.isFile()) return { kind: 'skip' };
  const compressionLevel = level === 0 || stats.size === 0 || isStoredInZip(name) ? 0 : level;
  if (stats.size > WHOLE_FILE_BYTES) return { ...meta, kind: 'stream', abs, size: stats.size, compressionLevel };
  return { ...meta, kind: 'buffer', data: await readFile(abs, { flag: READ_NO_FOLLOW }), compressionLevel };
}

/** Output waiting to be sent, handed out in chunks of at least `OUTPUT_CHUNK_BYTES`. */
class OutputBuffer {
  #chunks: Buffer[] = [];
  #length = 0;

  push(chunk: Buffer): void {
    this.#chunks.push(chunk);
    this.#length += chunk.length;
  }

  get full(): boolean {
    return this.#length >= OUTPUT_CHUNK_BYTES;
  }

  get empty(): boolean {
    return this.#length === 0;
  }

  take(): Buffer {
    const [only] = this.#chunks;
    const chunk = only && this.#chunks.length === 1 ? only : Buffer.concat(this.#chunks, this.#length);
    this.#chunks = [];
    this.#length = 0;
    return chunk;
  }
}

/** Something changed (output came, a failure, a stop): whoever waits re-checks its condition. */
class Signal {
  #waiters: (() => void)[] = [];

  wait(): Promise<void> {
    return new Promise((resolve) => this.#waiters.push(resolve));
  }

  notify(): void {
    const waiters = this.#waiters;
    this.#waiters = [];
    for (const wake of waiters) wake();
  }
}

/** yazl's ZipFile with the fields this module reads (see the module comment on the patch). */
type PatchedZipFile = ZipFile & { entries: unknown[]; firstNotDoneEntryIndex: number };

let yazlPatched: boolean | undefined;

/**
 * Throws unless the installed yazl carries the project's patch (an install that skipped scripts):
 * without it a zip of many files would crawl and keep every small file's data to the end.
 */
export function assertYazlPatched(): void {
  yazlPatched ??= typeof (new ZipFile() as Partial<PatchedZipFile>).firstNotDoneEntryIndex === 'number';
  if (!yazlPatched) {
    throw new Error('yazl is installed without patches/yazl+3.3.1.patch: run `npm install`, whose postinstall applies it');
  }
}

/**
 * The zip of `root` made by yazl, in chunks of at least `OUTPUT_CHUNK_BYTES`, produced only as fast
 * as they are taken. Entries are found in sorted order and stat'ed `READ_AHEAD` ahead, small files
 * read whole meanwhile. Small files go to yazl whole (`addBuffer`: checksummed at once, deflated on
 * libuv's threads before their turn, written in one piece); large ones as streams opened in their
 * turn (`addReadStreamLazy`), checksummed and deflated as they are read.
 *
 * At most `HAND_OVER_ENTRIES` entries wait inside yazl (the patched yazl lets go of an entry's
 * data once it is written and says how far it is). Memory stays flat but for yazl's list of
 * entries, which it needs for the central directory (a name and a few numbers each; see
 * `HAND_OVER_ENTRIES`): a few MB of small files read ahead, a few MB of a large one.
 */
async function* zipChunks(root: string, options: ZipOptions): AsyncGenerator<Buffer> {
  const level = options.level ?? 1;
  const forceZip64Format = options.forceZip64 === true;
  const zip = new ZipFile() as PatchedZipFile; // checked by assertYazlPatched before any zip starts
  const output = zip.outputStream as Readable; // a PassThrough: file data is piped in with backpressure
  output.pause(); // until the first chunk is asked for
  const signal = new Signal();
  const streams = new Set<Readable>();
  let failure: Error | undefined;
  let stopped = false;
  let ended = false;
  /** Entries handed to yazl and not yet written out. */
  const waiting = () => zip.entries.length - zip.firstNotDoneEntryIndex;

  const fail = (error: unknown) => {
    failure ??= error instanceof Error ? error : new Error(String(error));
    signal.notify();
  };
  zip.on('error', fail);
  output.on('error', fail);
  // Chunks as yazl wrote them: a file's read chunks pass through as they are (`read()` would
  // copy whatever had piled up into one new Buffer), and yazl is paused once enough waits.
  const arrived: Buffer[] = [];
  let arrivedBytes = 0;
  output.on('data', (chunk: Buffer) => {
    arrived.push(chunk);
    arrivedBytes += chunk.length;
    if (arrivedBytes >= OUTPUT_CHUNK_BYTES) output.pause();
    signal.notify(); // also wakes the feeder, which may be waiting for yazl to get on
  });
  output.on('end', () => {
    ended = true;
    signal.notify();
  });

  /** Hands a file to yazl: a small one whole, a large one to be opened and read in its turn. */
  const addFile = (entry: PreparedEntry & { kind: 'buffer' | 'stream' }) => {
    const { name, mtime, mode, compressionLevel } = entry;
    if (entry.kind === 'buffer') return zip.addBuffer(entry.data, name, { mtime, mode, compressionLevel, forceZip64Format });
    const { abs, size } = entry; // yazl fails the zip if the file no longer has this size
    zip.addReadStreamLazy(name, { mtime, mode, compressionLevel, forceZip64Format, size }, (callback) => {
      open(abs, READ_NO_FOLLOW).then(
        (handle) => {
          if (stopped) handle.close().catch(() => {});
          else {
            const source = handle.createReadStream({ highWaterMark: STREAM_CHUNK_BYTES });
            const stream = pipeline(source, new PassThrough({ highWaterMark: STREAM_READ_AHEAD_BYTES }), () => {}); // errors reach the PassThrough
            streams.add(stream);
            stream.once('close', () => streams.delete(stream));
            stream.on('error', fail); // yazl does not listen for errors on the streams it is given
            callback(null, stream);
          }
        },
        (error: unknown) => callback(error, null as never), // yazl emits it
      );
    });
  };

  const feed = async () => {
    const found = walk(path.resolve(root), entryFilter(options.only));
    const ahead: Promise<PreparedEntry>[] = [];
    let listed = false;
    let entries = 0;
    try {
      for (;;) {
        while (!listed && ahead.length < READ_AHEAD) {
          const next = await found.next();
          if (next.done) {
            listed = true;
          } else {
            const prepared = prepare(next.value, level);
            prepared.catch(() => {}); // awaited in its turn below; this only keeps an early failure from being unhandled
            ahead.push(prepared);
          }
        }
        const next = ahead.shift();
        if (!next) break;
        const entry = await next;
        if (entry.kind === 'skip') continue;
        if (waiting() >= HAND_OVER_ENTRIES) {
          while (!stopped && !failure && waiting() > HAND_OVER_LOW) await signal.wait();
        }
        if (stopped || failure) return;
        if (entry.kind === 'directory') zip.addEmptyDirectory(entry.name, { mtime: entry.mtime, mode: entry.mode });
        else addFile(entry);
        if (++entries === 2) failpoint('mid-zip');
      }
      zip.end({ forceZip64Format, comment: '' });
    } finally {
      await found.return(undefined);
    }
  };

  const out = new OutputBuffer();
  let written = 0;
  feed().catch(fail);
  try {
    for (;;) {
      if (failure) throw failure;
      const chunk = arrived.shift();
      if (chunk) {
        arrivedBytes -= chunk.length;
        written += chunk.length;
        if (out.empty && chunk.length >= OUTPUT_CHUNK_BYTES) {
          yield chunk;
        } else {
          out.push(chunk);
          if (out.full) yield out.take();
        }
      } else if (ended) {
        if (options.expectedSize !== undefined && written !== options.expectedSize) {
          throw new Error(`The zip came to ${written} bytes, not the ${options.expectedSize} announced: a file changed while it was zipped`);
        }
        break;
      } else {
        output.resume();
        await signal.wait();
      }
    }
    if (!out.empty) yield out.take();
  } finally {
    stopped = true;
    signal.notify();
    for (const stream of streams) stream.destroy();
    output.destroy();
  }
}

/** How to make an export's zip: at which level, and its length when that is known before it is made. */
export interface ZipPlan {
  /** The zlib level to pass to `createZipStream`/`zipToWebStream` (0: every file stored). */
  level: number;
  /** The zip's length in bytes, known when every file is stored; null otherwise. */
  size: number | null;
}

/**
 * Files deflate would shrink (`isStoredInZip` says no) may make up at most this share of an
 * export's bytes, or `STORE_WHOLE_MAX_BYTES`, for the whole zip to be stored so that its length is
 * known. Deflating them would save less than that share of the download.
 */
export const STORE_WHOLE_MAX_SHARE = 0.05;
/** See `STORE_WHOLE_MAX_SHARE`: below this many deflatable bytes, storing costs next to nothing. */
export const STORE_WHOLE_MAX_BYTES = 1024 * 1024;

/**
 * Decides how the zip of `root` is made, and works out its length when it can be known up front.
 *
 * yazl can tell a zip's final size only when every entry's size is known and nothing is
 * compressed (`ZipFile.end(options, finalSizeCallback)`); and it tells it only once every entry was
 * added, which the streamed zip does as the download goes, far too late for a header. So the
 * folder is listed first (`lstat` only, no file is read) and the same entries, with the same kinds
 * (`addBuffer` for small files, which carry no data descriptor; lazy streams for large ones), are
 * handed to a second ZipFile that never writes anything: its callback gives the exact length.
 *
 * Whether to store everything for that: Markdown, HTML, JSON and CSV shrink three to five times
 * when deflated, so a zip stored whole may be several times larger than deflated. The zip is
 * stored whole, with its length known, only when the files deflate would shrink are a small part
 * of the export (`STORE_WHOLE_MAX_SHARE`): an export of mostly images and PDFs, which are stored
 * anyway. Otherwise it is deflated at `level` and sent without a length.
 */
export async function planZip(root: string, options: Pick<ZipOptions, 'only' | 'level' | 'forceZip64'> = {}): Promise<ZipPlan> {
  readyToZip(root);
  const level = options.level ?? 1;
  const found: { name: string; size: number | null }[] = [];
  let total = 0;
  let deflatable = 0;
  for await (const entry of walk(path.resolve(root), entryFilter(options.only))) {
    const stats = await lstat(entry.abs);
    if (stats.isDirectory()) found.push({ name: entry.name, size: null });
    else if (stats.isFile()) {
      found.push({ name: entry.name, size: stats.size });
      total += stats.size;
      if (stats.size > 0 && !isStoredInZip(entry.name)) deflatable += stats.size;
    }
  }
  if (level !== 0 && deflatable > Math.max(STORE_WHOLE_MAX_BYTES, total * STORE_WHOLE_MAX_SHARE)) return { level, size: null };
  return { level: 0, size: storedZipSize(found, options.forceZip64 === true) };
}

/** The length of the zip of these entries (null size: a folder), every file stored, as yazl would write it. */
function storedZipSize(entries: readonly { name: string; size: number | null }[], forceZip64Format: boolean): number {
  const zip = new ZipFile() as PatchedZipFile;
  const output = zip.outputStream as Readable;
  output.on('error', () => {}); // nothing reads it; it is dropped below
  zip.on('error', () => {});
  // Small files go in as buffers, like the real zip's; one run of zeros stands for their bytes.
  const zeros = Buffer.alloc(WHOLE_FILE_BYTES);
  let size = -1;
  try {
    for (const { name, size: bytes } of entries) {
      if (bytes === null) zip.addEmptyDirectory(name, {});
      else if (bytes > WHOLE_FILE_BYTES) {
        zip.addReadStreamLazy(name, { compressionLevel: 0, forceZip64Format, size: bytes }, () => {}); // never opened
      } else zip.addBuffer(zeros.subarray(0, bytes), name, { compressionLevel: 0, forceZip64Format });
    }
    // With every size known and nothing compressed, yazl calls back at once, from end().
    // (@types/yazl has the callback without its argument, the size.)
    const end = zip.end.bind(zip) as (options: { forceZip64Format: boolean; comment: string }, finalSize: (bytes: number) => void) => void;
    end({ forceZip64Format, comment: '' }, (calculated) => {
      size = calculated;
    });
  } finally {
    // Stops yazl from writing what is left (its next turn sees the zip done).
    (zip as PatchedZipFile & { allDone: boolean }).allDone = true;
    output.destroy();
  }
  if (size < 0) throw new Error('yazl did not work out the size of a stored zip');
  return size;
}

/** What every zip needs before it starts: the patched yazl on the native CRC, and a folder (not a link to one) to zip. */
function readyToZip(root: string): void {
  assertYazlPatched();
  nativeCrc32ForYazl();
  if (!lstatSync(root, { throwIfNoEntry: false })?.isDirectory()) {
    throw new Error(`Cannot zip ${root}: the export folder does not exist`);
  }
}

/**
 * Streams the export folder as a zip, file by file, straight from disk (nothing is built in
 * memory). Entry names are relative to `root`. Leftover temp files from interrupted atomic writes
 * are skipped; a file that disappears while zipping fails the stream instead of being left out.
 * Already-compressed attachments are stored, everything else is deflated at `options.level`.
 * Symbolic links are left out (never followed, never zipped), and `options.only` keeps the export's
 * own files alone. Throws at once if `root` is not a folder (a link to one is refused too), or if
 * yazl was installed without the project's patch.
 */
export function createZipStream(root: string, options: ZipOptions = {}): Readable {
  readyToZip(root);
  return Readable.from(zipChunks(root, options), { objectMode: false });
}

/** The same zip as a web stream, for a Next route handler: `new Response(zipToWebStream(dir))`. */
export function zipToWebStream(root: string, options: ZipOptions = {}): ReadableStream<Uint8Array> {
  readyToZip(root);
  const chunks = zipChunks(root, options);
  return new ReadableStream<Uint8Array>({
    async pull(controller) {
      const next = await chunks.next();
      if (next.done) controller.close();
      else controller.enqueue(next.value);
    },
    async cancel() {
      await chunks.return(undefined);
    },
  }, new ByteLengthQueuingStrategy({ highWaterMark: WEB_STREAM_AHEAD_BYTES }));
}
