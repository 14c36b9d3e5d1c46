import { createHash } from 'node:crypto';
import { mkdir, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { writeFileAtomic } from './atomic-write';
import { hashFile, MANIFEST_FILE, readManifest, verifyManifest, writeManifest } from './manifest';
import type { WrittenFile } from '@/server/export/domain/export';

const sha = (data: string) => createHash('sha256').update(data).digest('hex');

let root: string;

beforeEach(async () => {
  root = await mkdtemp(path.join(tmpdir(), 'manifest-'));
});

afterEach(async () => {
  await rm(root, { recursive: true, force: true });
});

async function put(rel: string, data: string, sourceId = 'src'): Promise<WrittenFile> {
  const { bytes, sha256 } = await writeFileAtomic(path.join(root, ...rel.split('/')), data);
  return { path: rel, bytes, sha256, sourceId };
}

const sorted = (files: WrittenFile[]) => [...files].sort((x, y) => Buffer.compare(Buffer.from(x.path), Buffer.from(y.path)));

describe('writeManifest', () => {
  it('streams pages of entries into the same text as JSON.stringify(manifest, null, 2)', async () => {
    const files = sorted([
      { path: 'b/z.md', bytes: 1, sha256: sha('z'), sourceId: 'p2' },
      { path: 'a.md', bytes: 2, sha256: sha('a'), sourceId: 'p1' },
      { path: 'B.md', bytes: 4, sha256: sha('B'), sourceId: 'p3' },
      { path: 'é.md', bytes: 5, sha256: sha('e'), sourceId: 'p4' },
      { path: '😀.md', bytes: 6, sha256: sha('s'), sourceId: 'p5' },
      { path: '\uffff.md', bytes: 7, sha256: sha('f'), sourceId: 'p6' },
      // Characters JSON escapes, in a path and a source id.
      { path: 'q"u\u2028o\tte\u0001.md', bytes: 8, sha256: sha('q'), sourceId: 'p"7\\' },
    ]);
    const extra = { ...files[0]!, exportId: 'ignored' } as WrittenFile;
    async function* pages() {
      yield [extra, files[1]!];
      yield [];
      yield files.slice(2);
    }
    const result = await writeManifest(root, { exportId: 'exp-1', createdAt: '2026-01-01T00:00:00.000Z' }, pages());
    const text = await readFile(path.join(root, MANIFEST_FILE), 'utf8');
    const manifest = { version: 1, exportId: 'exp-1', createdAt: '2026-01-01T00:00:00.000Z', files };
    expect(text).toBe(`${JSON.stringify(manifest, null, 2)}\n`);
    expect(result).toEqual({ bytes: Buffer.byteLength(text), sha256: sha(text), files: 7, fileBytes: 33 });
  });

  it('writes an empty list the way JSON.stringify does', async () => {
    await writeManifest(root, { exportId: 'e', createdAt: 'now' }, []);
    const text = await readFile(path.join(root, MANIFEST_FILE), 'utf8');
    expect(text).toBe(`${JSON.stringify({ version: 1, exportId: 'e', createdAt: 'now', files: [] }, null, 2)}\n`);
  });

  it('refuses paths that leave the export, the manifest itself, duplicates and disorder, and writes nothing then', async () => {
    const entry = { bytes: 0, sha256: sha(''), sourceId: 'x' };
    for (const bad of ['../x.md', '/abs.md', 'a\\b.md', '']) {
      await expect(writeManifest(root, { exportId: 'e', createdAt: 'now' }, [[{ ...entry, path: bad }]])).rejects.toThrow();
    }
    await expect(writeManifest(root, { exportId: 'e', createdAt: 'now' }, [[{ ...entry, path: MANIFEST_FILE }]])).rejects.toThrow(/cannot list itself/);
    await expect(writeManifest(root, { exportId: 'e', createdAt: 'now' }, [[{ ...entry, path: 'b.md' }], [{ ...entry, path: 'a.md' }]])).rejects.toThrow(/out of order: a.md after b.md/);
    await expect(writeManifest(root, { exportId: 'e', createdAt: 'now' }, [[{ ...entry, path: 'a.md' }, { ...entry, path: 'a.md' }]])).rejects.toThrow(/out of order/);
    expect(await readdir(root)).toEqual([]);
  });
});

describe('writeManifest / verifyManifest', () => {
  it('writes manifest.json atomically and a clean export verifies', async () => {
    const files = [
      await put('Home 393abc1eedcd81f5ae94ec2d55fe98ed.md', '# Home\n', 'home'),
      await put('Home 393abc1eedcd81f5ae94ec2d55fe98ed/Child é.md', '# Child\n', 'child'),
      await put('empty.json', '', 'e'),
    ];
    const manifest = { version: 1, exportId: 'exp', createdAt: '2026-01-01T00:00:00Z', files: sorted(files) };
    const written = await writeManifest(root, manifest, [manifest.files]);
    const text = await readFile(path.join(root, MANIFEST_FILE), 'utf8');
    expect(written).toMatchObject({ bytes: Buffer.byteLength(text), sha256: sha(text), files: 3 });
    expect(text.endsWith('}\n')).toBe(true);
    expect(JSON.parse(text)).toEqual(manifest);
    expect(await readManifest(root)).toEqual(manifest);
    expect(await verifyManifest(root)).toEqual({ missing: [], changed: [], extra: [] });
  });

  it('finds missing, changed and extra files', async () => {
    const files = [
      await put('a.md', 'alpha'),
      await put('dir/b.md', 'bravo'),
      await put('dir/c.md', 'charlie'),
      await put('d.md', 'delta'),
      await put('e.md', 'echo'),
    ];
    await writeManifest(root, { exportId: 'exp', createdAt: 'now' }, [sorted(files)]);
    await rm(path.join(root, 'a.md'));
    await writeFile(path.join(root, 'dir', 'b.md'), 'BRAVO'); // same size, other content
    await writeFile(path.join(root, 'dir', 'c.md'), 'charlie!'); // other size
    await rm(path.join(root, 'e.md'));
    await mkdir(path.join(root, 'e.md')); // a folder where a file should be
    await mkdir(path.join(root, 'new', 'deep'), { recursive: true });
    await writeFile(path.join(root, 'new', 'deep', 'x.md'), 'x');
    await writeFile(path.join(root, 'z.md'), 'z');
    expect(await verifyManifest(root, { concurrency: 2 })).toEqual({
      missing: ['a.md'],
      changed: ['dir/b.md', 'dir/c.md', 'e.md'],
      extra: ['new/deep/x.md', 'z.md'],
    });
  });

  it('rejects a manifest that is not one of ours', async () => {
    await writeFile(path.join(root, MANIFEST_FILE), JSON.stringify({ version: 2, files: [] }));
    await expect(verifyManifest(root)).rejects.toThrow();
    await rm(path.join(root, MANIFEST_FILE));
    await expect(verifyManifest(root)).rejects.toMatchObject({ code: 'ENOENT' });
  });

  it('propagates unexpected file system errors', async () => {
    const file = await put('a.md', 'alpha');
    await writeManifest(root, { exportId: 'e', createdAt: 'now' }, [[file]]);
    const long = { ...file, path: `${'x'.repeat(300)}.md` };
    await writeFile(
      path.join(root, MANIFEST_FILE),
      JSON.stringify({ version: 1, exportId: 'e', createdAt: 'now', files: [long] }),
    );
    await expect(verifyManifest(root)).rejects.toMatchObject({ code: 'ENAMETOOLONG' });
  });

  it('hashFile streams a file’s sha256', async () => {
    const big = 'x'.repeat(3 * 1024 * 1024);
    await writeFile(path.join(root, 'big.bin'), big);
    expect(await hashFile(path.join(root, 'big.bin'))).toBe(sha(big));
  });
});
