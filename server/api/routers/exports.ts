import { and, asc, desc, eq } from 'drizzle-orm';
import { z } from 'zod';
import { exportIssues, exportItems, exports } from '@/db/schema';
import { DomainError } from '@/server/errors';
import { EXPORT_FORMATS, ExportFormat, ExportOptions } from '@/server/export/domain/export';
import { requestExport } from '@/server/export/control/request-export';
import { cancelExport, pauseExport, resumeExport, retryFailedPages } from '@/server/export/control/export-control';
import { publicProcedure, router } from '../trpc';

export const StartExportInput = z.object({
  connectionId: z.string().min(1),
  formats: z.array(ExportFormat).min(1, 'Choose at least one format').default([...EXPORT_FORMATS]),
  options: ExportOptions.partial().optional(),
});

export const exportsRouter = router({
  list: publicProcedure.query(({ ctx }) =>
    ctx.app.database.db.select().from(exports).orderBy(desc(exports.requestedAt)).limit(100),
  ),
  get: publicProcedure.input(z.object({ id: z.string() })).query(async ({ ctx, input }) => {
    const [row] = await ctx.app.database.db.select().from(exports).where(eq(exports.id, input.id));
    if (!row) throw new DomainError('NOT_FOUND', `Export ${input.id} does not exist`);
    const failures = await ctx.app.database.db
      .select({ id: exportItems.itemId, kind: exportItems.kind, title: exportItems.title, error: exportItems.error })
      .from(exportItems)
      .where(and(eq(exportItems.exportId, input.id), eq(exportItems.status, 'failed')))
      .orderBy(asc(exportItems.seq))
      .limit(500);
    const issues = await ctx.app.database.db
      .select({ itemId: exportIssues.itemId, kind: exportIssues.kind, sourceId: exportIssues.sourceId, message: exportIssues.message })
      .from(exportIssues)
      .where(eq(exportIssues.exportId, input.id))
      .orderBy(asc(exportIssues.id))
      .limit(500);
    return { ...row, failures, issues };
  }),
  start: publicProcedure.input(StartExportInput).mutation(async ({ ctx, input }) => {
    const id = await requestExport(ctx.app, { ...input, requestedBy: 'dashboard' });
    return { id };
  }),
  cancel: publicProcedure.input(z.object({ id: z.string() })).mutation(async ({ ctx, input }) => {
    await cancelExport(ctx.app, input.id, 'Cancelled from the dashboard');
    return { id: input.id };
  }),
  pause: publicProcedure.input(z.object({ id: z.string() })).mutation(async ({ ctx, input }) => {
    await pauseExport(ctx.app, input.id, 'the dashboard');
    return { id: input.id };
  }),
  resume: publicProcedure.input(z.object({ id: z.string() })).mutation(async ({ ctx, input }) => {
    await resumeExport(ctx.app, input.id, 'the dashboard');
    return { id: input.id };
  }),
  retryFailed: publicProcedure
    .input(z.object({ id: z.string(), pageIds: z.array(z.string()).min(1).optional() }))
    .mutation(async ({ ctx, input }) => ({ id: input.id, retried: await retryFailedPages(ctx.app, input.id, input.pageIds) })),
});
