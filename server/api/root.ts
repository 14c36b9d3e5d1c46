import { roleAllows } from '@/server/auth/roles';
import { auditRouter } from './routers/audit';
import { connectionsRouter } from './routers/connections';
import { exportsRouter } from './routers/exports';
import { invitesRouter } from './routers/invites';
import { overviewRouter } from './routers/overview';
import { schedulesRouter } from './routers/schedules';
import { settingsRouter } from './routers/settings';
import { snapshotsRouter } from './routers/snapshots';
import { systemRouter } from './routers/system';
import { usersRouter } from './routers/users';
import { webhooksRouter } from './routers/webhooks';
import { createCallerFactory, router, viewerProcedure } from './trpc';

export const appRouter = router({
  /** Who is signed in, and what the dashboard should offer them. */
  me: viewerProcedure.query(({ ctx }) => {
    const { id, email, name, role } = ctx.viewer;
    return { id, email, name, role, can: { operate: roleAllows(role, 'operator'), administer: roleAllows(role, 'admin') } };
  }),
  audit: auditRouter,
  connections: connectionsRouter,
  exports: exportsRouter,
  invites: invitesRouter,
  overview: overviewRouter,
  schedules: schedulesRouter,
  settings: settingsRouter,
  snapshots: snapshotsRouter,
  system: systemRouter,
  users: usersRouter,
  webhooks: webhooksRouter,
});

export type AppRouter = typeof appRouter;
export const createCaller = createCallerFactory(appRouter);
