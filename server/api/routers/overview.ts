import { getOverview } from '@/server/overview';
import { router, viewerProcedure } from '../trpc';

export const overviewRouter = router({
  /** What runs now, recent failures, and the health of the database, the disk and each connection. */
  get: viewerProcedure.query(({ ctx }) => getOverview(ctx.app)),
});
