import { and, asc, desc, eq, gte } from 'drizzle-orm';
import type { DB } from '@/db/client';
import { exportIssues, exportItems, exportJobs, exports } from '@/db/schema';
import { DomainError } from '@/server/errors';
import { type QueueWait, retryWaitOf } from '@/server/export/domain/export-status';

/** What the dashboard and the CLI read about exports: the one place these queries live. */

export type ExportRow = typeof exports.$inferSelect;

/** An export's row, with what it waits for while queued (null otherwise). */
export type ExportView = ExportRow & { wait: QueueWait | null };

export interface QueryOptions {
  /** This process runs no runner and none is known elsewhere (the dashboard with RUNNER_ENABLED=false). */
  noRunner?: boolean;
  now?: Date;
}

/** Exports whose runner holds a live lease, by connection. */
async function runningByConnection(db: DB, now: Date): Promise<Map<string, string>> {
  const running = await db
    .select({ exportId: exportJobs.exportId, connectionId: exportJobs.connectionId })
    .from(exportJobs)
    .where(and(eq(exportJobs.status, 'running'), gte(exportJobs.leaseExpiresAt, now.getTime())));
  return new Map(running.map((r) => [r.connectionId, r.exportId]));
}

/** What a queued export waits for: its retry time, another export of its connection, or a runner. */
function waitOf(row: ExportRow, running: Map<string, string>, options: QueryOptions, now: Date): QueueWait | null {
  if (row.status !== 'queued') return null;
  const retry = retryWaitOf(row, now);
  if (retry) return retry;
  const busy = running.get(row.connectionId);
  if (busy && busy !== row.id) return { reason: 'connection_busy', exportId: busy };
  return options.noRunner ? { reason: 'no_runner' } : { reason: 'runner' };
}

/** The most recent exports, newest first. */
export async function listExports(db: DB, options: QueryOptions & { limit?: number } = {}): Promise<ExportView[]> {
  const now = options.now ?? new Date();
  const rows = await db
    .select()
    .from(exports)
    .orderBy(desc(exports.requestedAt))
    .limit(options.limit ?? 100);
  const running = rows.some((r) => r.status === 'queued') ? await runningByConnection(db, now) : new Map<string, string>();
  return rows.map((row) => ({ ...row, wait: waitOf(row, running, options, now) }));
}

/** One export with the pages that failed and what it could not carry over (the first 500 of each). */
export async function getExport(db: DB, id: string, options: QueryOptions = {}) {
  const now = options.now ?? new Date();
  const [row] = await db.select().from(exports).where(eq(exports.id, id));
  if (!row) throw new DomainError('NOT_FOUND', `Export ${id} does not exist`);
  const running = row.status === 'queued' ? await runningByConnection(db, now) : new Map<string, string>();
  const failures = await db
    .select({ id: exportItems.itemId, kind: exportItems.kind, title: exportItems.title, error: exportItems.error })
    .from(exportItems)
    .where(and(eq(exportItems.exportId, id), eq(exportItems.status, 'failed')))
    .orderBy(asc(exportItems.seq))
    .limit(500);
  const issues = await db
    .select({ itemId: exportIssues.itemId, kind: exportIssues.kind, sourceId: exportIssues.sourceId, message: exportIssues.message })
    .from(exportIssues)
    .where(eq(exportIssues.exportId, id))
    .orderBy(asc(exportIssues.id))
    .limit(500);
  return { ...row, wait: waitOf(row, running, options, now), failures, issues };
}

export type ExportDetail = Awaited<ReturnType<typeof getExport>>;

/**
 * Absolute paths inside a message (`/srv/data/exports/…`, `C:\data\…`), as file-system errors
 * quote them; URLs are left alone (their path follows `//host`).
 */
const ABSOLUTE_PATH = /(?<=^|[\s'"`(=])(?:\/(?!\/)|[A-Za-z]:\\)[^\s'"`)]*/g;

/** `text` with every absolute path replaced by `…`. */
export function withoutAbsolutePaths(text: string): string;
export function withoutAbsolutePaths(text: string | null): string | null;
export function withoutAbsolutePaths(text: string | null): string | null {
  return text === null ? null : text.replace(ABSOLUTE_PATH, '…');
}

type ViewerFields = Pick<ExportRow, 'outDir' | 'lastError' | 'statusReason'> & {
  failures?: { error: string | null }[];
  issues?: { message: string }[];
};

/**
 * An export (a row of the list, or one export with its failures and issues) as someone who need
 * not know this machine sees it: without `outDir`, and with absolute paths taken out of its
 * messages. The dashboard shows neither; the API gives it to people who are not administrators.
 */
export function redactForViewer<T extends ViewerFields>(row: T): Omit<T, 'outDir'> {
  const { outDir: _outDir, ...rest } = row;
  return {
    ...rest,
    lastError: withoutAbsolutePaths(row.lastError),
    statusReason: withoutAbsolutePaths(row.statusReason),
    ...(row.failures ? { failures: row.failures.map((f) => ({ ...f, error: withoutAbsolutePaths(f.error) })) } : {}),
    ...(row.issues ? { issues: row.issues.map((i) => ({ ...i, message: withoutAbsolutePaths(i.message) })) } : {}),
  };
}
