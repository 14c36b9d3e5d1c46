import { z } from 'zod';
import { ROLES } from '@/server/auth/roles';
import { createUser, listUsers, NewUser, removeUser, setUserRole } from '@/server/auth/user-admin';
import { adminProcedure, router } from '../trpc';

export const usersRouter = router({
  list: adminProcedure.query(async ({ ctx }) =>
    (await listUsers(ctx.app)).map((u) => ({ ...u, createdAt: u.createdAt.toISOString(), you: u.id === ctx.viewer.id })),
  ),
  create: adminProcedure.input(NewUser).mutation(async ({ ctx, input }) => {
    const user = await createUser(ctx.app, input);
    return { id: user.id, email: user.email, role: user.role };
  }),
  setRole: adminProcedure
    .input(z.object({ id: z.string().min(1), role: z.enum(ROLES) }))
    .mutation(async ({ ctx, input }) => {
      await setUserRole(ctx.app, input.id, input.role);
      return { id: input.id, role: input.role };
    }),
  /** Never the last admin (yourself, when you are it). */
  remove: adminProcedure.input(z.object({ id: z.string().min(1) })).mutation(async ({ ctx, input }) => {
    await removeUser(ctx.app, input.id);
    return { id: input.id };
  }),
});
