import { createHash, randomBytes } from 'node:crypto';
import { mkdir, open, readdir, rename, unlink } from 'node:fs/promises';
import path from 'node:path';
import { failpoint } from '@/server/failpoints';
import { withSpan } from '@/server/observability/spans';

export interface AtomicWriteResult {
  bytes: number;
  /** Lower-case hex sha256 of the data written. */
  sha256: string;
}

/** Errors some platforms give when a directory cannot be opened or fsynced (Windows, some network file systems). */
const DIR_SYNC_UNSUPPORTED = new Set(['EISDIR', 'EPERM', 'EACCES', 'EINVAL', 'ENOTSUP', 'EBADF']);

/** The temp file sits next to the target: `.<name>.<random>.tmp`. */
export const TEMP_FILE_PATTERN = /^\..+\.[0-9a-f]{12}\.tmp$/;

function withPath(err: unknown, absPath: string): Error {
  const cause = err as NodeJS.ErrnoException;
  const message = err instanceof Error ? err.message : String(err);
  if (message.includes(absPath)) return err as Error;
  const wrapped: NodeJS.ErrnoException = new Error(`Cannot write ${absPath}: ${message}`, { cause: err });
  if (cause && typeof cause === 'object') {
    wrapped.code = cause.code;
    wrapped.errno = cause.errno;
    wrapped.syscall = cause.syscall;
  }
  return wrapped;
}

async function syncDirectory(dir: string): Promise<void> {
  let handle: Awaited<ReturnType<typeof open>> | undefined;
  try {
    handle = await open(dir, 'r');
    await handle.sync();
  } catch (err) {
    if (!DIR_SYNC_UNSUPPORTED.has((err as NodeJS.ErrnoException).code ?? '')) throw err;
  } finally {
    await handle?.close();
  }
}

/**
 * Writes `data` so that readers see either the old file or the complete new one, never a part:
 * parent folders are created, the data goes to a temp file in the same folder, which is fsynced
 * and renamed over the target; then the folder is fsynced so the rename survives a power cut
 * (skipped where the platform cannot). Failures (ENOSPC, EACCES, …) keep their `code` and name the path.
 */
export function writeFileAtomic(
  absPath: string,
  data: string | Uint8Array,
  options: { beforeRename?: () => Promise<void> } = {},
): Promise<AtomicWriteResult> {
  const attributes = () => ({
    'notion_sync.file.bytes': typeof data === 'string' ? Buffer.byteLength(data, 'utf8') : data.byteLength,
    'notion_sync.file.extension': path.extname(absPath),
  });
  return withSpan('file.write', attributes, () => writeAtomically(absPath, data, options));
}

async function writeAtomically(absPath: string, data: string | Uint8Array, options: { beforeRename?: () => Promise<void> }): Promise<AtomicWriteResult> {
  const dir = path.dirname(absPath);
  const tempPath = path.join(dir, `.${path.basename(absPath)}.${randomBytes(6).toString('hex')}.tmp`);
  const buffer = typeof data === 'string' ? Buffer.from(data, 'utf8') : data;
  const sha256 = createHash('sha256').update(buffer).digest('hex');
  let tempCreated = false;
  try {
    await mkdir(dir, { recursive: true });
    const handle = await open(tempPath, 'wx', 0o666);
    tempCreated = true;
    try {
      await handle.writeFile(buffer);
      await handle.sync();
    } finally {
      await handle.close();
    }
    failpoint('after-temp-write');
    // Last check (fencing) right before the file becomes visible: the window in which a writer
    // that lost its lease could still replace a file is this one await long.
    await options.beforeRename?.();
    await rename(tempPath, absPath);
    tempCreated = false;
    await syncDirectory(dir);
    failpoint('after-rename');
  } catch (err) {
    if (tempCreated) await unlink(tempPath).catch(() => undefined);
    throw withPath(err, absPath);
  }
  return { bytes: buffer.byteLength, sha256 };
}

/**
 * Deletes the temp files an interrupted run left in the export tree (a process killed between
 * writing a temp file and renaming it). Run before a resumed export writes anything.
 */
export async function sweepTempFiles(root: string): Promise<number> {
  let removed = 0;
  const walk = async (dir: string): Promise<void> => {
    let entries: import('node:fs').Dirent[];
    try {
      entries = await readdir(dir, { withFileTypes: true });
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return;
      throw err;
    }
    for (const entry of entries) {
      const abs = path.join(dir, entry.name);
      if (entry.isDirectory()) await walk(abs);
      else if (TEMP_FILE_PATTERN.test(entry.name)) {
        await unlink(abs).catch(() => undefined);
        removed++;
      }
    }
  };
  await walk(root);
  return removed;
}
