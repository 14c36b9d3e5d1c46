import { tracked } from '@trpc/server';
import { z } from 'zod';
import { EXPORT_FORMATS, ExportFormat, ExportOptions } from '@/server/export/domain/export';
import { requestExport } from '@/server/export/control/request-export';
import { cancelExport, pauseExport, resumeExport, retryFailedPages } from '@/server/export/control/export-control';
import { getExport, listExports, redactForViewer } from '@/server/export/control/export-queries';
import type { Viewer } from '@/server/auth/viewer';
import { type ExportProgressMessage, openExportFeed } from '@/server/export/delivery/export-feed';
import { operatorProcedure, router, viewerProcedure } from '../trpc';

export const StartExportInput = z.object({
  connectionId: z.string().min(1),
  formats: z.array(ExportFormat).min(1, 'Choose at least one format').default([...EXPORT_FORMATS]),
  options: ExportOptions.partial().optional(),
});

/** `lastEventId`: the position of the last message a client received (tRPC sends it again on reconnecting). */
export const OnProgressInput = z.object({ id: z.string(), lastEventId: z.string().regex(/^\d+$/).nullish() });

/** Each message's position becomes its SSE event id, so a reconnecting client resumes after it. */
async function* withEventIds(feed: AsyncIterable<ExportProgressMessage>) {
  for await (const message of feed) yield tracked(String(message.position), message);
}

/** Absolute paths of this machine (the export folder, paths in messages) are for administrators only. */
function asSeenBy<T extends Parameters<typeof redactForViewer>[0]>(viewer: Viewer, row: T) {
  return viewer.role === 'admin' ? row : { ...redactForViewer(row), outDir: null };
}

export const exportsRouter = router({
  list: viewerProcedure.query(async ({ ctx }) =>
    (await listExports(ctx.app.database.db, { noRunner: !ctx.app.config.runnerEnabled })).map((row) => asSeenBy(ctx.viewer, row)),
  ),
  get: viewerProcedure
    .input(z.object({ id: z.string() }))
    .query(async ({ ctx, input }) =>
      asSeenBy(ctx.viewer, await getExport(ctx.app.database.db, input.id, { noRunner: !ctx.app.config.runnerEnabled })),
    ),
  start: operatorProcedure.input(StartExportInput).mutation(async ({ ctx, input }) => {
    const id = await requestExport(ctx.app, { ...input, requestedBy: 'dashboard' });
    return { id };
  }),
  cancel: operatorProcedure.input(z.object({ id: z.string() })).mutation(async ({ ctx, input }) => {
    await cancelExport(ctx.app, input.id, 'Cancelled from the dashboard');
    return { id: input.id };
  }),
  pause: operatorProcedure.input(z.object({ id: z.string() })).mutation(async ({ ctx, input }) => {
    await pauseExport(ctx.app, input.id, 'the dashboard');
    return { id: input.id };
  }),
  resume: operatorProcedure.input(z.object({ id: z.string() })).mutation(async ({ ctx, input }) => {
    await resumeExport(ctx.app, input.id, 'the dashboard');
    return { id: input.id };
  }),
  retryFailed: operatorProcedure
    .input(z.object({ id: z.string(), pageIds: z.array(z.string()).min(1).optional() }))
    .mutation(async ({ ctx, input }) => ({ id: input.id, retried: await retryFailedPages(ctx.app, input.id, input.pageIds) })),
  onProgress: viewerProcedure.input(OnProgressInput).subscription(async ({ ctx, input, signal }) => {
    const feed = await openExportFeed(ctx.app, input.id, Number(input.lastEventId ?? 0), signal ?? new AbortController().signal);
    return withEventIds(feed);
  }),
});
