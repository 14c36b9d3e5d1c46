import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { readdir, readFile, stat } from 'node:fs/promises';
import path from 'node:path';
import { pipeline } from 'node:stream/promises';
import { z } from 'zod';
import type { AtomicWriteResult } from './atomic-write';
import { fromPosixRelative, toPosixRelative } from './layout';
import { StreamedFile } from './streamed-file';
import type { WrittenFile } from '@/server/export/domain/export';

export const MANIFEST_FILE = 'manifest.json';

const ManifestEntry = z.object({
  path: z.string().min(1),
  bytes: z.number().int().nonnegative(),
  sha256: z.string().regex(/^[0-9a-f]{64}$/),
  sourceId: z.string(),
});

export const Manifest = z.object({
  version: z.literal(1),
  exportId: z.string(),
  createdAt: z.string(),
  files: z.array(ManifestEntry),
});
export type Manifest = z.infer<typeof Manifest>;

export interface ManifestCheck {
  /** Listed but not on disk. */
  missing: string[];
  /** On disk with another size or sha256. */
  changed: string[];
  /** On disk but not listed (manifest.json itself excluded). */
  extra: string[];
}

/**
 * An entry as `JSON.stringify(manifest, null, 2)` lays it out inside `files`, written directly
 * (no entry object, no re-indented copy: the manifest of 10,000 files makes little garbage).
 */
function entryText(file: WrittenFile): string {
  const field = (name: string, value: string | number) => `      "${name}": ${JSON.stringify(value)}`;
  return `    {\n${field('path', file.path)},\n${field('bytes', file.bytes)},\n${field('sha256', file.sha256)},\n${field('sourceId', file.sourceId)}\n    }`;
}

/**
 * Writes `manifest.json` at the export root (atomically; write it last) without holding the file
 * list in memory: `files` comes in pages, sorted by path (in UTF-8 byte order, as SQLite sorts),
 * each path once; the text is the same as `JSON.stringify(manifest, null, 2)`. Throws on paths
 * out of order or that could point outside the export (nothing is written then).
 */
export async function writeManifest(
  root: string,
  header: { exportId: string; createdAt: string },
  files: AsyncIterable<readonly WrittenFile[]> | Iterable<readonly WrittenFile[]>,
  options: { beforeRename?: () => Promise<void> } = {},
): Promise<AtomicWriteResult & { files: number; fileBytes: number }> {
  const out = new StreamedFile(path.join(root, MANIFEST_FILE));
  const head = JSON.stringify({ version: 1, exportId: header.exportId, createdAt: header.createdAt }, null, 2).slice(0, -2);
  let count = 0;
  let fileBytes = 0;
  let previous: Buffer | undefined;
  try {
    await out.write(`${head},\n  "files": [`);
    for await (const page of files) {
      const chunk: string[] = [];
      for (const file of page) {
        fromPosixRelative('/', file.path); // validates: relative, forward slashes, no '..'
        if (file.path === MANIFEST_FILE) throw new Error(`${MANIFEST_FILE} cannot list itself`);
        const key = Buffer.from(file.path, 'utf8');
        if (previous && Buffer.compare(previous, key) >= 0) throw new Error(`Manifest entries out of order: ${file.path} after ${previous.toString('utf8')}`);
        previous = key;
        chunk.push(`${count === 0 ? '' : ','}\n${entryText(file)}`);
        count++;
        fileBytes += file.bytes;
      }
      if (chunk.length > 0) await out.write(chunk.join(''));
    }
    await out.write(count === 0 ? ']\n}\n' : '\n  ]\n}\n');
    const written = await out.finish(options.beforeRename);
    return { ...written, files: count, fileBytes };
  } catch (error) {
    await out.abort();
    throw error;
  }
}

export async function readManifest(root: string): Promise<Manifest> {
  const text = await readFile(path.join(root, MANIFEST_FILE), 'utf8');
  return Manifest.parse(JSON.parse(text));
}

/** sha256 of a file, streamed (never the whole file in memory). */
export async function hashFile(absPath: string): Promise<string> {
  const hash = createHash('sha256');
  await pipeline(createReadStream(absPath), hash);
  return hash.digest('hex');
}

async function listFiles(root: string, dir: string = root, out: string[] = []): Promise<string[]> {
  for (const entry of await readdir(dir, { withFileTypes: true })) {
    const abs = path.join(dir, entry.name);
    if (entry.isDirectory()) await listFiles(root, abs, out);
    else out.push(toPosixRelative(root, abs));
  }
  return out;
}

async function checkEntry(root: string, entry: Manifest['files'][number]): Promise<'ok' | 'missing' | 'changed'> {
  const abs = fromPosixRelative(root, entry.path);
  try {
    const info = await stat(abs);
    if (!info.isFile()) return 'changed';
    if (info.size !== entry.bytes) return 'changed';
    return (await hashFile(abs)) === entry.sha256 ? 'ok' : 'changed';
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'ENOENT' || code === 'ENOTDIR') return 'missing';
    throw err;
  }
}

/**
 * Compares the folder with its manifest: re-reads every listed file and recomputes its sha256
 * (a few at a time), and lists files the manifest does not know. All lists are sorted.
 */
export async function verifyManifest(root: string, options: { concurrency?: number } = {}): Promise<ManifestCheck> {
  const manifest = await readManifest(root);
  const result: ManifestCheck = { missing: [], changed: [], extra: [] };
  const queue = [...manifest.files];
  const worker = async () => {
    for (let entry = queue.shift(); entry; entry = queue.shift()) {
      const outcome = await checkEntry(root, entry);
      if (outcome !== 'ok') result[outcome].push(entry.path);
    }
  };
  await Promise.all(Array.from({ length: Math.max(1, options.concurrency ?? 4) }, worker));

  const listed = new Set(manifest.files.map((f) => f.path));
  result.extra = (await listFiles(root)).filter((p) => p !== MANIFEST_FILE && !listed.has(p));
  result.missing.sort();
  result.changed.sort();
  result.extra.sort();
  return result;
}
