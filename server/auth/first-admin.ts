import { createHash, randomBytes } from 'node:crypto';
import { eq } from 'drizzle-orm';
import { z } from 'zod';
import { setupTokens } from '@/db/schema';
import { DomainError } from '@/server/errors';
import { publicUrlOf } from './auth';
import { countAdmins, createUser, NewUser, type UserAdminDeps } from './user-admin';

/** What making the first admin needs (an AppContext has it). */
export type FirstAdminDeps = UserAdminDeps;

export type FirstAdminOutcome = 'admin-exists' | 'admin-created' | 'setup-link';

const hashOf = (token: string) => createHash('sha256').update(token, 'utf8').digest('hex');

/**
 * At the dashboard's start: while no admin exists, ADMIN_EMAIL + ADMIN_PASSWORD make one; without
 * them, a one-time setup link is written to `log` (stderr). Only the link token's SHA-256 is stored,
 * and a new link replaces the older ones. Once an admin exists, every link is void.
 */
export async function ensureFirstAdmin(deps: FirstAdminDeps, log: (line: string) => void): Promise<FirstAdminOutcome> {
  const db = deps.database.db;
  if ((await countAdmins(deps)) > 0) {
    await db.delete(setupTokens);
    return 'admin-exists';
  }
  const wanted = deps.config.firstAdmin;
  if (wanted) {
    try {
      await createUser(deps, { email: wanted.email, password: wanted.password, role: 'admin', name: 'Admin' });
      await db.delete(setupTokens);
      log(`notion-sync: created the first admin, ${wanted.email} (ADMIN_EMAIL).`);
      return 'admin-created';
    } catch (error) {
      // Another process made it first, or the address belongs to someone who is no admin.
      if ((await countAdmins(deps)) > 0) return 'admin-exists';
      log(`notion-sync: could not create the admin ${wanted.email}: ${error instanceof Error ? error.message : String(error)}`);
    }
  }
  const token = randomBytes(32).toString('base64url');
  await db.transaction(async (tx) => {
    await tx.delete(setupTokens);
    await tx.insert(setupTokens).values({ tokenHash: hashOf(token), createdAt: new Date() });
  });
  const link = new URL('/setup', publicUrlOf(deps.config));
  link.searchParams.set('token', token);
  log(
    `notion-sync: no admin yet. Open this one-time link to create the first one (valid until used; a restart makes a new one):\n  ${link.href}\n` +
      '  (or set ADMIN_EMAIL and ADMIN_PASSWORD, or run: npm run notion-sync -- users add <email> --role admin --password-stdin)',
  );
  return 'setup-link';
}

export const SetupInput = NewUser.omit({ role: true }).extend({ token: z.string().min(1).max(200) });
export type SetupInput = z.input<typeof SetupInput>;

/** Setup refused: the link is not (or no longer) valid. Says nothing more. */
export class SetupRefusedError extends Error {
  constructor() {
    super('This setup link is not valid (it was used, replaced by a newer one, or an admin exists already).');
    this.name = 'SetupRefusedError';
  }
}

/**
 * Makes the first admin with a valid setup token, and voids the token. The token is taken (deleted)
 * before the user is made, so two requests with one token cannot both succeed; if making the user
 * fails (a bad password, say) the token is put back.
 */
export async function claimSetup(deps: UserAdminDeps, input: SetupInput): Promise<{ email: string }> {
  const parsed = SetupInput.safeParse(input);
  if (!parsed.success) throw new DomainError('BAD_INPUT', parsed.error.issues.map((issue) => issue.message).join('; '));
  const db = deps.database.db;
  const tokenHash = hashOf(parsed.data.token);
  const taken = await db.delete(setupTokens).where(eq(setupTokens.tokenHash, tokenHash)).returning();
  const [row] = taken;
  if (!row) throw new SetupRefusedError();
  if ((await countAdmins(deps)) > 0) {
    await db.delete(setupTokens);
    throw new SetupRefusedError();
  }
  try {
    const user = await createUser(deps, { ...parsed.data, role: 'admin' });
    await db.delete(setupTokens);
    return { email: user.email };
  } catch (error) {
    await db.insert(setupTokens).values(row).onConflictDoNothing();
    throw error;
  }
}
