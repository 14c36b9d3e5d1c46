import { connectionsRouter } from './routers/connections';
import { exportsRouter } from './routers/exports';
import { createCallerFactory, router } from './trpc';

export const appRouter = router({
  connections: connectionsRouter,
  exports: exportsRouter,
});

export type AppRouter = typeof appRouter;
export const createCaller = createCallerFactory(appRouter);
