import { randomBytes } from 'node:crypto';
import { readdirSync } from 'node:fs';
import { appendFile, chmod, mkdir, mkdtemp, rm, symlink, utimes, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { Readable } from 'node:stream';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import yauzl from 'yauzl';
import { createRequire } from 'node:module';
import {
  assertYazlPatched,
  createZipStream,
  isStoredInZip,
  nativeCrc32ForYazl,
  planZip,
  STORE_WHOLE_MAX_BYTES,
  STORED_EXTENSIONS,
  zipToWebStream,
} from './zip';
import { writeFiles } from '@/server/testing/files';

let root: string;

beforeEach(async () => {
  root = await mkdtemp(path.join(tmpdir(), 'zip-'));
});

afterEach(async () => {
  await rm(root, { recursive: true, force: true });
});

async function collect(stream: Readable): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of stream) chunks.push(Buffer.from(chunk as Uint8Array));
  return Buffer.concat(chunks);
}

interface UnzippedEntry {
  /** 0 stored, 8 deflated. */
  compressionMethod: number;
  data: Buffer;
  /** Unix mode (type and permissions) from the external attributes. */
  mode: number;
  mtime: Date;
}

/** Reads a zip back with yauzl into { name → entry } (directories end with `/`), in zip order. */
function unzipEntries(buffer: Buffer): Promise<Map<string, UnzippedEntry>> {
  return new Promise((resolve, reject) => {
    yauzl.fromBuffer(buffer, { lazyEntries: true }, (err, zip) => {
      if (err) return reject(err);
      const entries = new Map<string, UnzippedEntry>();
      zip.on('error', reject);
      zip.on('end', () => resolve(entries));
      zip.on('entry', (entry: yauzl.Entry) => {
        const add = (data: Buffer) => {
          entries.set(entry.fileName, {
            compressionMethod: entry.compressionMethod,
            data,
            mode: entry.externalFileAttributes >>> 16,
            mtime: entry.getLastModDate({ timezone: 'UTC' }),
          });
          zip.readEntry();
        };
        if (entry.fileName.endsWith('/')) return add(Buffer.alloc(0));
        zip.openReadStream(entry, (streamErr, stream) => {
          if (streamErr) return reject(streamErr);
          collect(stream).then(add).catch(reject);
        });
      });
      zip.readEntry();
    });
  });
}

/** Reads a zip back into { name → file } (directories map to null). */
async function unzipFiles(buffer: Buffer): Promise<Map<string, UnzippedEntry | null>> {
  const entries = await unzipEntries(buffer);
  return new Map([...entries].map(([name, entry]) => [name, name.endsWith('/') ? null : entry]));
}

/** Reads the rest of a stream, for the tests where it must fail. */
async function drain(chunks: AsyncIterator<unknown>): Promise<void> {
  for (let next = await chunks.next(); !next.done; next = await chunks.next());
}

/** Reads a zip back into { name → content as UTF-8 } (directories map to null). */
async function unzip(buffer: Buffer): Promise<Map<string, string | null>> {
  const files = await unzipFiles(buffer);
  return new Map([...files].map(([name, file]) => [name, file ? file.data.toString('utf8') : null]));
}

const seed = (files: Record<string, string | Buffer>) => writeFiles(root, files);

const tree = {
  'manifest.json': '{"version":1}\n',
  'Home 393abc1eedcd81f5ae94ec2d55fe98ed.md': '# Home\n',
  'Home 393abc1eedcd81f5ae94ec2d55fe98ed/Child é 393abc1eedcd81e297eafad78f8ecc3a.md': '# Child é\n'.repeat(1000),
  'Home 393abc1eedcd81f5ae94ec2d55fe98ed/deep/deeper/data.json': JSON.stringify({ a: [1, 2, 3] }),
  'empty.txt': '',
};

describe('createZipStream', () => {
  it('streams a folder with nested files that unzip to the same contents', async () => {
    await seed({ ...tree, 'Home 393abc1eedcd81f5ae94ec2d55fe98ed/.Child.md.0123456789ab.tmp': 'half a file' });
    const zip = await collect(createZipStream(root));
    expect(zip.subarray(0, 2).toString()).toBe('PK');
    const entries = await unzip(zip);
    const files = new Map([...entries].filter(([, content]) => content !== null));
    expect(Object.fromEntries(files)).toEqual(tree);
  });

  it('can store without compression', async () => {
    await seed({ 'a.txt': 'a'.repeat(10_000) });
    const stored = await collect(createZipStream(root, { level: 0 }));
    const compressed = await collect(createZipStream(root, { level: 9 }));
    expect(stored.length).toBeGreaterThan(10_000);
    expect(compressed.length).toBeLessThan(1000);
    expect((await unzip(stored)).get('a.txt')).toBe('a'.repeat(10_000));
  });

  it('stores attachments that are compressed already and deflates text', async () => {
    const media = {
      'attachments/0123456789abcdef/photo.png': randomBytes(50_000),
      'attachments/0123456789abcdef/Holiday.JPG': randomBytes(20_000),
      'attachments/fedcba9876543210/clip.mp4': randomBytes(70_000),
      'attachments/fedcba9876543210/movie.MOV': randomBytes(700_000), // streamed, not read whole
      'attachments/fedcba9876543210/report.pdf': randomBytes(10_000),
      'attachments/fedcba9876543210/archive.zip': randomBytes(5_000),
    };
    const text = {
      'Home 393abc1eedcd81f5ae94ec2d55fe98ed.md': '# Home\n\nSome text that repeats. '.repeat(500),
      'Home 393abc1eedcd81f5ae94ec2d55fe98ed.html': '<p>Some text that repeats.</p>\n'.repeat(500),
      'Home 393abc1eedcd81f5ae94ec2d55fe98ed.json': JSON.stringify(Array.from({ length: 500 }, (_, i) => ({ id: i, type: 'paragraph' }))),
      'rows.csv': 'id,name\n'.repeat(500),
      'Big page 393abc1eedcd81f5ae94ec2d55fe98ed.md': '# Big\n\nA long page, streamed rather than read whole. '.repeat(20_000),
    };
    await seed({ ...media, ...text });
    const files = await unzipFiles(await collect(createZipStream(root)));
    for (const [name, data] of Object.entries(media)) {
      const file = files.get(name);
      expect(file?.compressionMethod, name).toBe(0);
      expect(file?.data.equals(data), name).toBe(true); // not toEqual: it compares large buffers byte by byte, slowly
    }
    for (const [name, content] of Object.entries(text)) {
      const file = files.get(name);
      expect(file?.compressionMethod, name).toBe(8);
      expect(file?.data.toString('utf8')).toBe(content);
      expect(file?.data.length).toBe(Buffer.byteLength(content));
    }
  });

  it('writes ZIP64 records when asked, and they unzip to the same files', async () => {
    // Past 4 GB or 65,535 entries yazl switches to ZIP64 by itself; forcing it is the cheap way to read its records back.
    const files = { 'a.md': '# A\n'.repeat(100_000), 'b.png': Buffer.alloc(300_000, 7), 'c/d.json': '{}' };
    await seed(files);
    const zip = await collect(createZipStream(root, { forceZip64: true }));
    const unzipped = await unzipFiles(zip);
    for (const [name, content] of Object.entries(files)) {
      expect(unzipped.get(name)?.data.equals(Buffer.from(content)), name).toBe(true);
    }
    const ZIP64_END_LOCATOR = Buffer.from([0x50, 0x4b, 0x06, 0x07]);
    expect(zip.includes(ZIP64_END_LOCATOR)).toBe(true);
    expect((await collect(createZipStream(root))).includes(ZIP64_END_LOCATOR)).toBe(false);
  });

  it('leaves out symbolic links, to files and folders outside the folder and inside it, never following them', async () => {
    const outside = await mkdtemp(path.join(tmpdir(), 'zip-outside-'));
    try {
      const secret = `outside-the-export-${randomBytes(8).toString('hex')}`;
      await writeFile(path.join(outside, 'secret.md'), secret);
      await mkdir(path.join(outside, 'folder'));
      await writeFile(path.join(outside, 'folder', 'inner.md'), secret);
      await seed({ 'pages/page.md': '# Page\n', 'pages/sub/child.md': '# Child\n' });
      await symlink(path.join(outside, 'secret.md'), path.join(root, 'pages', 'to-outside-file.md'));
      await symlink(path.join(outside, 'folder'), path.join(root, 'pages', 'to-outside-folder'));
      await symlink('../../outside', path.join(root, 'pages', 'relative-up'));
      await symlink(path.join(root, 'pages', 'page.md'), path.join(root, 'to-inside-file.md'));
      await symlink('pages/sub', path.join(root, 'to-inside-folder'));
      await symlink(path.join(root, 'missing'), path.join(root, 'dangling'));
      await symlink(root, path.join(root, 'pages', 'loop'));
      const zip = await collect(createZipStream(root, { level: 0 })); // stored: its bytes are the files' bytes
      expect(zip.includes(secret)).toBe(false);
      const entries = await unzipEntries(zip);
      expect([...entries.keys()]).toEqual(['pages/', 'pages/page.md', 'pages/sub/', 'pages/sub/child.md']);
    } finally {
      await rm(outside, { recursive: true, force: true });
    }
  });

  it('zips only the files it is given, and the folders on their way', async () => {
    await seed({ 'report.json': '{}', 'a/one.md': '1', 'a/b/two.md': '2', 'a/other.md': 'x', 'notes/private.txt': 'x', '.env': 'x' });
    const entries = await unzipEntries(await collect(createZipStream(root, { only: new Set(['report.json', 'a/b/two.md', 'a/one.md', 'gone.md']) })));
    expect([...entries.keys()]).toEqual(['a/', 'a/b/', 'a/b/two.md', 'a/one.md', 'report.json']);
  });

  it('refuses a link in place of the folder itself', async () => {
    await seed({ 'real/page.md': '# Page\n' });
    await symlink(path.join(root, 'real'), path.join(root, 'link'));
    expect(() => createZipStream(path.join(root, 'link'))).toThrow(/export folder does not exist/);
    expect(() => zipToWebStream(path.join(root, 'link'))).toThrow(/export folder does not exist/);
  });

  it('keeps folders (empty ones too), sorted order, modes and modification times', async () => {
    await seed({ 'b/two.md': '2', 'a/one.md': '1', 'run.sh': '#!/bin/sh\n', 'c.md': 'c' });
    await mkdir(path.join(root, 'empty'));
    await chmod(path.join(root, 'run.sh'), 0o755);
    await chmod(path.join(root, 'c.md'), 0o600);
    const mtime = new Date('2024-05-06T07:08:09Z');
    await utimes(path.join(root, 'a', 'one.md'), mtime, mtime);
    const entries = await unzipEntries(await collect(createZipStream(root)));
    expect([...entries.keys()]).toEqual(['a/', 'a/one.md', 'b/', 'b/two.md', 'c.md', 'empty/', 'run.sh']);
    expect(entries.get('empty/')!.mode & 0o170000).toBe(0o040000);
    expect(entries.get('run.sh')!.mode).toBe(0o100755);
    expect(entries.get('c.md')!.mode).toBe(0o100600);
    expect(entries.get('a/one.md')!.mtime.toISOString()).toBe(mtime.toISOString());
  });

  it('zips hundreds of small files between large ones, every byte in place', async () => {
    // More files than are ever handed to yazl at once, small (buffers) and large (streams) mixed.
    const files: Record<string, Buffer> = {};
    for (let i = 0; i < 400; i++) {
      const name = `pages/${String(i).padStart(4, '0')}`;
      files[`${name}.md`] = Buffer.from(`# Page ${i}\n\n${'Some text. '.repeat(i % 50)}`);
      if (i % 100 === 0) files[`${name}.png`] = randomBytes(300_000 + i);
    }
    await seed(files);
    const unzipped = await unzipFiles(await collect(createZipStream(root)));
    expect(unzipped.size).toBe(Object.keys(files).length + 1); // + pages/
    for (const [name, data] of Object.entries(files)) {
      const file = unzipped.get(name);
      expect(file?.compressionMethod, name).toBe(name.endsWith('.png') ? 0 : data.length === 0 ? 0 : 8);
      expect(file?.data.equals(data), name).toBe(true);
    }
  });

  it('decides storing by extension, whatever its case', () => {
    expect(isStoredInZip('attachments/ab/IMG_0001.HEIC')).toBe(true);
    expect(isStoredInZip('a.tar.gz')).toBe(true);
    expect(isStoredInZip('Notes.md')).toBe(false);
    expect(isStoredInZip('png')).toBe(false);
    expect(isStoredInZip('attachments/ab/no-extension')).toBe(false);
    for (const ext of STORED_EXTENSIONS) expect(ext).toMatch(/^\.[a-z0-9]+$/);
  });

  it('refuses a folder that does not exist', async () => {
    expect(() => createZipStream(path.join(root, 'missing'))).toThrow(/export folder does not exist/);
    await writeFile(path.join(root, 'file'), '');
    expect(() => zipToWebStream(path.join(root, 'file'))).toThrow(/export folder does not exist/);
  });

  it('fails the stream when a file vanishes before its turn', async () => {
    const files = Object.fromEntries(Array.from({ length: 400 }, (_, i) => [`a/${String(i).padStart(3, '0')}.png`, randomBytes(64 * 1024)]));
    await seed(files);
    const chunks = createZipStream(root)[Symbol.asyncIterator]();
    await chunks.next(); // the zip has started; backpressure keeps it far from the end of a/
    await rm(path.join(root, 'a', '399.png'));
    await expect(drain(chunks)).rejects.toThrow(/ENOENT.*399\.png/);
  });

  it('fails the stream when a large file vanishes before its turn', async () => {
    await seed(Object.fromEntries(Array.from({ length: 20 }, (_, i) => [`a/${String(i).padStart(2, '0')}.mp4`, randomBytes(300_000)])));
    const chunks = createZipStream(root)[Symbol.asyncIterator]();
    await chunks.next();
    await rm(path.join(root, 'a', '19.mp4'));
    await expect(drain(chunks)).rejects.toThrow(/ENOENT.*19\.mp4/);
  });

  it('fails the stream when a large file changes size after it was looked at', async () => {
    await seed(Object.fromEntries(Array.from({ length: 20 }, (_, i) => [`a/${String(i).padStart(2, '0')}.mp4`, randomBytes(300_000)])));
    const chunks = createZipStream(root)[Symbol.asyncIterator]();
    await chunks.next(); // 00 is being sent; 01 was stat'ed with the rest of the read-ahead, its turn is to come
    await appendFile(path.join(root, 'a', '01.mp4'), 'more');
    await expect(drain(chunks)).rejects.toThrow(/unexpected number of bytes/);
  });

  it('stops reading the folder when its reader goes away', async () => {
    await seed(Object.fromEntries(Array.from({ length: 50 }, (_, i) => [`a/${i}.mp4`, randomBytes(512 * 1024)])));
    const stream = createZipStream(root);
    const chunks = stream[Symbol.asyncIterator]();
    await chunks.next();
    await chunks.return?.(); // like a cancelled download
    expect(stream.destroyed).toBe(true);
  });
});

describe('planZip', () => {
  it('knows the exact length of an export of mostly stored files, and stores it whole', async () => {
    // Small files (given whole to yazl, no data descriptor), large ones (streamed, with one), empty
    // ones, folders, a file inside a link-free subtree, and a few KB of text that is stored too.
    await seed({
      'a.png': randomBytes(3_000),
      'b/c.jpg': randomBytes(300_000),
      'b/d/e.pdf': randomBytes(700_000),
      'empty.txt': '',
      'Page é 393abc1eedcd81f5ae94ec2d55fe98ed.md': '# Page é\n'.repeat(200),
    });
    await mkdir(path.join(root, 'empty-folder'));
    const plan = await planZip(root);
    expect(plan.level).toBe(0);
    const zip = await collect(createZipStream(root, { level: plan.level, expectedSize: plan.size ?? undefined }));
    expect(zip.length).toBe(plan.size);
    const files = await unzipFiles(zip);
    expect([...files.keys()].sort()).toEqual(
      ['Page é 393abc1eedcd81f5ae94ec2d55fe98ed.md', 'a.png', 'b/', 'b/c.jpg', 'b/d/', 'b/d/e.pdf', 'empty-folder/', 'empty.txt'].sort(),
    );
    for (const file of files.values()) if (file) expect(file.compressionMethod).toBe(0);
  });

  it('knows the length of a ZIP64 zip and of only some files', async () => {
    await seed({ 'a.png': randomBytes(1_000), 'b.mp4': randomBytes(400_000), 'secret.key': 'k', 'c/d.png': randomBytes(10) });
    const only = new Set(['a.png', 'b.mp4', 'c/d.png']);
    const plan = await planZip(root, { only, forceZip64: true });
    const zip = await collect(createZipStream(root, { only, forceZip64: true, level: plan.level }));
    expect(zip.length).toBe(plan.size);
    expect([...(await unzipFiles(zip)).keys()]).not.toContain('secret.key');
  });

  it('deflates an export of mostly text, whose length is then unknown, and stores it whole when asked for level 0', async () => {
    await seed({ 'a.md': '# A\n'.repeat(STORE_WHOLE_MAX_BYTES / 2), 'b.png': randomBytes(1_000) });
    expect(await planZip(root)).toEqual({ level: 1, size: null });
    expect(await planZip(root, { level: 6 })).toEqual({ level: 6, size: null });
    const stored = await planZip(root, { level: 0 });
    expect(stored.level).toBe(0);
    expect((await collect(createZipStream(root, { level: 0 }))).length).toBe(stored.size);
  });

  it('fails the zip at its end when it does not come to the length announced', async () => {
    await seed({ 'a.png': randomBytes(1_000) });
    const plan = await planZip(root);
    await writeFile(path.join(root, 'a.png'), randomBytes(1_001)); // changed after the plan
    await expect(collect(createZipStream(root, { level: 0, expectedSize: plan.size ?? 0 }))).rejects.toThrow(/not the \d+ announced/);
  });

  it('refuses a folder that does not exist', async () => {
    await expect(planZip(path.join(root, 'missing'))).rejects.toThrow(/does not exist/);
  });
});

describe('zipToWebStream', () => {
  it('gives a web ReadableStream usable as a Response body', async () => {
    await seed(tree);
    const response = new Response(zipToWebStream(root));
    const entries = await unzip(Buffer.from(await response.arrayBuffer()));
    expect(entries.get('Home 393abc1eedcd81f5ae94ec2d55fe98ed.md')).toBe('# Home\n');
  });

  it('can be cancelled half-way, like a download the browser gives up, and closes its files', async () => {
    await seed(Object.fromEntries(Array.from({ length: 5 }, (_, i) => [`a/${i}.mp4`, Buffer.alloc(4 * 1024 * 1024, i)])));
    const openFiles = () => readdirSync('/proc/self/fd').length;
    const before = openFiles();
    const reader = zipToWebStream(root).getReader();
    expect((await reader.read()).done).toBe(false);
    expect(openFiles()).toBeGreaterThan(before); // a.0.mp4 is being read
    await reader.cancel();
    expect((await reader.read()).done).toBe(true);
    await expect.poll(openFiles).toBe(before);
  });
});

describe('nativeCrc32ForYazl', () => {
  it("gives yazl's checksum module the same CRC-32, native, for whole buffers and continued ones", () => {
    const fromProject = createRequire(path.join(process.cwd(), 'package.json'));
    const fromYazl = createRequire(fromProject.resolve('yazl'));
    const id = fromYazl.resolve('buffer-crc32');
    type Crc = { unsigned: (buf: unknown, previous?: unknown) => number };
    // A pristine copy of the JavaScript implementation, next to the instance yazl uses.
    const shared = fromYazl.cache[id];
    delete fromYazl.cache[id];
    const javascript = (fromYazl('buffer-crc32') as Crc).unsigned;
    if (shared) fromYazl.cache[id] = shared;
    expect(nativeCrc32ForYazl()).toBe(true);
    expect(nativeCrc32ForYazl()).toBe(true); // once is enough
    const crc = fromYazl('buffer-crc32') as Crc;
    expect(crc.unsigned).not.toBe(javascript);
    const data = randomBytes(100_000);
    expect(crc.unsigned(Buffer.from('123456789'))).toBe(0xcbf43926); // the CRC-32 check value
    expect(crc.unsigned(data)).toBe(javascript(data));
    expect(crc.unsigned(data.subarray(40_000), crc.unsigned(data.subarray(0, 40_000)))).toBe(javascript(data));
    expect(crc.unsigned('text', undefined)).toBe(javascript('text')); // anything else: the original
  });
});

describe("yazl with the project's patch (patches/yazl+3.3.1.patch)", () => {
  it('is what is installed: entries are found from a cursor, and let go of their data once written', async () => {
    assertYazlPatched();
    const { ZipFile } = await import('yazl');
    const zip = new ZipFile() as InstanceType<typeof ZipFile> & { entries: { doFileDataPump: unknown }[]; firstNotDoneEntryIndex: number };
    expect(zip.firstNotDoneEntryIndex).toBe(0);
    const data = ['a', 'b', 'c'].map((name) => Buffer.from(name.repeat(10_000)));
    for (const [i, buffer] of data.entries()) zip.addBuffer(buffer, `${i}.txt`, { compressionLevel: i === 1 ? 0 : 6 });
    zip.end();
    const zipped = await collect(zip.outputStream as Readable);
    expect(zip.firstNotDoneEntryIndex).toBe(3); // the scan resumes here instead of at 0 (thejoshwolfe/yazl#91)
    expect(zip.entries.map((entry) => entry.doFileDataPump)).toEqual([null, null, null]); // nothing holds the data any more
    const files = await unzip(zipped);
    expect([...files.values()]).toEqual(data.map(String));
  });
});
