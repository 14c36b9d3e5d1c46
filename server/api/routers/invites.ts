import { z } from 'zod';
import { recordAudit } from '@/server/audit/audit-log';
import { AcceptInvite, acceptInvite, checkInvite, InviteRefusedError, InviteToken } from '@/server/auth/invites';
import { publicProcedure, router } from '../trpc';

/**
 * The invite page's two calls, public: the link's token is what lets them in (only its SHA-256 is
 * stored, 32 random bytes cannot be guessed), and neither says anything without a valid one.
 */
export const invitesRouter = router({
  /** Whether the link is still good, and for whom; or that it is expired, used or unknown. */
  check: publicProcedure.input(z.object({ token: InviteToken })).query(async ({ ctx, input }) => {
    const check = await checkInvite(ctx.app, input.token);
    return check.state === 'valid' ? { ...check, expiresAt: check.expiresAt.toISOString() } : check;
  }),
  /** Makes the account; the page then signs in with the same email and password. */
  accept: publicProcedure.input(AcceptInvite).mutation(async ({ ctx, input }) => {
    const db = ctx.app.database.db;
    try {
      const user = await acceptInvite(ctx.app, input);
      await recordAudit(db, {
        action: 'invite.accepted',
        actor: { id: user.id, email: user.email },
        address: ctx.address,
        target: { type: 'user', id: user.id },
        detail: { email: user.email, role: user.role },
      });
      return { email: user.email };
    } catch (error) {
      // Refused links are recorded (someone trying old or made-up links); other refusals (a short password) are the form's business.
      if (error instanceof InviteRefusedError) {
        await recordAudit(db, { action: 'invite.accepted', outcome: 'refused', address: ctx.address, detail: { reason: error.state } });
      }
      throw error;
    }
  }),
});
