import { and, eq, ne, sql } from 'drizzle-orm';
import type { DB } from '@/db/client';
import { exportFiles, exportIssues, exportItems, exports } from '@/db/schema';
import { runningTimeMs } from '@/server/export/domain/export-status';
import { tallyExport } from '@/server/export/domain/exports.projection';
import { type ExportChanges, TRASH_ISSUE_KINDS } from '@/server/export/domain/export';

export interface ExportReport {
  version: 1;
  exportId: string;
  startedAt: string | null;
  finishedAt: string;
  /** Running time: paused and queued time left out. */
  durationMs: number | null;
  api: { requests: number; rateLimited: number; retries: number };
  /** The counts the dashboard and the CLI show (ExportCounts): linked databases are skipped, not exported. */
  pages: { exported: number; failed: number };
  databases: { exported: number; failed: number };
  dataSources: number;
  /** Every file of the export but report.json and manifest.json. */
  files: { count: number; bytes: number };
  /** `skipped`: external links not downloaded because they are no file (a web page, larger than the cap). */
  attachments: { saved: number; bytes: number; failed: number; skipped: number };
  /** What is not in the export, and why: pages the token cannot read, linked databases… */
  skipped: { id: string; kind: string; title: string; reason: string }[];
  /** What is in the export but incomplete: attachments that failed or were skipped, unsupported blocks… */
  issues: { itemId: string; kind: string; sourceId: string; message: string }[];
  /**
   * Files the pages link to on other sites and the export does not hold (external files not
   * downloaded), each URL once with the pages and databases that use it, in the order first seen.
   */
  externalLinks: { url: string; pageIds: string[] }[];
  /** A sync's changes since its baseline (added, updated, moved, removed, with ids and titles). */
  changes?: ExportChanges;
}

/** Kinds recorded with the issues that report.json shows elsewhere: among the skipped. */
const NOT_ISSUES = new Set<string>(['linked_database', ...TRASH_ISSUE_KINDS]);
const IN_TRASH = new Set<string>(TRASH_ISSUE_KINDS);
const EXTERNAL_LINK = 'external_link';

/**
 * Each external link once with the items that hold it, in the order first recorded, grouped by
 * the database: one row per URL is read, not one per page that uses it.
 */
async function externalLinksOf(db: DB, exportId: string): Promise<ExportReport['externalLinks']> {
  const rows = await db
    .select({ url: exportIssues.sourceId, pageIds: sql<string>`json_group_array(${exportIssues.itemId})` })
    .from(exportIssues)
    .where(and(eq(exportIssues.exportId, exportId), eq(exportIssues.kind, EXTERNAL_LINK)))
    .groupBy(exportIssues.sourceId)
    .orderBy(sql`min(${exportIssues.id})`);
  return rows.map((row) => ({ url: row.url, pageIds: JSON.parse(row.pageIds) as string[] }));
}

const ATTACHMENT = sql`${exportFiles.path} like 'attachments/%'`;

/** What an export holds and what it could not carry over, from its read models. */
export async function buildReport(db: DB, exportId: string, finishedAt: Date, changes?: ExportChanges): Promise<ExportReport> {
  const [row] = await db.select().from(exports).where(eq(exports.id, exportId));
  if (!row) throw new Error(`Export ${exportId} does not exist`);
  const tally = await tallyExport(db, exportId);
  const [attachments] = await db
    .select({ count: sql<number>`count(*)`, bytes: sql<number>`coalesce(sum(${exportFiles.bytes}), 0)` })
    .from(exportFiles)
    .where(and(eq(exportFiles.exportId, exportId), ATTACHMENT));
  const [dataSources] = await db
    .select({ count: sql<number>`count(*)` })
    .from(exportFiles)
    .where(and(eq(exportFiles.exportId, exportId), sql`${exportFiles.path} like '%.csv'`));
  const failed = await db
    .select()
    .from(exportItems)
    .where(and(eq(exportItems.exportId, exportId), eq(exportItems.status, 'failed')));
  const issues = await db
    .select({ itemId: exportIssues.itemId, kind: exportIssues.kind, sourceId: exportIssues.sourceId, message: exportIssues.message })
    .from(exportIssues)
    .where(and(eq(exportIssues.exportId, exportId), ne(exportIssues.kind, EXTERNAL_LINK)))
    .orderBy(exportIssues.id);
  const skippedIssues = issues.filter((i) => i.kind === 'linked_database');
  const trashed = issues.filter((i) => IN_TRASH.has(i.kind));
  const externalLinks = await externalLinksOf(db, exportId);
  const titles = new Map(
    (
      await db
        .select({ id: exportItems.itemId, title: exportItems.title })
        .from(exportItems)
        .where(and(eq(exportItems.exportId, exportId), eq(exportItems.kind, 'database')))
    ).map((r) => [r.id, r.title]),
  );
  return {
    version: 1,
    exportId,
    startedAt: row.startedAt?.toISOString() ?? null,
    finishedAt: finishedAt.toISOString(),
    durationMs: row.startedAt ? runningTimeMs(row, finishedAt) : null,
    api: { requests: row.requests, rateLimited: row.rateLimited, retries: row.retries },
    pages: { exported: tally.pages, failed: tally.pagesFailed },
    databases: { exported: tally.databases, failed: tally.databasesFailed },
    dataSources: Number(dataSources?.count ?? 0),
    files: { count: tally.files, bytes: tally.bytes },
    attachments: {
      saved: Number(attachments?.count ?? 0),
      bytes: Number(attachments?.bytes ?? 0),
      failed: issues.filter((i) => i.kind === 'attachment_failed').length,
      skipped: issues.filter((i) => i.kind === 'attachment_skipped').length,
    },
    skipped: [
      ...failed.map((f) => ({ id: f.itemId, kind: f.kind, title: f.title, reason: f.error ?? 'failed' })),
      ...skippedIssues.map((i) => ({ id: i.itemId, kind: 'database', title: titles.get(i.itemId) ?? '', reason: i.message })),
      // A database recorded before `database_in_trash` existed is an `in_trash` issue: shown as a page, as it was then.
      ...trashed.map((i) => ({ id: i.sourceId, kind: i.kind === 'database_in_trash' ? 'database' : 'page', title: i.message, reason: 'in trash' })),
    ],
    issues: issues.filter((i) => !NOT_ISSUES.has(i.kind)),
    externalLinks,
    ...(changes ? { changes } : {}),
  };
}
