import { z } from 'zod';
import { actorAndAddress, audited } from '@/server/audit/audit-log';
import { createInvite, listPendingInvites, NewInvite, revokeInvite } from '@/server/auth/invites';
import { ROLES } from '@/server/auth/roles';
import { createUser, disableUser, enableUser, listUsers, NewUser, removeUser, setUserRole } from '@/server/auth/user-admin';
import { adminProcedure, router } from '../trpc';

const UserId = z.object({ id: z.string().min(1).max(200) });

export const usersRouter = router({
  list: adminProcedure.query(async ({ ctx }) =>
    (await listUsers(ctx.app)).map((u) => ({
      ...u,
      createdAt: u.createdAt.toISOString(),
      status: u.disabled ? ('disabled' as const) : ('active' as const),
      you: u.id === ctx.viewer.id,
    })),
  ),
  create: adminProcedure.input(NewUser).mutation(async ({ ctx, input }) => {
    const user = await audited(
      ctx.app.database.db,
      { action: 'user.created', ...actorAndAddress(ctx), detail: { email: input.email, role: input.role } },
      () => createUser(ctx.app, input),
      (u) => ({ target: { type: 'user', id: u.id } }),
    );
    return { id: user.id, email: user.email, role: user.role };
  }),
  /** Never the last enabled admin (yourself, when you are it). */
  setRole: adminProcedure.input(UserId.extend({ role: z.enum(ROLES) })).mutation(async ({ ctx, input }) => {
    await audited(
      ctx.app.database.db,
      { action: 'user.role-changed', ...actorAndAddress(ctx), target: { type: 'user', id: input.id }, detail: { to: input.role } },
      () => setUserRole(ctx.app, input.id, input.role),
      (u) => ({ detail: { email: u.email, from: u.role } }),
    );
    return { id: input.id, role: input.role };
  }),
  /** They cannot sign in, and their sessions end. Never yourself, never the last enabled admin. */
  disable: adminProcedure.input(UserId).mutation(async ({ ctx, input }) => {
    await audited(
      ctx.app.database.db,
      { action: 'user.disabled', ...actorAndAddress(ctx), target: { type: 'user', id: input.id } },
      () => disableUser(ctx.app, input.id, ctx.viewer),
      (u) => ({ detail: { email: u.email } }),
    );
    return { id: input.id, status: 'disabled' as const };
  }),
  enable: adminProcedure.input(UserId).mutation(async ({ ctx, input }) => {
    await audited(
      ctx.app.database.db,
      { action: 'user.enabled', ...actorAndAddress(ctx), target: { type: 'user', id: input.id } },
      () => enableUser(ctx.app, input.id),
      (u) => ({ detail: { email: u.email } }),
    );
    return { id: input.id, status: 'active' as const };
  }),
  /** Never the last enabled admin (yourself, when you are it). */
  remove: adminProcedure.input(UserId).mutation(async ({ ctx, input }) => {
    await audited(
      ctx.app.database.db,
      { action: 'user.removed', ...actorAndAddress(ctx), target: { type: 'user', id: input.id } },
      () => removeUser(ctx.app, input.id),
      (u) => ({ detail: { email: u.email, role: u.role } }),
    );
    return { id: input.id };
  }),
  /** An invite link for `email` with `role`, shown this once (only its hash is kept). */
  invite: adminProcedure.input(NewInvite).mutation(async ({ ctx, input }) => {
    const { invite, link } = await audited(
      ctx.app.database.db,
      { action: 'user.invited', ...actorAndAddress(ctx), detail: { email: input.email, role: input.role, lifetimeHours: input.lifetimeHours } },
      () => createInvite(ctx.app, input, ctx.viewer),
      // The invite's id (its token's hash), never the link.
      ({ invite }) => ({ target: { type: 'invite', id: invite.id } }),
    );
    return { ...inviteView(invite), link };
  }),
  /** Invites not yet used and not expired. */
  invites: adminProcedure.query(async ({ ctx }) => (await listPendingInvites(ctx.app)).map(inviteView)),
  revokeInvite: adminProcedure.input(UserId).mutation(async ({ ctx, input }) => {
    await audited(
      ctx.app.database.db,
      { action: 'invite.revoked', ...actorAndAddress(ctx), target: { type: 'invite', id: input.id } },
      () => revokeInvite(ctx.app, input.id),
      (invite) => ({ detail: { email: invite.email, role: invite.role } }),
    );
    return { id: input.id };
  }),
});

const inviteView = (invite: Awaited<ReturnType<typeof listPendingInvites>>[number]) => ({
  ...invite,
  status: 'invited' as const,
  createdAt: invite.createdAt.toISOString(),
  expiresAt: invite.expiresAt.toISOString(),
});
