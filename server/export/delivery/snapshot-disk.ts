import type { Stats } from 'node:fs';
import { lstat, readdir } from 'node:fs/promises';
import path from 'node:path';
import type { AppContext } from '@/server/app-context';
import { exportFolder } from './export-download';

/**
 * The disk a snapshot uses, told apart: its own bytes (files no other folder links to) and the
 * bytes it shares (files whose inode is also linked from outside its folder: a sync's unchanged
 * files are hard links to the previous snapshot's). Each inode counts once. Computed from the
 * folder (never through a link), in bounded work, and cached per export while its folder and the
 * connection's set of exports stay as they were.
 */

export interface SnapshotDisk {
  /** Bytes of files linked only from inside this snapshot's folder: freed when it is deleted. */
  ownBytes: number;
  /** Bytes of files also linked from elsewhere (another snapshot): kept when it is deleted. */
  sharedBytes: number;
  /** Files counted (each inode once). */
  files: number;
  /** False when the walk stopped at MAX_DISK_ENTRIES: the numbers are a lower bound. */
  complete: boolean;
}

/** Folder entries looked at per snapshot at most. */
export const MAX_DISK_ENTRIES = 250_000;
/** `lstat` calls at once. */
const PARALLEL = 32;
/** How long a measure is reused at most, whatever else happens (another process's hard links). */
export const DISK_CACHE_MS = 10 * 60_000;
/** Snapshots remembered at most. */
const CACHE_ENTRIES = 2_000;

interface Inode {
  size: number;
  nlink: number;
  /** Links to it found inside the folder. */
  seen: number;
}

/** Stats `paths` a few at a time; a file gone meanwhile is left out. */
async function lstatAll(paths: readonly string[]): Promise<(Stats | undefined)[]> {
  const out: (Stats | undefined)[] = [];
  for (let i = 0; i < paths.length; i += PARALLEL) {
    out.push(...(await Promise.all(paths.slice(i, i + PARALLEL).map((p) => lstat(p).catch(() => undefined)))));
  }
  return out;
}

/**
 * Measures the folder `root`: every regular file under it (links and anything else left out), or
 * only the files `only` names (relative, `/`-separated) when the folder may hold others.
 */
export async function measureFolder(root: string, only?: ReadonlySet<string>, maxEntries = MAX_DISK_ENTRIES): Promise<SnapshotDisk> {
  const inodes = new Map<string, Inode>();
  let entries = 0;
  let complete = true;
  const count = (stats: Stats | undefined) => {
    if (!stats?.isFile()) return;
    const key = `${stats.dev}:${stats.ino}`;
    const known = inodes.get(key);
    if (known) known.seen++;
    else inodes.set(key, { size: stats.size, nlink: stats.nlink, seen: 1 });
  };
  if (only) {
    const listed = [...only].slice(0, maxEntries);
    complete = listed.length === only.size;
    for (const stats of await lstatAll(listed.map((rel) => path.join(root, ...rel.split('/'))))) count(stats);
  } else {
    const folders = [root];
    walk: while (folders.length > 0) {
      const folder = folders.pop() as string;
      const names = await readdir(folder, { withFileTypes: true }).catch(() => []);
      const files: string[] = [];
      for (const entry of names) {
        if (++entries > maxEntries) {
          complete = false;
          for (const stats of await lstatAll(files)) count(stats);
          break walk;
        }
        // A Dirent of a symbolic link is neither a directory nor a file: links are never followed.
        if (entry.isDirectory()) folders.push(path.join(folder, entry.name));
        else if (entry.isFile()) files.push(path.join(folder, entry.name));
      }
      for (const stats of await lstatAll(files)) count(stats);
    }
  }
  let ownBytes = 0;
  let sharedBytes = 0;
  for (const inode of inodes.values()) {
    if (inode.nlink > inode.seen) sharedBytes += inode.size;
    else ownBytes += inode.size;
  }
  return { ownBytes, sharedBytes, files: inodes.size, complete };
}

const cache = new Map<string, { key: string; measuredAt: number; disk: SnapshotDisk }>();

/** Forgets every measure (tests). */
export function clearDiskCache(): void {
  cache.clear();
}

/** How many folders one call may still walk; shared by the calls of one request. */
export interface MeasureBudget {
  left: number;
}

/**
 * The disk used by export `exportId`'s folder; null when its folder is gone; undefined when it is
 * not known yet and `budget` has no walk left (a later call measures it). `generation` names the
 * state of the other snapshots its numbers depend on (a new sync links to its files, a deleted one
 * unlinks them): a measure is reused while it and the folder's mtime are unchanged, for
 * DISK_CACHE_MS at most.
 */
export async function snapshotDisk(
  ctx: AppContext,
  exportId: string,
  options: { generation?: string; now?: () => number; budget?: MeasureBudget } = {},
): Promise<SnapshotDisk | null | undefined> {
  const folder = await exportFolder(ctx, exportId).catch(() => undefined);
  if (!folder) return null;
  const stats = await lstat(folder.root).catch(() => undefined);
  if (!stats?.isDirectory()) return null;
  const now = (options.now ?? Date.now)();
  const key = `${stats.mtimeMs}:${options.generation ?? ''}`;
  const cached = cache.get(exportId);
  if (cached && cached.key === key && now - cached.measuredAt < DISK_CACHE_MS) return cached.disk;
  if (options.budget) {
    if (options.budget.left <= 0) return undefined;
    options.budget.left--;
  }
  const disk = await measureFolder(folder.root, folder.only);
  cache.delete(exportId);
  cache.set(exportId, { key, measuredAt: now, disk });
  // Maps keep insertion order: the first key is the measure least recently made.
  if (cache.size > CACHE_ENTRIES) cache.delete(cache.keys().next().value as string);
  return disk;
}
