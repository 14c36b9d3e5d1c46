import { AuditFilters, listAudit } from '@/server/audit/audit-query';
import { adminProcedure, router } from '../trpc';

export const auditRouter = router({
  /** The audit log, newest first, filtered; `cursor` is the `nextCursor` of the page before. */
  list: adminProcedure.input(AuditFilters).query(async ({ ctx, input }) => {
    const { entries, nextCursor } = await listAudit(ctx.app.database.db, input);
    return { entries: entries.map((entry) => ({ ...entry, at: entry.at.toISOString() })), nextCursor };
  }),
});
