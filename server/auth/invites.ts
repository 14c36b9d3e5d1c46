import { createHash, randomBytes } from 'node:crypto';
import { and, asc, eq, gt, isNull, notExists } from 'drizzle-orm';
import { alias } from 'drizzle-orm/sqlite-core';
import { z } from 'zod';
import { authUsers, invites } from '@/db/schema';
import { DomainError } from '@/server/errors';
import { publicUrlOf } from './auth';
import { ROLES, type Role } from './roles';
import { createUser, findUserByEmail, NewPassword, type UserAdminDeps, UserEmail, UserName } from './user-admin';

/** What inviting needs (an AppContext has it); `now` is the clock expiry is judged by (the system clock unless a test gives one). */
export interface InviteDeps extends UserAdminDeps {
  now?: () => number;
}

const HOUR_MS = 3_600_000;

/** How long a link stays valid: 7 days unless the admin says otherwise, from 1 hour to 30 days. */
export const INVITE_LIFETIME_HOURS = { default: 7 * 24, min: 1, max: 30 * 24 } as const;

export const NewInvite = z.object({
  email: UserEmail,
  role: z.enum(ROLES),
  lifetimeHours: z
    .number()
    .int()
    .min(INVITE_LIFETIME_HOURS.min, 'An invite lasts at least 1 hour')
    .max(INVITE_LIFETIME_HOURS.max, 'An invite lasts at most 30 days')
    .default(INVITE_LIFETIME_HOURS.default),
});
export type NewInvite = z.input<typeof NewInvite>;

/** A link's token as it arrives from the browser: anything of a sane length (what it is, the hash lookup decides). */
export const InviteToken = z.string().min(1).max(200);

export const AcceptInvite = z.object({
  token: InviteToken,
  name: UserName.optional(),
  password: NewPassword,
});
export type AcceptInvite = z.input<typeof AcceptInvite>;

/** A pending invite as admins see it. `id` is the SHA-256 of the link's token: it names the invite and cannot open it. */
export interface PendingInvite {
  id: string;
  email: string;
  role: string;
  /** The email of the admin who sent it (null once they are removed). */
  invitedBy: string | null;
  createdAt: Date;
  expiresAt: Date;
}

/** What a link is worth: `valid` (with whom it is for), or why not. */
export type InviteCheck =
  | { state: 'valid'; email: string; role: string; expiresAt: Date }
  | { state: 'expired' | 'used' | 'unknown' };

const REFUSALS: Record<Exclude<InviteCheck['state'], 'valid'>, string> = {
  expired: 'This invite link has expired. Ask an admin to send you a new one.',
  used: 'This invite link has been used already. Sign in with the account it made, or ask an admin for a new link.',
  unknown: 'This invite link is not valid (it may have been revoked or replaced by a newer one). Ask an admin for a new link.',
};

/** Accepting refused: the link is expired, used or unknown. The message says what to do; it never repeats the token. */
export class InviteRefusedError extends DomainError {
  constructor(readonly state: keyof typeof REFUSALS) {
    super(state === 'unknown' ? 'NOT_FOUND' : 'INVALID_STATE', REFUSALS[state]);
    this.name = 'InviteRefusedError';
  }
}

/** The accounts table once more, to ask whether an invited email has an account already. */
const taken = alias(authUsers, 'taken');

const hashOf = (token: string) => createHash('sha256').update(token, 'utf8').digest('hex');
const nowOf = (deps: InviteDeps) => new Date((deps.now ?? Date.now)());
const badInput = (error: z.ZodError) => new DomainError('BAD_INPUT', error.issues.map((issue) => issue.message).join('; '));

/**
 * Invites `email` to make an account with `role`. Returns the link, the only time it exists: only
 * the SHA-256 of its random 32-byte token is stored. A new invite for the same email voids the
 * older unused ones. Refused when the email has an account already.
 */
export async function createInvite(
  deps: InviteDeps,
  input: NewInvite,
  invitedBy: { id: string },
): Promise<{ invite: PendingInvite; link: string }> {
  const parsed = NewInvite.safeParse(input);
  if (!parsed.success) throw badInput(parsed.error);
  const { email, role, lifetimeHours } = parsed.data;
  if (await findUserByEmail(deps, email)) throw new DomainError('CONFLICT', `${email} has an account already`);
  const token = randomBytes(32).toString('base64url');
  const createdAt = nowOf(deps);
  const row = {
    tokenHash: hashOf(token),
    email,
    role,
    invitedBy: invitedBy.id,
    createdAt,
    expiresAt: new Date(createdAt.getTime() + lifetimeHours * HOUR_MS),
  };
  await deps.database.db.transaction(async (tx) => {
    await tx.delete(invites).where(and(eq(invites.email, email), isNull(invites.usedAt)));
    await tx.insert(invites).values(row);
  });
  const [inviter] = await deps.database.db.select({ email: authUsers.email }).from(authUsers).where(eq(authUsers.id, invitedBy.id));
  return {
    invite: { id: row.tokenHash, email, role, invitedBy: inviter?.email ?? null, createdAt, expiresAt: row.expiresAt },
    link: `${publicUrlOf(deps.config)}/invite/${token}`,
  };
}

/** Invites not used, not expired and not for an email that has an account, the soonest to expire first. */
export async function listPendingInvites(deps: InviteDeps): Promise<PendingInvite[]> {
  return deps.database.db
    .select({
      id: invites.tokenHash,
      email: invites.email,
      role: invites.role,
      invitedBy: authUsers.email,
      createdAt: invites.createdAt,
      expiresAt: invites.expiresAt,
    })
    .from(invites)
    .leftJoin(authUsers, eq(authUsers.id, invites.invitedBy))
    .where(
      and(
        isNull(invites.usedAt),
        gt(invites.expiresAt, nowOf(deps)),
        // Someone added meanwhile with a password is no longer waiting (accepting would be refused).
        notExists(deps.database.db.select({ id: taken.id }).from(taken).where(eq(taken.email, invites.email))),
      ),
    )
    .orderBy(asc(invites.expiresAt));
}

/** Voids an unused invite (its link then says it is not valid). */
export async function revokeInvite(deps: InviteDeps, id: string): Promise<{ email: string; role: string }> {
  const [row] = await deps.database.db
    .delete(invites)
    .where(and(eq(invites.tokenHash, id), isNull(invites.usedAt)))
    .returning({ email: invites.email, role: invites.role });
  if (!row) throw new DomainError('NOT_FOUND', 'There is no such pending invite (it may have been used or revoked already)');
  return row;
}

/** What the link `token` is worth now. */
export async function checkInvite(deps: InviteDeps, token: string): Promise<InviteCheck> {
  const [row] = await deps.database.db.select().from(invites).where(eq(invites.tokenHash, hashOf(token)));
  if (!row) return { state: 'unknown' };
  if (row.usedAt) return { state: 'used' };
  if (row.expiresAt.getTime() <= nowOf(deps).getTime()) return { state: 'expired' };
  return { state: 'valid', email: row.email, role: row.role, expiresAt: row.expiresAt };
}

/**
 * Makes the invited person's account with the name and password they chose. The invite is taken
 * by one conditional UPDATE (unused and unexpired → used), so accepting twice, or two accepts at
 * once, make one account; if making the account then fails (the email was taken meanwhile, say),
 * the invite is given back.
 */
export async function acceptInvite(deps: InviteDeps, input: AcceptInvite): Promise<{ id: string; email: string; role: string; invitedBy: string }> {
  const parsed = AcceptInvite.safeParse(input);
  if (!parsed.success) throw badInput(parsed.error);
  const { token, name, password } = parsed.data;
  const tokenHash = hashOf(token);
  const usedAt = nowOf(deps);
  const [invite] = await deps.database.db
    .update(invites)
    .set({ usedAt })
    .where(and(eq(invites.tokenHash, tokenHash), isNull(invites.usedAt), gt(invites.expiresAt, usedAt)))
    .returning();
  if (!invite) {
    const check = await checkInvite(deps, token);
    // Valid now but not a moment ago cannot happen; read as used (another accept gave it back).
    throw new InviteRefusedError(check.state === 'valid' ? 'used' : check.state);
  }
  try {
    const user = await createUser(deps, { email: invite.email, role: invite.role as Role, name, password });
    return { id: user.id, email: user.email, role: invite.role, invitedBy: invite.invitedBy };
  } catch (error) {
    await deps.database.db
      .update(invites)
      .set({ usedAt: null })
      .where(and(eq(invites.tokenHash, tokenHash), eq(invites.usedAt, usedAt)));
    throw error;
  }
}
