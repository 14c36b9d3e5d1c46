import fs from 'node:fs/promises';
import path from 'node:path';
import { and, eq } from 'drizzle-orm';
import { exportFiles, exportItems, exports } from '@/db/schema';
import type { AppContext } from '@/server/app-context';
import { DomainError } from '@/server/errors';
import { sweepTempFiles } from '@/server/export/files/atomic-write';
import { ATTACHMENTS_DIR } from '@/server/export/files/attachments';
import { REPORT_FILE } from '@/server/export/files/layout';
import { handle, pauseCauseOf } from '@/server/export/domain/handle';
import { MANIFEST_FILE } from '@/server/export/files/manifest';

async function exportRow(ctx: AppContext, id: string) {
  const [row] = await ctx.database.db.select().from(exports).where(eq(exports.id, id));
  if (!row) throw new DomainError('NOT_FOUND', `Export ${id} does not exist`);
  return row;
}

/** Stops an export at its next checkpoint; it keeps everything done so far until resumed. */
export async function pauseExport(ctx: AppContext, id: string, by: string): Promise<void> {
  await exportRow(ctx, id);
  await handle(ctx.store, id, { type: 'PauseExport', data: { reason: `Paused by ${by}`, cause: 'user' } });
  await ctx.runners.stop(id);
}

/** Queues a paused or failed export again; it goes on from its checkpoints. */
export async function resumeExport(ctx: AppContext, id: string, by: string): Promise<void> {
  await exportRow(ctx, id);
  await handle(ctx.store, id, { type: 'ResumeExport', data: { by } });
  ctx.runners.wake();
}

/** Tries the pages that could not be exported again (all of them, or the ones named). */
export async function retryFailedPages(ctx: AppContext, id: string, only?: string[]): Promise<number> {
  await exportRow(ctx, id);
  const failed = await ctx.database.db
    .select({ id: exportItems.itemId })
    .from(exportItems)
    .where(and(eq(exportItems.exportId, id), eq(exportItems.status, 'failed')));
  const ids = failed.map((f) => f.id).filter((f) => !only || only.includes(f));
  if (only && ids.length !== only.length) {
    throw new DomainError('NOT_FOUND', 'Some of these pages are not among the pages that failed');
  }
  await handle(ctx.store, id, { type: 'RetryFailedPages', data: { ids } });
  ctx.runners.wake();
  return ids.length;
}

/**
 * Cancels an export and removes what it wrote. A folder under EXPORTS_DIR is the export's own
 * and goes entirely; elsewhere (a CLI `--out` folder) only the files the export wrote are
 * removed, with the folders they leave empty. The event log keeps the history.
 */
export async function cancelExport(ctx: AppContext, id: string, reason: string): Promise<void> {
  const row = await exportRow(ctx, id);
  await handle(ctx.store, id, { type: 'CancelExport', data: { reason } });
  // The lease is gone with the cancel, so no runner can write any more (writes are fenced);
  // a runner in this process is also stopped at once, and waited for.
  await ctx.runners.stop(id);
  await removeExportFiles(ctx, id, row.outDir);
}

async function removeExportFiles(ctx: AppContext, id: string, outDir: string): Promise<void> {
  const root = path.resolve(outDir);
  const own = path.relative(ctx.config.exportsDir, root);
  if (own !== '' && !own.startsWith('..') && !path.isAbsolute(own)) {
    await fs.rm(root, { recursive: true, force: true });
    return;
  }
  const files = await ctx.database.db.select({ path: exportFiles.path }).from(exportFiles).where(eq(exportFiles.exportId, id));
  // Also the files of items whose batch was not recorded yet: their names are known.
  const items = await ctx.database.db
    .select({ dir: exportItems.dir, stem: exportItems.stem })
    .from(exportItems)
    .where(eq(exportItems.exportId, id));
  const named = items
    .flatMap(({ dir, stem }) => (dir !== null && stem ? ['.md', '.html', '.json', '.csv'].map((ext) => path.posix.join(dir, `${stem}${ext}`)) : []));
  const dirs = new Set<string>();
  for (const rel of [...files.map((f) => f.path), ...named, REPORT_FILE, MANIFEST_FILE]) {
    const abs = path.join(root, ...rel.split('/'));
    if (!abs.startsWith(root + path.sep)) continue;
    await fs.rm(abs, { force: true });
    for (let d = path.dirname(abs); d.startsWith(root + path.sep); d = path.dirname(d)) dirs.add(d);
  }
  // Attachments live in content-addressed folders the export owns: attachments/<16 hex>/.
  const attachments = path.join(root, ATTACHMENTS_DIR);
  for (const entry of await fs.readdir(attachments).catch(() => [] as string[])) {
    if (/^[0-9a-f]{16}$/.test(entry)) await fs.rm(path.join(attachments, entry), { recursive: true, force: true });
  }
  dirs.add(attachments);
  await sweepTempFiles(root);
  for (const dir of [...dirs].sort((a, b) => b.length - a.length)) await fs.rmdir(dir).catch(() => undefined);
}

/** After a connection's token was fixed: resume its exports that paused because of the token. */
export async function resumeAuthPausedExports(ctx: AppContext, connectionId: string): Promise<string[]> {
  const paused = await ctx.database.db
    .select({ id: exports.id })
    .from(exports)
    .where(and(eq(exports.connectionId, connectionId), eq(exports.status, 'paused')));
  const resumed: string[] = [];
  for (const { id } of paused) {
    if ((await pauseCauseOf(ctx.store, id)) === 'auth') {
      await handle(ctx.store, id, { type: 'ResumeExport', data: { by: 'connection fixed' } });
      resumed.push(id);
    }
  }
  if (resumed.length > 0) ctx.runners.wake();
  return resumed;
}
