import { adminProcedure, router, viewerProcedure } from '../trpc';
import { RuntimeSettings, readSettings, writeSettings } from '@/server/settings';

export const settingsRouter = router({
  /** The request budget, shown beside an export's live rate. */
  get: viewerProcedure.query(({ ctx }) =>
    readSettings(ctx.app.database.db, { requestsPerSecond: ctx.app.config.requestsPerSecond }),
  ),
  update: adminProcedure
    .input(RuntimeSettings.partial())
    .mutation(({ ctx, input }) =>
      writeSettings(ctx.app.database.db, input, { requestsPerSecond: ctx.app.config.requestsPerSecond }),
    ),
});
