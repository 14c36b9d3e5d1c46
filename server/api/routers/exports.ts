import { tracked } from '@trpc/server';
import { z } from 'zod';
import { EXPORT_FORMATS, ExportFormat, ExportOptions } from '@/server/export/domain/export';
import { requestExport } from '@/server/export/control/request-export';
import { cancelExport, pauseExport, resumeExport, retryFailedPages } from '@/server/export/control/export-control';
import { deleteExport } from '@/server/export/control/delete-export';
import {
  ExportListFilter,
  exportAheadOf,
  exportFilterChoices,
  exportNames,
  getExport,
  listExports,
  redactForViewer,
} from '@/server/export/control/export-queries';
import { actorAndAddress, type AuditEntry, recordAudit } from '@/server/audit/audit-log';
import type { Viewer } from '@/server/auth/viewer';
import type { AppContext } from '@/server/app-context';
import { type ExportProgressMessage, openExportFeed } from '@/server/export/delivery/export-feed';
import { exportFileTree } from '@/server/export/delivery/file-tree';
import { operatorProcedure, router, viewerProcedure } from '../trpc';

export const StartExportInput = z.object({
  connectionId: z.string().min(1),
  formats: z.array(ExportFormat).min(1, 'Choose at least one format').default([...EXPORT_FORMATS]),
  options: ExportOptions.partial().optional(),
});

/** `lastEventId`: the position of the last message a client received (tRPC sends it again on reconnecting). */
export const OnProgressInput = z.object({ id: z.string(), lastEventId: z.string().regex(/^\d+$/).nullish() });

const ExportId = z.object({ id: z.string().min(1).max(200) });

/** Absolute paths of this machine (the export folder, paths in messages) are for administrators only. */
function asSeenBy<T extends Parameters<typeof redactForViewer>[0]>(viewer: Viewer, row: T) {
  return viewer.role === 'admin' ? row : { ...redactForViewer(row), outDir: null };
}

/** Each message's position becomes its SSE event id, so a reconnecting client resumes after it; its row as `viewer` may see it. */
async function* withEventIds(viewer: Viewer, feed: AsyncIterable<ExportProgressMessage>) {
  for await (const message of feed) yield tracked(String(message.position), { ...message, progress: asSeenBy(viewer, message.progress) });
}

/** What an export procedure's context holds once the role was checked. */
interface SignedInContext {
  app: AppContext;
  viewer: Viewer;
  address?: string;
}

/**
 * Records in the audit log what the signed-in person did to an export, with the name of its
 * connection (names only: never a path, a token or a message from Notion).
 */
async function auditExport(
  ctx: SignedInContext,
  action: string,
  exportId: string,
  detail: AuditEntry['detail'] = {},
  names?: { connectionName: string | null },
): Promise<void> {
  const { connectionName } = names ?? (await exportNames(ctx.app.database.db, exportId));
  await recordAudit(ctx.app.database.db, {
    action,
    ...actorAndAddress(ctx),
    target: { type: 'export', id: exportId },
    detail: { connection: connectionName, ...detail },
  });
}

const queryOptions = (app: AppContext) => ({ noRunner: !app.config.runnerEnabled, exportsDir: app.config.exportsDir });

export const exportsRouter = router({
  /** The most recent exports, narrowed by the filters given (status, connection, who started it). */
  list: viewerProcedure.input(ExportListFilter.optional()).query(async ({ ctx, input }) =>
    (await listExports(ctx.app.database.db, { ...queryOptions(ctx.app), filter: input ?? {} })).map((row) => asSeenBy(ctx.viewer, row)),
  ),
  /** What the list's filters can choose from. */
  filterChoices: viewerProcedure.query(({ ctx }) => exportFilterChoices(ctx.app.database.db)),
  get: viewerProcedure
    .input(z.object({ id: z.string() }))
    .query(async ({ ctx, input }) => asSeenBy(ctx.viewer, await getExport(ctx.app.database.db, input.id, queryOptions(ctx.app)))),
  /** The export's files as a tree (folders first, with sizes), for its page's preview. */
  files: viewerProcedure.input(ExportId).query(({ ctx, input }) => exportFileTree(ctx.app, input.id)),
  /** Starts an export; `queuedBehind` names the export of the same connection it waits for (one runs at a time). */
  start: operatorProcedure.input(StartExportInput).mutation(async ({ ctx, input }) => {
    const id = await requestExport(ctx.app, { ...input, requestedBy: 'dashboard', requestedByUser: ctx.viewer.email });
    const queuedBehind = await exportAheadOf(ctx.app.database.db, input.connectionId, id);
    await auditExport(ctx, 'export.started', id, { formats: input.formats });
    return { id, queuedBehind };
  }),
  /** Cancels an export and removes the files it wrote. */
  cancel: operatorProcedure.input(ExportId).mutation(async ({ ctx, input }) => {
    await cancelExport(ctx.app, input.id, 'Cancelled from the dashboard');
    await auditExport(ctx, 'export.cancelled', input.id);
    return { id: input.id };
  }),
  pause: operatorProcedure.input(ExportId).mutation(async ({ ctx, input }) => {
    await pauseExport(ctx.app, input.id, 'the dashboard');
    await auditExport(ctx, 'export.paused', input.id);
    return { id: input.id };
  }),
  resume: operatorProcedure.input(ExportId).mutation(async ({ ctx, input }) => {
    await resumeExport(ctx.app, input.id, 'the dashboard');
    await auditExport(ctx, 'export.resumed', input.id);
    return { id: input.id };
  }),
  retryFailed: operatorProcedure
    .input(z.object({ id: z.string().min(1).max(200), pageIds: z.array(z.string()).min(1).optional() }))
    .mutation(async ({ ctx, input }) => {
      const retried = await retryFailedPages(ctx.app, input.id, input.pageIds);
      await auditExport(ctx, 'export.retried', input.id, { pages: retried });
      return { id: input.id, retried };
    }),
  /** Deletes an export that is not queued or running: its files when its folder is its own, its rows and its events. */
  delete: operatorProcedure.input(ExportId).mutation(async ({ ctx, input }) => {
    const names = await exportNames(ctx.app.database.db, input.id);
    const deleted = await deleteExport(ctx.app, input.id);
    await auditExport(ctx, 'export.deleted', input.id, { filesRemoved: deleted.filesRemoved, bytes: deleted.bytes }, names);
    return { id: input.id, ...deleted };
  }),
  onProgress: viewerProcedure.input(OnProgressInput).subscription(async ({ ctx, input, signal }) => {
    const feed = await openExportFeed(ctx.app, input.id, Number(input.lastEventId ?? 0), signal ?? new AbortController().signal);
    return withEventIds(ctx.viewer, feed);
  }),
});
