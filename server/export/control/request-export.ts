import { randomUUID } from 'node:crypto';
import path from 'node:path';
import { and, desc, eq, inArray } from 'drizzle-orm';
import { connections, exports } from '@/db/schema';
import type { AppContext } from '@/server/app-context';
import { DomainError } from '@/server/errors';
import { DEFAULT_EXPORT_OPTIONS, EXPORT_FORMATS, type ExportFormat, type ExportOptions } from '@/server/export/domain/export';
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

/** Every entry point requests an export this way; only the runner performs it. */
export async function requestExport(ctx: AppContext, request: ExportRequest): Promise<string> {
  const [connection] = await ctx.database.db.select().from(connections).where(eq(connections.id, request.connectionId));
  // A removed connection (kept for its exports' sake) starts nothing: its token is no longer used.
  if (!connection || connection.removedAt) throw new DomainError('NOT_FOUND', `Connection ${request.connectionId} does not exist`);
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
    },
  });
  ctx.runners.wake();
  return exportId;
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
