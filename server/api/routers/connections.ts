import { z } from 'zod';
import { createConnection, listConnections, updateConnectionToken } from '@/server/connections/connections';
import { resumeAuthPausedExports } from '@/server/export/control/export-control';
import { adminProcedure, operatorProcedure, router } from '../trpc';

export const CreateConnectionInput = z.object({
  name: z.string().trim().max(100).optional(),
  token: z.string().trim().min(1, 'Enter the integration token'),
  baseUrl: z
    .union([z.literal(''), z.url({ protocol: /^https?$/, message: 'The API base URL must be an http(s) URL' })])
    .optional(),
});

export const connectionsRouter = router({
  list: operatorProcedure.query(({ ctx }) => listConnections(ctx.app)),
  create: adminProcedure
    .input(CreateConnectionInput)
    .mutation(({ ctx, input }) => createConnection(ctx.app, { ...input, baseUrl: input.baseUrl || undefined })),
  updateToken: adminProcedure
    .input(z.object({ id: z.string().min(1), token: z.string().trim().min(1, 'Enter the integration token') }))
    .mutation(async ({ ctx, input }) => {
      const connection = await updateConnectionToken(ctx.app, input.id, input.token);
      // Exports that paused because Notion refused the old token go on with the new one.
      const resumed = await resumeAuthPausedExports(ctx.app, input.id);
      return { connection, resumed };
    }),
});
