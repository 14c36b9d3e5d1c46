import { and, asc, eq, or, sql } from 'drizzle-orm';
import { z } from 'zod';
import type { Database } from '@/db/client';
import { authAccounts, authSessions, authUsers } from '@/db/schema';
import { DomainError } from '@/server/errors';
import type { Config } from '@/server/config';
import { authOf, MAX_PASSWORD_LENGTH, MIN_PASSWORD_LENGTH } from './auth';
import { ROLES, type Role } from './roles';

/** What managing people needs (an AppContext has it). */
export interface UserAdminDeps {
  config: Config;
  database: Database;
}

/** An account's email as it is stored (lower case: one account per address however it is typed). */
export const UserEmail = z.email('Enter an email address').trim().toLowerCase();
export const UserName = z.string().trim().max(100);
/** A password someone chooses (an admin for a new user, the invited person, a password change). */
export const NewPassword = z
  .string()
  .min(MIN_PASSWORD_LENGTH, `The password needs at least ${MIN_PASSWORD_LENGTH} characters`)
  .max(MAX_PASSWORD_LENGTH);

export const NewUser = z.object({
  email: UserEmail,
  name: UserName.optional(),
  role: z.enum(ROLES),
  password: NewPassword,
});
export type NewUser = z.input<typeof NewUser>;

export interface UserRow {
  id: string;
  email: string;
  name: string;
  role: string | null;
  createdAt: Date;
  /** Disabled people cannot sign in (better-auth's admin plugin refuses a session to a banned user). */
  disabled: boolean;
}

const userColumns = {
  id: authUsers.id,
  email: authUsers.email,
  name: authUsers.name,
  role: authUsers.role,
  createdAt: authUsers.createdAt,
  disabled: sql<number>`coalesce(${authUsers.banned}, 0)`.mapWith((value) => Boolean(Number(value))),
};

export async function listUsers(deps: UserAdminDeps): Promise<UserRow[]> {
  return deps.database.db.select(userColumns).from(authUsers).orderBy(asc(authUsers.email));
}

/** A new person with a password, through better-auth's admin API (hashing, the credential account). */
export async function createUser(deps: UserAdminDeps, input: NewUser): Promise<UserRow> {
  const parsed = NewUser.safeParse(input);
  if (!parsed.success) throw new DomainError('BAD_INPUT', parsed.error.issues.map((issue) => issue.message).join('; '));
  const { email, role, password } = parsed.data;
  if (await findUserByEmail(deps, email)) throw new DomainError('CONFLICT', `A user with the email ${email} exists already`);
  try {
    const { user } = await authOf(deps).api.createUser({ body: { email, password, role, name: parsed.data.name || email.split('@')[0] || email } });
    return { id: user.id, email: user.email, name: user.name, role: user.role ?? null, createdAt: user.createdAt, disabled: false };
  } catch (error) {
    throw new DomainError('BAD_INPUT', `The user could not be created: ${authErrorMessage(error)}`);
  }
}

export async function findUserByEmail(deps: UserAdminDeps, email: string): Promise<UserRow | undefined> {
  const [row] = await deps.database.db.select(userColumns).from(authUsers).where(eq(authUsers.email, email.trim().toLowerCase()));
  return row;
}

export async function findUserById(deps: Pick<UserAdminDeps, 'database'>, userId: string): Promise<UserRow | undefined> {
  const [row] = await deps.database.db.select(userColumns).from(authUsers).where(eq(authUsers.id, userId));
  return row;
}

export async function countAdmins(deps: Pick<UserAdminDeps, 'database'>): Promise<number> {
  const [row] = await deps.database.db.select({ n: sql<number>`count(*)` }).from(authUsers).where(eq(authUsers.role, 'admin'));
  return Number(row?.n ?? 0);
}

/** An admin who may sign in (not disabled). */
const isEnabledAdmin = sql`(${authUsers.role} is 'admin' and coalesce(${authUsers.banned}, 0) = 0)`;

/**
 * The statement's own condition: the user is no enabled admin, or another enabled admin remains
 * (a disabled admin cannot sign in, so they do not count). Checked in the same statement as the change.
 */
const keepsAnAdmin = or(
  sql`not ${isEnabledAdmin}`,
  sql`(select count(*) from ${authUsers} where ${isEnabledAdmin}) > 1`,
);

/** Who a change was made to, for the audit log. */
export interface ChangedUser {
  email: string;
  /** The role before the change. */
  role: string | null;
}

/** Changes a role; the last enabled admin cannot stop being one. Its sessions stay (roles are read at every request). */
export async function setUserRole(deps: UserAdminDeps, userId: string, role: Role): Promise<ChangedUser> {
  // Read first for the audit log's "from"; the update below decides on its own.
  const before = await findUserById(deps, userId);
  const changed = await deps.database.db
    .update(authUsers)
    .set({ role, updatedAt: new Date() })
    .where(and(eq(authUsers.id, userId), role === 'admin' ? undefined : keepsAnAdmin))
    .returning({ email: authUsers.email });
  const [row] = changed;
  if (!row) return explainRefusal(deps, userId, 'change the role of');
  return { email: row.email, role: before?.role ?? null };
}

/**
 * Disables a person: they cannot sign in and their sessions end. This is better-auth's admin
 * plugin's ban (the `banned` column its session hook refuses, with the sessions deleted as its
 * ban-user endpoint does), written here rather than through that endpoint because the endpoint
 * wants an admin's session (the CLI has none) and cannot refuse the last enabled admin in the same
 * statement. Never yourself (`by`), never the last enabled admin.
 */
export async function disableUser(deps: UserAdminDeps, userId: string, by?: { id: string }): Promise<ChangedUser> {
  if (by?.id === userId) throw new DomainError('INVALID_STATE', 'You cannot disable yourself');
  const rows = await deps.database.db.transaction(async (tx) => {
    const changed = await tx
      .update(authUsers)
      .set({ banned: true, banReason: 'Disabled by an admin', banExpires: null, updatedAt: new Date() })
      .where(and(eq(authUsers.id, userId), keepsAnAdmin))
      .returning({ email: authUsers.email, role: authUsers.role });
    if (changed.length > 0) await tx.delete(authSessions).where(eq(authSessions.userId, userId));
    return changed;
  });
  const [row] = rows;
  if (!row) return explainRefusal(deps, userId, 'disable');
  return row;
}

/** Lets a disabled person sign in again (better-auth's unban). */
export async function enableUser(deps: UserAdminDeps, userId: string): Promise<ChangedUser> {
  const [row] = await deps.database.db
    .update(authUsers)
    .set({ banned: false, banReason: null, banExpires: null, updatedAt: new Date() })
    .where(eq(authUsers.id, userId))
    .returning({ email: authUsers.email, role: authUsers.role });
  if (!row) throw new DomainError('NOT_FOUND', 'There is no such user');
  return row;
}

/** Removes a person with their sessions and accounts (foreign keys cascade); never the last enabled admin. */
export async function removeUser(deps: UserAdminDeps, userId: string): Promise<ChangedUser> {
  const removed = await deps.database.db.transaction(async (tx) => {
    const rows = await tx
      .delete(authUsers)
      .where(and(eq(authUsers.id, userId), keepsAnAdmin))
      .returning({ email: authUsers.email, role: authUsers.role });
    // The foreign keys cascade; said again for a database that does not enforce them.
    if (rows.length > 0) {
      await tx.delete(authSessions).where(eq(authSessions.userId, userId));
      await tx.delete(authAccounts).where(eq(authAccounts.userId, userId));
    }
    return rows;
  });
  const [row] = removed;
  if (!row) return explainRefusal(deps, userId, 'remove');
  return row;
}

async function explainRefusal(deps: UserAdminDeps, userId: string, what: string): Promise<never> {
  const [row] = await deps.database.db.select({ id: authUsers.id }).from(authUsers).where(eq(authUsers.id, userId));
  if (!row) throw new DomainError('NOT_FOUND', 'There is no such user');
  throw new DomainError('INVALID_STATE', `Cannot ${what} the last enabled admin: make another admin first`);
}

/** better-auth's message for people (its errors carry no secret), or a generic one. */
export function authErrorMessage(error: unknown): string {
  const body = (error as { body?: { message?: unknown } } | undefined)?.body;
  return typeof body?.message === 'string' ? body.message : 'unexpected error';
}
