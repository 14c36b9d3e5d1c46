import { createHash } from 'node:crypto';
import * as fs from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { sweepTempFiles, TEMP_FILE_PATTERN, writeFileAtomic } from './atomic-write';

vi.mock('node:fs/promises', async (importOriginal) => {
  const actual = await importOriginal<typeof import('node:fs/promises')>();
  return { ...actual, open: vi.fn(actual.open), rename: vi.fn(actual.rename) };
});

const actual = await vi.importActual<typeof import('node:fs/promises')>('node:fs/promises');
const sha = (data: string | Uint8Array) => createHash('sha256').update(data).digest('hex');
const errno = (code: string) => Object.assign(new Error(`${code}: simulated`), { code });

let root: string;

beforeEach(async () => {
  root = await actual.mkdtemp(path.join(tmpdir(), 'atomic-write-'));
});

afterEach(async () => {
  vi.mocked(fs.open).mockImplementation(actual.open);
  vi.mocked(fs.rename).mockImplementation(actual.rename);
  await actual.rm(root, { recursive: true, force: true });
});

describe('writeFileAtomic', () => {
  it('creates parent folders, writes the data and reports its size and sha256', async () => {
    const target = path.join(root, 'a', 'b c', 'Page é.md');
    const text = '# Hello\n\nWörld\n';
    const result = await writeFileAtomic(target, text);
    expect(result).toEqual({ bytes: Buffer.byteLength(text), sha256: sha(text) });
    expect(await actual.readFile(target, 'utf8')).toBe(text);
    expect(await actual.readdir(path.dirname(target))).toEqual(['Page é.md']);
  });

  it('replaces an existing file and accepts bytes', async () => {
    const target = path.join(root, 'data.bin');
    await writeFileAtomic(target, 'old contents');
    const bytes = new Uint8Array([0, 1, 2, 255]);
    expect(await writeFileAtomic(target, bytes)).toEqual({ bytes: 4, sha256: sha(bytes) });
    expect(new Uint8Array(await actual.readFile(target))).toEqual(bytes);
    expect(await actual.readdir(root)).toEqual(['data.bin']);
  });

  it('leaves no temp file and keeps the old file when the write fails (ENOSPC)', async () => {
    const target = path.join(root, 'page.md');
    await writeFileAtomic(target, 'previous');
    vi.mocked(fs.open).mockImplementationOnce(async (...args: Parameters<typeof actual.open>) => {
      const handle = await actual.open(...args);
      expect(path.basename(String(args[0]))).toMatch(TEMP_FILE_PATTERN);
      handle.writeFile = () => Promise.reject(errno('ENOSPC'));
      return handle;
    });
    const error = (await writeFileAtomic(target, 'next').catch((e: unknown) => e)) as NodeJS.ErrnoException;
    expect(error.code).toBe('ENOSPC');
    expect(error.message).toBe(`Cannot write ${target}: ENOSPC: simulated`);
    expect(await actual.readdir(root)).toEqual(['page.md']);
    expect(await actual.readFile(target, 'utf8')).toBe('previous');
  });

  it('removes the temp file when the rename fails', async () => {
    vi.mocked(fs.rename).mockRejectedValueOnce(errno('EXDEV'));
    const target = path.join(root, 'x.json');
    await expect(writeFileAtomic(target, '{}')).rejects.toMatchObject({ code: 'EXDEV' });
    expect(await actual.readdir(root)).toEqual([]);
  });

  it('names the path when the folder cannot be created', async () => {
    await actual.writeFile(path.join(root, 'file'), '');
    const target = path.join(root, 'file', 'child.md');
    const error = (await writeFileAtomic(target, 'x').catch((e: unknown) => e)) as NodeJS.ErrnoException;
    expect(['ENOTDIR', 'EEXIST']).toContain(error.code);
    expect(error.message).toContain(target);
  });

  it('ignores platforms that cannot fsync a folder, but not real I/O errors', async () => {
    const dirOpen = (code: string) => async (...args: Parameters<typeof actual.open>) => {
      if (args[1] === 'r') throw errno(code);
      return actual.open(...args);
    };
    vi.mocked(fs.open).mockImplementation(dirOpen('EPERM'));
    await expect(writeFileAtomic(path.join(root, 'ok.md'), 'ok')).resolves.toMatchObject({ bytes: 2 });
    vi.mocked(fs.open).mockImplementation(dirOpen('EISDIR'));
    await expect(writeFileAtomic(path.join(root, 'ok2.md'), 'ok')).resolves.toMatchObject({ bytes: 2 });
    vi.mocked(fs.open).mockImplementation(dirOpen('EIO'));
    await expect(writeFileAtomic(path.join(root, 'bad.md'), 'x')).rejects.toMatchObject({ code: 'EIO' });
  });

  it('passes through errors that already name the path, and non-Error failures', async () => {
    vi.mocked(fs.rename).mockRejectedValueOnce('plain failure');
    await expect(writeFileAtomic(path.join(root, 'y.md'), 'y')).rejects.toThrow(/^Cannot write .*y\.md: plain failure$/);
    const target = path.join(root, 'z.md');
    const named = Object.assign(new Error(`EACCES: permission denied, open '${target}'`), { code: 'EACCES' });
    vi.mocked(fs.rename).mockRejectedValueOnce(named);
    await expect(writeFileAtomic(target, 'z')).rejects.toBe(named);
  });
});

describe('sweepTempFiles', () => {
  it('removes temp files left anywhere in the tree, and nothing else', async () => {
    const root = await fs.mkdtemp(path.join(tmpdir(), 'sweep-'));
    await fs.mkdir(path.join(root, 'a', 'b'), { recursive: true });
    await fs.writeFile(path.join(root, 'keep.md'), 'x');
    await fs.writeFile(path.join(root, '.keep.md.0123456789ab.tmp'), 'x');
    await fs.writeFile(path.join(root, 'a', 'b', '.page.json.abcdefabcdef.tmp'), 'x');
    await fs.writeFile(path.join(root, 'a', 'b', 'page.json'), 'x');
    expect(await sweepTempFiles(root)).toBe(2);
    expect((await fs.readdir(root)).sort()).toEqual(['a', 'keep.md']);
    expect(await fs.readdir(path.join(root, 'a', 'b'))).toEqual(['page.json']);
    expect(await sweepTempFiles(path.join(root, 'missing'))).toBe(0);
    await fs.rm(root, { recursive: true });
  });
});
