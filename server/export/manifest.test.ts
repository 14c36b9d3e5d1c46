import { createHash } from 'node:crypto';
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { writeFileAtomic } from './atomic-write';
import { buildManifest, hashFile, MANIFEST_FILE, readManifest, verifyManifest, writeManifest } from './manifest';
import type { WrittenFile } from './types';

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

describe('buildManifest', () => {
  it('lists every file once, sorted by path, with only the manifest fields', () => {
    const files = [
      { path: 'b/z.md', bytes: 1, sha256: sha('z'), sourceId: 'p2', exportId: 'ignored' },
      { path: 'a.md', bytes: 2, sha256: sha('a'), sourceId: 'p1' },
      { path: 'b/z.md', bytes: 3, sha256: sha('z2'), sourceId: 'p2' },
      { path: 'B.md', bytes: 4, sha256: sha('B'), sourceId: 'p3' },
    ];
    const manifest = buildManifest({ exportId: 'exp-1', files, createdAt: '2026-01-01T00:00:00.000Z' });
    expect(manifest).toEqual({
      version: 1,
      exportId: 'exp-1',
      createdAt: '2026-01-01T00:00:00.000Z',
      files: [
        { path: 'B.md', bytes: 4, sha256: sha('B'), sourceId: 'p3' },
        { path: 'a.md', bytes: 2, sha256: sha('a'), sourceId: 'p1' },
        { path: 'b/z.md', bytes: 3, sha256: sha('z2'), sourceId: 'p2' },
      ],
    });
  });

  it('refuses paths that leave the export, and the manifest itself', () => {
    const entry = { bytes: 0, sha256: sha(''), sourceId: 'x' };
    for (const bad of ['../x.md', '/abs.md', 'a\\b.md', '']) {
      expect(() => buildManifest({ exportId: 'e', createdAt: 'now', files: [{ ...entry, path: bad }] })).toThrow();
    }
    expect(() => buildManifest({ exportId: 'e', createdAt: 'now', files: [{ ...entry, path: MANIFEST_FILE }] })).toThrow(
      /cannot list itself/,
    );
  });
});

describe('writeManifest / verifyManifest', () => {
  it('writes manifest.json atomically and a clean export verifies', async () => {
    const files = [
      await put('Home 393abc1eedcd81f5ae94ec2d55fe98ed.md', '# Home\n', 'home'),
      await put('Home 393abc1eedcd81f5ae94ec2d55fe98ed/Child é.md', '# Child\n', 'child'),
      await put('empty.json', '', 'e'),
    ];
    const manifest = buildManifest({ exportId: 'exp', files, createdAt: '2026-01-01T00:00:00Z' });
    const written = await writeManifest(root, manifest);
    const text = await readFile(path.join(root, MANIFEST_FILE), 'utf8');
    expect(written).toEqual({ bytes: Buffer.byteLength(text), sha256: sha(text) });
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
    await writeManifest(root, buildManifest({ exportId: 'exp', files, createdAt: 'now' }));
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
    await writeManifest(root, buildManifest({ exportId: 'e', files: [file], createdAt: 'now' }));
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
