import { copyFile, link, lstat, mkdir, readdir, rmdir, unlink } from 'node:fs/promises';
import path from 'node:path';
import { fromPosixRelative } from './layout';

/** Errors that say a hard link cannot be made here (another file system, no support, too many links): copy instead. */
const LINK_UNSUPPORTED = new Set(['EXDEV', 'EPERM', 'ENOTSUP', 'EOPNOTSUPP', 'EMLINK', 'EACCES', 'ENOSYS', 'EINVAL']);

export interface LinkResult {
  linked: number;
  copied: number;
  /** Already there (a resumed sync), or missing from the source. */
  skipped: number;
}

/**
 * Makes `files` (paths relative to the roots, forward slashes) of `fromRoot` appear in `toRoot`
 * as hard links: a snapshot shares every unchanged file with the one before, at no disk cost.
 * Where a link cannot be made (another file system, Windows without support) the file is copied.
 * Idempotent: a file already in `toRoot` is left as it is. A file written later replaces its link
 * by rename (atomic writes), so the older snapshot keeps its own.
 */
export async function linkFiles(
  fromRoot: string,
  toRoot: string,
  files: readonly string[],
  options: { concurrency?: number; link?: typeof link } = {},
): Promise<LinkResult> {
  const makeLink = options.link ?? link;
  const result: LinkResult = { linked: 0, copied: 0, skipped: 0 };
  const made = new Set<string>();
  let canLink = true;
  const queue = [...files];
  const one = async (relPath: string) => {
    const from = fromPosixRelative(fromRoot, relPath);
    const to = fromPosixRelative(toRoot, relPath);
    const dir = path.dirname(to);
    if (!made.has(dir)) {
      await mkdir(dir, { recursive: true });
      made.add(dir);
    }
    if (canLink) {
      try {
        await makeLink(from, to);
        result.linked++;
        return;
      } catch (error) {
        const code = (error as NodeJS.ErrnoException).code ?? '';
        if (code === 'EEXIST' || code === 'ENOENT') {
          result.skipped++;
          return;
        }
        if (!LINK_UNSUPPORTED.has(code)) throw error;
        canLink = false;
      }
    }
    try {
      await copyFile(from, to, 1 /* COPYFILE_EXCL */);
      result.copied++;
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code;
      if (code !== 'EEXIST' && code !== 'ENOENT') throw error;
      result.skipped++;
    }
  };
  const worker = async () => {
    for (let next = queue.shift(); next !== undefined; next = queue.shift()) await one(next);
  };
  await Promise.all(Array.from({ length: Math.max(1, options.concurrency ?? 8) }, worker));
  return result;
}

/**
 * Deletes `files` (relative paths) from `root`, then the folders they leave empty (up to, not
 * including, the root). Idempotent: files already gone are skipped. `afterFirst` runs once the
 * first file is gone (a failpoint in tests).
 */
export async function removeFiles(folder: string, files: readonly string[], afterFirst?: () => void): Promise<number> {
  const root = path.resolve(folder);
  let removed = 0;
  const dirs = new Set<string>();
  for (const relPath of files) {
    const abs = fromPosixRelative(root, relPath);
    try {
      await unlink(abs);
      removed++;
      if (removed === 1) afterFirst?.();
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
    }
    for (let dir = path.dirname(abs); dir.startsWith(root + path.sep); dir = path.dirname(dir)) dirs.add(dir);
  }
  // Deepest first, so a folder emptied by removing its empty subfolders goes too.
  for (const dir of [...dirs].sort((a, b) => b.length - a.length)) {
    const info = await lstat(dir).catch(() => undefined);
    if (!info?.isDirectory()) continue;
    if ((await readdir(dir)).length === 0) await rmdir(dir).catch(() => undefined);
  }
  return removed;
}
