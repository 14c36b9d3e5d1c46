import { APIError, createAuthMiddleware, isAPIError } from 'better-auth/api';
import { and, eq } from 'drizzle-orm';
import type { Database } from '@/db/client';
import { authAccounts, authUsers } from '@/db/schema';
import { type AuditEntry, recordAudit } from '@/server/audit/audit-log';
import type { Clock } from '@/server/retry/clock';
import { clientAddressOf } from '@/server/security/client-address';
import { beginSignIn, lockRefusal, normalizeEmail, type SignInAttempt, signInEndedUnchecked, signInSucceeded } from './login-limits';

type HookContext = Parameters<Parameters<typeof createAuthMiddleware>[0]>[0];

/** Longest email the audit log keeps of a sign-in (an address is at most 254 characters). */
const MAX_EMAIL_LENGTH = 254;

/** The email and address a sign-in request names; undefined when its body has no email (better-auth answers 400). */
function signInAttemptOf(ctx: HookContext): SignInAttempt | undefined {
  const email: unknown = ctx.body?.email;
  if (typeof email !== 'string') return undefined;
  return { email: normalizeEmail(email).slice(0, MAX_EMAIL_LENGTH), address: clientAddressOf(ctx.headers) };
}

/** The person whose session cookie the request carries (read the way better-auth's sign-out reads it), or undefined. */
async function sessionUserOf(ctx: HookContext): Promise<{ id: string; email: string } | undefined> {
  const token = await ctx.getSignedCookie(ctx.context.authCookies.sessionToken.name, ctx.context.secret);
  if (!token) return undefined;
  const found = await ctx.context.internalAdapter.findSession(token).catch(() => null);
  return found ? { id: found.user.id, email: found.user.email } : undefined;
}

/** Whether some account signs in with a password under `email` (a failed sign-in's reason, for the audit log only). */
async function hasPasswordAccount(database: Database, email: string): Promise<boolean> {
  const rows = await database.db
    .select({ id: authUsers.id })
    .from(authUsers)
    .innerJoin(authAccounts, and(eq(authAccounts.userId, authUsers.id), eq(authAccounts.providerId, 'credential')))
    .where(eq(authUsers.email, email))
    .limit(1);
  return rows.length > 0;
}

/** better-auth's error code as a reason in the audit log: `INVALID_PASSWORD` → `wrong-password`, `PASSWORD_TOO_SHORT` → `password-too-short`. */
function refusalReason(error: APIError): string {
  const code = String(error.body?.code ?? error.status);
  return code === 'INVALID_PASSWORD' ? 'wrong-password' : code.toLowerCase().replaceAll('_', '-');
}

/**
 * better-auth's `hooks` for the sign-in limits (server/auth/login-limits.ts) and the audit log of
 * signing in and out, password changes and other sessions signed out. Before `/sign-in/email`
 * checks a password, the attempt is counted against its account and address; a locked one is
 * refused there (429 with Retry-After, no password checked). Afterwards a wrong password stays
 * counted, a success clears the account's failures, anything else is taken back. The audit log
 * gets the email and the address, never a password or a session token.
 */
export function authHooks(database: Database, clock: Pick<Clock, 'now'>) {
  const audit = (entry: AuditEntry) => recordAudit(database.db, entry, new Date(clock.now()));

  const before = createAuthMiddleware(async (ctx) => {
    if (ctx.path === '/sign-in/email') {
      const attempt = signInAttemptOf(ctx);
      if (!attempt) return;
      const now = clock.now();
      const lock = await beginSignIn(database.db, attempt, now);
      if (!lock) return;
      await audit({
        action: 'sign-in-failed',
        outcome: 'refused',
        actor: { email: attempt.email },
        address: attempt.address,
        detail: { reason: 'locked', lock: lock.scope },
      });
      const { retryAfterSeconds, message } = lockRefusal(lock, now);
      throw new APIError('TOO_MANY_REQUESTS', { message, code: 'SIGN_IN_LOCKED' }, { 'Retry-After': String(retryAfterSeconds) });
    }
    if (ctx.path === '/sign-out') {
      // Recorded as it starts: once the session is read, better-auth's sign-out cannot fail, and
      // afterwards the session (who it was) is gone.
      const user = await sessionUserOf(ctx);
      if (user) await audit({ action: 'sign-out', actor: user, address: clientAddressOf(ctx.headers) });
    }
  });

  const after = createAuthMiddleware(async (ctx) => {
    const returned: unknown = ctx.context.returned;
    const failed = isAPIError(returned) ? returned : undefined;
    const address = clientAddressOf(ctx.headers);
    if (ctx.path === '/sign-in/email') {
      const attempt = signInAttemptOf(ctx);
      if (!attempt) return;
      const signedIn = ctx.context.newSession?.user;
      if (!failed && signedIn) {
        await signInSucceeded(database.db, attempt, clock.now());
        await audit({ action: 'sign-in', actor: { id: signedIn.id, email: signedIn.email }, address });
        return;
      }
      if (failed?.statusCode === 401) {
        const reason = (await hasPasswordAccount(database, attempt.email)) ? 'wrong-password' : 'unknown-account';
        await audit({ action: 'sign-in-failed', outcome: 'refused', actor: { email: attempt.email }, address, detail: { reason } });
        return;
      }
      await signInEndedUnchecked(database.db, attempt);
      if (failed?.body?.code === 'BANNED_USER') {
        await audit({ action: 'sign-in-failed', outcome: 'refused', actor: { email: attempt.email }, address, detail: { reason: 'disabled' } });
      }
      return;
    }
    if (ctx.path === '/change-password') {
      const user = (returned as { user?: { id: string; email: string } } | undefined)?.user;
      if (!failed && user) {
        const otherSessionsRevoked = ctx.body?.revokeOtherSessions === true;
        await audit({ action: 'password-changed', actor: { id: user.id, email: user.email }, address, detail: { otherSessionsRevoked } });
      } else if (failed) {
        const user = await sessionUserOf(ctx);
        if (user) await audit({ action: 'password-changed', outcome: 'refused', actor: user, address, detail: { reason: refusalReason(failed) } });
      }
      return;
    }
    if (ctx.path === '/revoke-other-sessions' && !failed) {
      const user = await sessionUserOf(ctx);
      if (user) await audit({ action: 'other-sessions-revoked', actor: user, address });
    }
  });

  return { before, after };
}
