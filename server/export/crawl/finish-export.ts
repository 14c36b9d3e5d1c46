import { createHash } from 'node:crypto';
import fs from 'node:fs/promises';
import path from 'node:path';
import { and, asc, eq, gt } from 'drizzle-orm';
import type { DB } from '@/db/client';
import { failpoint } from '@/server/failpoints';
import { exportFiles, exportItems } from '@/db/schema';
import { writeFileAtomic } from '@/server/export/files/atomic-write';
import type { ExportChanges, ExportFormat } from '@/server/export/domain/export';
import { lookupItems } from './item-lookup';
import { REPORT_FILE, relativeLink } from '@/server/export/files/layout';
import { writeManifest } from '@/server/export/files/manifest';
import { resolvePlaceholders } from './page-links';
import { buildReport, type ExportReport } from './report';
import { writeArchive } from './write-archive';
import type { WrittenFile } from '@/server/export/domain/export';
import { tallyExport } from '@/server/export/domain/exports.projection';
import type { ExportSession } from './export-session';
import { describeChanges, removeStaleFiles } from './sync-finish';
import { collectGarbage, FINISH_HEAP_SLACK_BYTES, heapKeeper } from './collect-garbage';

/**
 * The finishing phase: resolves the links that waited for pages placed later, writes the
 * archive's own pages (index, search, report.html: write-archive.ts), report.json and then
 * manifest.json, and completes the export with the counts the row, the CLI and the
 * report show (tallyExport). 'aborted' when the run was stopped before it could complete.
 */
export async function finishExport(session: ExportSession): Promise<'completed' | 'completed_with_errors' | 'aborted'> {
  const { signal } = session;
  await session.record({ type: 'ChangePhase', data: { phase: 'finishing' } });
  const recordFiles = (reason: 'links' | 'report') => async (files: WrittenFile[]) => {
    if (signal.aborted) throw new Error('The export was taken over or stopped');
    await session.record({ type: 'RecordFiles', data: { files, reason } });
  };
  // Before each bulk step, a full collection (see collectGarbage: the finish is the memory's peak),
  // and between them the keeper's smaller slack.
  const loosen = heapKeeper.tighten(FINISH_HEAP_SLACK_BYTES);
  try {
    return await finishSteps(session, recordFiles);
  } finally {
    loosen();
  }
}

/** The finish's steps, in order (see finishExport). */
async function finishSteps(
  session: ExportSession,
  recordFiles: (reason: 'links' | 'report') => (files: WrittenFile[]) => Promise<void>,
): Promise<'completed' | 'completed_with_errors' | 'aborted'> {
  const { ctx, exportId, row, signal, target } = session;
  const db = ctx.database.db;
  collectGarbage();
  await resolveLinks(db, exportId, row.outDir, recordFiles('links'), target.fence);
  collectGarbage();
  const sync = row.mode === 'sync' && row.baselineExportId ? row.baselineExportId : undefined;
  const changes: ExportChanges | undefined = sync ? await describeChanges(db, exportId, sync) : undefined;
  const report = await buildReport(db, exportId, new Date(), changes);
  collectGarbage();
  // Before the stale files go: the archive's files a sync linked from its baseline are recorded
  // (kept as they are when unchanged), so they are not stale.
  await writeArchive({
    db,
    exportId,
    root: row.outDir,
    formats: target.formats,
    mode: sync ? 'sync' : 'full',
    report,
    record: recordFiles('report'),
    fence: target.fence,
    ...(target.unchanged ? { unchanged: target.unchanged } : {}),
  });
  if (sync) {
    await target.fence();
    await removeStaleFiles(db, exportId, sync, row.outDir);
  }
  collectGarbage();
  await writeReportAndManifest(db, exportId, row.outDir, (file) => recordFiles('report')([file]), target.fence, report);
  await target.pages.clear();
  const { pages, databases, skipped, failed, files, bytes } = await tallyExport(db, exportId);
  if (signal.aborted) return 'aborted';
  await session.record({
    type: 'CompleteExport',
    data: { pages, databases, skipped, failed, files, bytes, stats: session.stats(), ...(changes ? { changes } : {}) },
  });
  failpoint('after-completion');
  return failed > 0 ? 'completed_with_errors' : 'completed';
}


/**
 * Rewrites the files whose links pointed at pages not placed when they were written, now that
 * every page has its place. Pages that are not in the export link to Notion. Idempotent: a
 * file without placeholders is left alone (and recorded as it is). Records the checksums in batches.
 */
export async function resolveLinks(
  db: DB,
  exportId: string,
  root: string,
  record: (files: WrittenFile[]) => Promise<void>,
  fence: () => Promise<void> = async () => {},
): Promise<number> {
  let count = 0;
  let after = '';
  for (;;) {
    const items = await db
      .select({ id: exportItems.itemId })
      .from(exportItems)
      .where(and(eq(exportItems.exportId, exportId), eq(exportItems.unresolvedLinks, true), gt(exportItems.itemId, after)))
      .orderBy(asc(exportItems.itemId))
      .limit(100);
    const last = items.at(-1);
    if (!last) return count;
    after = last.id;
    const rewritten: WrittenFile[] = [];
    for (const { id } of items) {
      const files = await db
        .select({ path: exportFiles.path })
        .from(exportFiles)
        .where(and(eq(exportFiles.exportId, exportId), eq(exportFiles.sourceId, id)));
      const docs = files.filter((f) => f.path.endsWith('.md') || f.path.endsWith('.html') || f.path.endsWith('.csv'));
      for (const file of docs) {
        const abs = path.join(root, ...file.path.split('/'));
        const content = await fs.readFile(abs);
        const text = content.toString('utf8');
        const ids = [...text.matchAll(/#notion-sync-page-([0-9a-f-]{36})/g)].flatMap((m) => (m[1] ? [m[1]] : []));
        const known = await lookupItems(db, exportId, [...new Set(ids)]);
        const fromDir = path.posix.dirname(file.path);
        const ext = file.path.endsWith('.html') ? '.html' : '.md';
        const { text: next } = resolvePlaceholders(text, (target) => {
          const item = known.get(target);
          if (item?.status === 'done' && item.dir != null && item.stem) return relativeLink(fromDir === '.' ? '' : fromDir, path.posix.join(item.dir, `${item.stem}${ext}`));
          return `https://www.notion.so/${target.replace(/-/g, '')}`;
        });
        // Nothing left to resolve: the file may still differ from its record, when a run that
        // rewrote it died before recording that (the rename done, the append not), so its
        // checksum is taken from the file itself.
        const { bytes, sha256 } =
          next === text
            ? { bytes: content.length, sha256: createHash('sha256').update(content).digest('hex') }
            : await writeFileAtomic(abs, next, { beforeRename: fence });
        rewritten.push({ path: file.path, bytes, sha256, sourceId: id });
      }
    }
    if (rewritten.length > 0) await record(rewritten);
    count += rewritten.length;
  }
}

/** export_files rows read at a time for the manifest: a few hundred, so each read's garbage stays small. */
const MANIFEST_PAGE = 250;

/**
 * report.json (`report`, from buildReport), then manifest.json last, listing every file with its
 * size and checksum. Returns the export's files as they are counted everywhere (report.json and
 * manifest.json not included).
 */
export async function writeReportAndManifest(
  db: DB,
  exportId: string,
  root: string,
  recordReport: (file: WrittenFile) => Promise<void>,
  fence: () => Promise<void>,
  report: ExportReport,
): Promise<{ files: number; bytes: number }> {
  const written = await writeFileAtomic(path.join(root, REPORT_FILE), `${JSON.stringify(report, null, 2)}\n`, {
    beforeRename: fence,
  });
  await recordReport({ path: REPORT_FILE, ...written, sourceId: exportId });
  async function* pages(): AsyncGenerator<WrittenFile[]> {
    let after = '';
    for (;;) {
      const page = await db
        .select({ path: exportFiles.path, bytes: exportFiles.bytes, sha256: exportFiles.sha256, sourceId: exportFiles.sourceId })
        .from(exportFiles)
        .where(and(eq(exportFiles.exportId, exportId), gt(exportFiles.path, after)))
        .orderBy(asc(exportFiles.path))
        .limit(MANIFEST_PAGE);
      const last = page.at(-1);
      if (!last) return;
      after = last.path;
      heapKeeper.collectIfGrown();
      yield page;
    }
  }
  failpoint('before-manifest');
  await writeManifest(root, { exportId, createdAt: new Date().toISOString() }, pages(), { beforeRename: fence });
  failpoint('after-manifest');
  return { files: report.files.count, bytes: report.files.bytes };
}

export const docFormats = (formats: readonly ExportFormat[]) => formats.filter((f) => f === 'markdown' || f === 'html');
