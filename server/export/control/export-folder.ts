import { lstat, readdir, realpath } from 'node:fs/promises';
import path from 'node:path';

/**
 * Where an export's files are, as the file system sees it. A dashboard export writes into its own
 * folder `EXPORTS_DIR/<id>`, which holds nothing else and may go whole; a CLI export writes where
 * `--out` said, a folder that may hold anything, so only what the export recorded is its own.
 */

/**
 * The real path of `outDir` when it is a folder (not a link to one) strictly inside the real
 * `exportsDir`; null otherwise (elsewhere, missing, a link). Both sides are resolved with
 * `realpath`, so a link anywhere on the way cannot make a folder outside look like one inside.
 */
export async function ownExportFolder(exportsDir: string, outDir: string): Promise<string | null> {
  const folder = await lstat(outDir).catch(() => undefined);
  if (!folder?.isDirectory()) return null;
  const [realRoot, realDir] = await Promise.all([realpath(exportsDir).catch(() => null), realpath(outDir).catch(() => null)]);
  if (realRoot === null || realDir === null) return null;
  const inside = path.relative(realRoot, realDir);
  return inside !== '' && !inside.startsWith('..') && !path.isAbsolute(inside) ? realDir : null;
}

/** Files in a folder and their bytes: regular files only, links neither followed nor counted. */
export interface FolderSize {
  files: number;
  bytes: number;
}

/** Counts the files under `root` (a folder read with `lstat`, so no link leads out of it). */
export async function measureFolder(root: string): Promise<FolderSize> {
  const size: FolderSize = { files: 0, bytes: 0 };
  const visit = async (dir: string): Promise<void> => {
    const entries = await readdir(dir, { withFileTypes: true }).catch(() => []);
    for (const entry of entries) {
      const abs = path.join(dir, entry.name);
      if (entry.isDirectory()) await visit(abs);
      else if (entry.isFile()) {
        const stats = await lstat(abs).catch(() => undefined);
        if (stats?.isFile()) {
          size.files += 1;
          size.bytes += stats.size;
        }
      }
    }
  };
  await visit(root);
  return size;
}
