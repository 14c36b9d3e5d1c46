import { z } from 'zod';
import { actorAndAddress } from '@/server/audit/audit-log';
import {
  createConnection,
  listConnections,
  removeConnection,
  renameConnection,
  testConnection,
  updateConnectionToken,
} from '@/server/connections/connections';
import { deleteExport } from '@/server/export/control/delete-export';
import { resumeAuthPausedExports } from '@/server/export/control/export-control';
import { adminProcedure, operatorProcedure, router } from '../trpc';

export const CreateConnectionInput = z.object({
  name: z.string().trim().max(100).optional(),
  token: z.string().trim().min(1, 'Enter the integration token'),
  baseUrl: z
    .union([z.literal(''), z.url({ protocol: /^https?$/, message: 'The API base URL must be an http(s) URL' })])
    .optional(),
});

const ConnectionId = z.string().min(1);

export const connectionsRouter = router({
  list: operatorProcedure.query(({ ctx }) => listConnections(ctx.app)),
  create: adminProcedure
    .input(CreateConnectionInput)
    .mutation(({ ctx, input }) => createConnection(ctx.app, { ...input, baseUrl: input.baseUrl || undefined }, actorAndAddress(ctx))),
  updateToken: adminProcedure
    .input(z.object({ id: ConnectionId, token: z.string().trim().min(1, 'Enter the integration token') }))
    .mutation(async ({ ctx, input }) => {
      const connection = await updateConnectionToken(ctx.app, input.id, input.token, actorAndAddress(ctx));
      // Exports that paused because Notion refused the old token go on with the new one.
      const resumed = await resumeAuthPausedExports(ctx.app, input.id);
      return { connection, resumed };
    }),
  /** Asks Notion whether the stored token still works: harmless, so operators may too. */
  test: operatorProcedure
    .input(z.object({ id: ConnectionId }))
    .mutation(({ ctx, input }) => testConnection(ctx.app, input.id, actorAndAddress(ctx))),
  rename: adminProcedure
    .input(z.object({ id: ConnectionId, name: z.string().trim().min(1, 'Enter a name').max(100, 'At most 100 characters') }))
    .mutation(({ ctx, input }) => renameConnection(ctx.app, input.id, input.name, actorAndAddress(ctx))),
  remove: adminProcedure
    .input(z.object({ id: ConnectionId, keepExports: z.boolean() }))
    .mutation(({ ctx, input }) => removeConnection(ctx.app, input, deleteExport, actorAndAddress(ctx))),
});
