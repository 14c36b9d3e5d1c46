import { publicProcedure, router } from '../trpc';
import { RuntimeSettings, readSettings, writeSettings } from '@/server/settings';

export const settingsRouter = router({
  get: publicProcedure.query(({ ctx }) =>
    readSettings(ctx.app.database.db, { requestsPerSecond: ctx.app.config.requestsPerSecond }),
  ),
  update: publicProcedure
    .input(RuntimeSettings.partial())
    .mutation(({ ctx, input }) =>
      writeSettings(ctx.app.database.db, input, { requestsPerSecond: ctx.app.config.requestsPerSecond }),
    ),
});
