import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { linkFiles, removeFiles } from './link-tree';

let dir: string;
let from: string;
let to: string;
beforeEach(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'link-tree-'));
  from = path.join(dir, 'from');
  to = path.join(dir, 'to');
  fs.mkdirSync(path.join(from, 'a', 'b'), { recursive: true });
  fs.writeFileSync(path.join(from, 'top.md'), 'top');
  fs.writeFileSync(path.join(from, 'a', 'b', 'deep.md'), 'deep');
});
afterEach(() => {
  fs.rmSync(dir, { recursive: true, force: true });
});

describe('linkFiles', () => {
  it('hard-links each file into the new tree (one inode, two names), folders made on the way', async () => {
    const result = await linkFiles(from, to, ['top.md', 'a/b/deep.md']);
    expect(result).toEqual({ linked: 2, copied: 0, skipped: 0 });
    const a = fs.statSync(path.join(from, 'a', 'b', 'deep.md'));
    const b = fs.statSync(path.join(to, 'a', 'b', 'deep.md'));
    expect(b.ino).toBe(a.ino);
    expect(b.nlink).toBe(2);
  });

  it('is idempotent: files already there (a resumed sync) and files gone from the source are skipped', async () => {
    fs.mkdirSync(to);
    fs.writeFileSync(path.join(to, 'top.md'), 'newer');
    const result = await linkFiles(from, to, ['top.md', 'a/b/deep.md', 'missing.md']);
    expect(result).toEqual({ linked: 1, copied: 0, skipped: 2 });
    expect(fs.readFileSync(path.join(to, 'top.md'), 'utf8')).toBe('newer');
  });

  it('copies where a link cannot be made (another file system), and from then on', async () => {
    let tried = 0;
    const link = async () => {
      tried++;
      throw Object.assign(new Error('cross-device link not permitted'), { code: 'EXDEV' });
    };
    const result = await linkFiles(from, to, ['top.md', 'a/b/deep.md'], { link, concurrency: 1 });
    expect(result).toEqual({ linked: 0, copied: 2, skipped: 0 });
    expect(tried).toBe(1);
    expect(fs.readFileSync(path.join(to, 'a', 'b', 'deep.md'), 'utf8')).toBe('deep');
    expect(fs.statSync(path.join(to, 'top.md')).ino).not.toBe(fs.statSync(path.join(from, 'top.md')).ino);
  });

  it('passes on other errors', async () => {
    const link = async () => {
      throw Object.assign(new Error('no space'), { code: 'ENOSPC' });
    };
    await expect(linkFiles(from, to, ['top.md'], { link })).rejects.toThrow('no space');
  });

  it('refuses paths that could leave the tree', async () => {
    await expect(linkFiles(from, to, ['../outside.md'])).rejects.toThrow(/Not a relative export path/);
  });
});

describe('removeFiles', () => {
  it('removes the files and the folders they leave empty, never the root; missing files are skipped', async () => {
    fs.mkdirSync(path.join(from, 'a', 'keep'), { recursive: true });
    fs.writeFileSync(path.join(from, 'a', 'keep', 'k.md'), 'k');
    let first = 0;
    const removed = await removeFiles(from, ['a/b/deep.md', 'gone.md', 'top.md'], () => first++);
    expect(removed).toBe(2);
    expect(first).toBe(1);
    expect(fs.existsSync(path.join(from, 'a', 'b'))).toBe(false);
    expect(fs.existsSync(path.join(from, 'a', 'keep', 'k.md'))).toBe(true);
    expect(fs.readdirSync(from)).toEqual(['a']);
    expect(await removeFiles(from, ['a/keep/k.md'])).toBe(1);
    expect(fs.existsSync(from)).toBe(true);
    expect(fs.readdirSync(from)).toEqual([]);
  });
});
