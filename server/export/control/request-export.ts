import { randomUUID } from 'node:crypto';
import { stat } from 'node:fs/promises';
import path from 'node:path';
import { and, desc, eq, inArray } from 'drizzle-orm';
import type { DB, Tx } from '@/db/client';
import { connections, exports } from '@/db/schema';
import type { AppContext } from '@/server/app-context';
import { DomainError } from '@/server/errors';
import {
  DEFAULT_EXPORT_OPTIONS,
  EXPORT_FORMATS,
  type ExportFormat,
  type ExportMode,
  type ExportOptions,
  type ExportTrigger,
} from '@/server/export/domain/export';
import { EXPORT_STATUSES, isUnfinished } from '@/server/export/domain/export-status';
import { handle } from '@/server/export/domain/handle';

export interface ExportRequest {
  connectionId: string;
  formats?: ExportFormat[];
  /** Where the export tree goes; default `EXPORTS_DIR/<exportId>`. */
  outDir?: string;
  requestedBy: 'dashboard' | 'cli' | 'scheduler';
  /** The email of the signed-in person who asks (the dashboard); none for the CLI and schedules. */
  requestedByUser?: string;
  options?: Partial<ExportOptions>;
}

/** How a sync relates to what came before it; a plain export is a full one without a baseline. */
interface ExportLineage {
  mode: ExportMode;
  baselineExportId?: string;
  trigger: ExportTrigger;
}

const TRIGGER_OF: Record<ExportRequest['requestedBy'], ExportTrigger> = { dashboard: 'manual', cli: 'cli', scheduler: 'schedule' };
const REQUESTED_BY_OF: Record<ExportTrigger, ExportRequest['requestedBy']> = {
  manual: 'dashboard',
  cli: 'cli',
  schedule: 'scheduler',
  webhook: 'scheduler',
};

/** Every entry point requests an export this way; only the runner performs it. */
export async function requestExport(ctx: AppContext, request: ExportRequest): Promise<string> {
  return appendRequest(ctx, request, { mode: 'full', trigger: TRIGGER_OF[request.requestedBy] });
}

async function appendRequest(
  ctx: AppContext,
  request: ExportRequest,
  lineage: ExportLineage,
  guard?: (tx: Tx) => Promise<void>,
): Promise<string> {
  await activeConnection(ctx, request.connectionId);
  const exportId = randomUUID();
  const formats = [...new Set(request.formats?.length ? request.formats : EXPORT_FORMATS)];
  const outDir = path.resolve(request.outDir ?? path.join(ctx.config.exportsDir, exportId));
  await handle(ctx.store, exportId, {
    type: 'RequestExport',
    data: {
      exportId,
      connectionId: request.connectionId,
      formats,
      outDir,
      requestedBy: request.requestedBy,
      ...(request.requestedByUser ? { requestedByUser: request.requestedByUser } : {}),
      options: { ...DEFAULT_EXPORT_OPTIONS, ...request.options },
      mode: lineage.mode,
      ...(lineage.baselineExportId ? { baselineExportId: lineage.baselineExportId } : {}),
      trigger: lineage.trigger,
    },
  }, {}, guard);
  ctx.runners.wake();
  return exportId;
}

async function activeConnection(ctx: AppContext, connectionId: string): Promise<void> {
  const [connection] = await ctx.database.db.select().from(connections).where(eq(connections.id, connectionId));
  // A removed connection (kept for its exports' sake) starts nothing: its token is no longer used.
  if (!connection || connection.removedAt) throw new DomainError('NOT_FOUND', `Connection ${connectionId} does not exist`);
}

export interface SyncRequest {
  connectionId: string;
  formats?: ExportFormat[];
  options?: Partial<ExportOptions>;
  trigger: ExportTrigger;
  /** The email of the signed-in person who asks (the dashboard). */
  requestedByUser?: string;
  /**
   * The CLI's folder, synced in place (its baseline is the last export into it). Without it the
   * sync writes a new snapshot folder `EXPORTS_DIR/<exportId>` next to the baseline's.
   */
  outDir?: string;
}

/**
 * Requests a sync of a connection: an export that starts from its baseline (the last finished
 * export whose folder is still as it left it) and reads only what changed; without a baseline, a
 * full export. Refused while an export of the connection is queued or running.
 */
export async function requestSync(ctx: AppContext, request: SyncRequest): Promise<{ exportId: string; baselineExportId: string | null }> {
  await activeConnection(ctx, request.connectionId);
  // Refused early when it is plain; the check that decides runs again inside the request's own
  // transaction (writers take turns), so of two requests at once only one becomes a sync.
  await refuseWhileBusy(ctx.database.db, request.connectionId);
  const outDir = request.outDir === undefined ? undefined : path.resolve(request.outDir);
  const baselineExportId = (await findBaseline(ctx, request.connectionId, outDir)) ?? null;
  const exportId = await appendRequest(
    ctx,
    {
      connectionId: request.connectionId,
      formats: request.formats,
      options: request.options,
      outDir,
      requestedBy: REQUESTED_BY_OF[request.trigger],
      requestedByUser: request.requestedByUser,
    },
    baselineExportId ? { mode: 'sync', baselineExportId, trigger: request.trigger } : { mode: 'full', trigger: request.trigger },
    (tx) => refuseWhileBusy(tx, request.connectionId),
  );
  return { exportId, baselineExportId };
}

/** A sync waits for nothing: while an export of the connection is queued or running, it is refused. */
async function refuseWhileBusy(db: DB | Tx, connectionId: string): Promise<void> {
  const busy = await db
    .select({ id: exports.id })
    .from(exports)
    .where(and(eq(exports.connectionId, connectionId), inArray(exports.status, ['queued', 'running'])))
    .limit(1);
  if (busy.length > 0) throw new DomainError('CONFLICT', 'An export of this connection is already queued or running');
}

/**
 * The finished export a sync starts from. In place (`outDir`): the last export into that folder,
 * when it is this connection's and finished. Otherwise the connection's newest finished export
 * whose folder still exists and that no later export wrote into (its files are as its manifest says).
 */
export async function findBaseline(ctx: AppContext, connectionId: string, outDir?: string): Promise<string | undefined> {
  const db = ctx.database.db;
  const finished = (status: string) => status === 'completed' || status === 'completed_with_errors';
  if (outDir !== undefined) {
    const [last] = await db
      .select({ id: exports.id, connectionId: exports.connectionId, status: exports.status })
      .from(exports)
      .where(eq(exports.outDir, outDir))
      .orderBy(desc(exports.requestedAt))
      .limit(1);
    if (!last || last.connectionId !== connectionId || !finished(last.status)) return undefined;
    return (await isFolder(outDir)) ? last.id : undefined;
  }
  const rows = await db
    .select({ id: exports.id, status: exports.status, outDir: exports.outDir })
    .from(exports)
    .where(eq(exports.connectionId, connectionId))
    .orderBy(desc(exports.requestedAt));
  const written = new Set<string>();
  for (const row of rows) {
    const reused = written.has(row.outDir);
    written.add(row.outDir);
    if (reused || !finished(row.status)) continue;
    if (await isFolder(row.outDir)) return row.id;
  }
  return undefined;
}

async function isFolder(dir: string): Promise<boolean> {
  return (await stat(dir).catch(() => undefined))?.isDirectory() ?? false;
}

/** The unfinished export writing into `outDir` (queued, running, paused or failed), if any: the CLI resumes it. */
export async function findUnfinishedExport(ctx: AppContext, outDir: string): Promise<string | undefined> {
  const [row] = await ctx.database.db
    .select({ id: exports.id })
    .from(exports)
    .where(and(eq(exports.outDir, path.resolve(outDir)), inArray(exports.status, EXPORT_STATUSES.filter(isUnfinished))))
    .orderBy(desc(exports.requestedAt))
    .limit(1);
  return row?.id;
}
