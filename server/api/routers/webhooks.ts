import { z } from 'zod';
import { actorAndAddress, recordAudit } from '@/server/audit/audit-log';
import { listWebhookTokens, removeWebhookToken, useWebhookToken } from '@/server/webhooks/webhook-tokens';
import { adminProcedure, router } from '../trpc';

const TokenId = z.uuid({ message: 'Choose a token of the list' });

/**
 * The verification tokens Notion's webhook subscriptions sent (docs/webhooks.md): admins only, as
 * the list shows the tokens themselves (to paste into Notion). The audit log names a token by its
 * id, never by its value.
 */
export const webhooksRouter = router({
  /** Every token kept, newest first: pending ones, and those in use with their connection and last event. */
  tokens: adminProcedure.query(({ ctx }) => listWebhookTokens(ctx.app, Date.now())),
  /** Events signed with this token from now on request syncs of this connection. */
  useToken: adminProcedure
    .input(z.object({ id: TokenId, connectionId: z.string().min(1, 'Choose a connection').max(100) }))
    .mutation(async ({ ctx, input }) => {
      await useWebhookToken(ctx.app, input.id, input.connectionId, Date.now());
      await recordAudit(ctx.app.database.db, {
        action: 'webhook.token-used',
        ...actorAndAddress(ctx),
        target: { type: 'connection', id: input.connectionId },
        detail: { tokenId: input.id },
      });
      return { id: input.id, connectionId: input.connectionId };
    }),
  /** Forgets a token: events signed with it are refused from now on. */
  removeToken: adminProcedure.input(z.object({ id: TokenId })).mutation(async ({ ctx, input }) => {
    await removeWebhookToken(ctx.app, input.id);
    await recordAudit(ctx.app.database.db, {
      action: 'webhook.token-removed',
      ...actorAndAddress(ctx),
      target: { type: 'settings', id: `webhook.token.${input.id}` },
      detail: { tokenId: input.id },
    });
    return { id: input.id };
  }),
});
