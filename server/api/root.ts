import { connectionsRouter } from './routers/connections';
import { exportsRouter } from './routers/exports';
import { settingsRouter } from './routers/settings';
import { createCallerFactory, router } from './trpc';

export const appRouter = router({
  connections: connectionsRouter,
  exports: exportsRouter,
  settings: settingsRouter,
});

export type AppRouter = typeof appRouter;
export const createCaller = createCallerFactory(appRouter);
