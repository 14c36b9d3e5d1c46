import path from 'node:path';
import { and, asc, desc, eq, gte, inArray, isNull, ne, notInArray, or, type SQL } from 'drizzle-orm';
import { z } from 'zod';
import type { DB } from '@/db/client';
import { connections, exportIssues, exportItems, exportJobs, exports } from '@/db/schema';
import { DomainError } from '@/server/errors';
import { ExportStatus, type QueueWait, retryWaitOf } from '@/server/export/domain/export-status';
import { TRASH_ISSUE_KINDS } from '@/server/export/domain/export';

/** What the dashboard and the CLI read about exports: the one place these queries live. */

export type ExportRow = typeof exports.$inferSelect;

/** Who an export says it was started by, besides its row: its connection and workspace, and whether its folder is its own. */
export interface ExportIdentity {
  connectionName: string | null;
  workspaceName: string | null;
  /**
   * Its folder is `EXPORTS_DIR/<id>`-like, inside EXPORTS_DIR (judged from the recorded path; the
   * removal itself checks real paths): cancelling or deleting it removes the whole folder. A CLI
   * export elsewhere loses only what it wrote on cancel, and keeps its files on delete.
   */
  ownFolder: boolean;
}

/** An export's row and identity, with what it waits for while queued (null otherwise). */
export type ExportView = ExportRow & ExportIdentity & { wait: QueueWait | null };

export interface QueryOptions {
  /** This process runs no runner and none is known elsewhere (the dashboard with RUNNER_ENABLED=false). */
  noRunner?: boolean;
  now?: Date;
  /** EXPORTS_DIR, to tell an export's own folder (`ownFolder`); without it, no folder counts as its own. */
  exportsDir?: string;
}

/** `startedBy` for exports no signed-in person started (the CLI, schedules, exports from before it was recorded). */
export const STARTED_BY_CLI = 'cli';

/** The list's filters, as the dashboard keeps them in its URL: each narrows the list, all together. */
export const ExportListFilter = z.object({
  /** One status or several (any of them). */
  status: z
    .union([ExportStatus, z.array(ExportStatus).max(ExportStatus.options.length)])
    .transform((s) => (Array.isArray(s) ? s : [s]))
    .optional(),
  connectionId: z.string().min(1).max(200).optional(),
  /** The email of the person who started it, or `cli` for exports nobody signed in started. */
  startedBy: z.union([z.literal(STARTED_BY_CLI), z.email().max(320)]).optional(),
});
export type ExportListFilter = z.infer<typeof ExportListFilter>;

/** The filters as one SQL condition (undefined: every export). */
function filterCondition(filter: ExportListFilter): SQL | undefined {
  const conditions: SQL[] = [];
  if (filter.status && filter.status.length > 0) conditions.push(inArray(exports.status, filter.status));
  if (filter.connectionId) conditions.push(eq(exports.connectionId, filter.connectionId));
  if (filter.startedBy === STARTED_BY_CLI) conditions.push(isNull(exports.requestedByUser));
  else if (filter.startedBy) conditions.push(eq(exports.requestedByUser, filter.startedBy));
  return conditions.length > 0 ? and(...conditions) : undefined;
}

/** Whether `outDir` lies strictly inside `exportsDir`, by the recorded paths. */
function isInside(exportsDir: string | undefined, outDir: string): boolean {
  if (!exportsDir) return false;
  const inside = path.relative(path.resolve(exportsDir), path.resolve(outDir));
  return inside !== '' && !inside.startsWith('..') && !path.isAbsolute(inside);
}

/** An exports row with its connection's names (kept when the connection was removed with its exports kept). */
const exportWithConnection = { export: exports, connectionName: connections.name, workspaceName: connections.workspaceName };

function withIdentity(
  { export: row, connectionName, workspaceName }: { export: ExportRow; connectionName: string | null; workspaceName: string | null },
  options: QueryOptions,
): ExportRow & ExportIdentity {
  return { ...row, connectionName, workspaceName, ownFolder: isInside(options.exportsDir, row.outDir) };
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

/** The most recent exports (narrowed by `filter`), newest first. */
export async function listExports(
  db: DB,
  options: QueryOptions & { limit?: number; filter?: ExportListFilter } = {},
): Promise<ExportView[]> {
  const now = options.now ?? new Date();
  const joined = await db
    .select(exportWithConnection)
    .from(exports)
    .leftJoin(connections, eq(connections.id, exports.connectionId))
    .where(filterCondition(options.filter ?? {}))
    .orderBy(desc(exports.requestedAt))
    .limit(options.limit ?? 100);
  const rows = joined.map((r) => withIdentity(r, options));
  const running = rows.some((r) => r.status === 'queued') ? await runningByConnection(db, now) : new Map<string, string>();
  return rows.map((row) => ({ ...row, wait: waitOf(row, running, options, now) }));
}

/** What the list's filters can choose from: the connections and the people that exports name, and whether any export has no person. */
export interface ExportFilterChoices {
  connections: { id: string; name: string; workspaceName: string | null }[];
  startedBy: string[];
  cli: boolean;
}

/** The choices of the list's filters, from the exports there are. */
export async function exportFilterChoices(db: DB): Promise<ExportFilterChoices> {
  const used = await db
    .selectDistinct({ id: exports.connectionId, name: connections.name, workspaceName: connections.workspaceName })
    .from(exports)
    .innerJoin(connections, eq(connections.id, exports.connectionId));
  const people = await db.selectDistinct({ email: exports.requestedByUser }).from(exports);
  const byName = new Intl.Collator('en', { sensitivity: 'base', numeric: true }).compare;
  return {
    connections: used.sort((a, b) => byName(a.name, b.name)),
    startedBy: people.flatMap((p) => (p.email === null ? [] : [p.email])).sort(byName),
    cli: people.some((p) => p.email === null),
  };
}

/**
 * The export of `connectionId` a new one of it waits behind: the one running, else the oldest
 * other one queued; null when none (it can start at once). One export of a connection runs at a time.
 */
export async function exportAheadOf(db: DB, connectionId: string, exportId: string): Promise<string | null> {
  const active = await db
    .select({ id: exports.id, status: exports.status })
    .from(exports)
    .where(and(eq(exports.connectionId, connectionId), ne(exports.id, exportId), or(eq(exports.status, 'running'), eq(exports.status, 'queued'))))
    .orderBy(asc(exports.requestedAt));
  return (active.find((e) => e.status === 'running') ?? active[0])?.id ?? null;
}

/** The names an export goes by (its connection's and its workspace's); NOT_FOUND for an unknown export. */
export async function exportNames(db: DB, id: string): Promise<{ connectionName: string | null; workspaceName: string | null }> {
  const [row] = await db
    .select({ connectionName: connections.name, workspaceName: connections.workspaceName })
    .from(exports)
    .leftJoin(connections, eq(connections.id, exports.connectionId))
    .where(eq(exports.id, id));
  if (!row) throw new DomainError('NOT_FOUND', `Export ${id} does not exist`);
  return row;
}

/** One export with the pages that failed and what it could not carry over (the first 500 of each). */
export async function getExport(db: DB, id: string, options: QueryOptions = {}) {
  const now = options.now ?? new Date();
  const [joined] = await db
    .select(exportWithConnection)
    .from(exports)
    .leftJoin(connections, eq(connections.id, exports.connectionId))
    .where(eq(exports.id, id));
  if (!joined) throw new DomainError('NOT_FOUND', `Export ${id} does not exist`);
  const row = withIdentity(joined, options);
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
    // Pages and databases in the trash are not part of the workspace: report.json names them among the skipped, no issue of the export;
    // external links are no issue either (report.json lists them once each).
    .where(and(eq(exportIssues.exportId, id), notInArray(exportIssues.kind, [...TRASH_ISSUE_KINDS, 'external_link'])))
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
