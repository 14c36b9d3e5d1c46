import { isIPv6 } from 'node:net';
import { and, eq, gt, lte, or, isNull, sql } from 'drizzle-orm';
import type { DB } from '@/db/client';
import { loginAttempts } from '@/db/schema';

/**
 * How many sign-ins that fail on the password one account, or one client address, may have within
 * `windowMs` before sign-ins for it are refused for `lockMs`. Kept in the database
 * (`login_attempts`), so every process sharing it counts the same attempts.
 */
export interface LoginLimit {
  scope: 'account' | 'address';
  failures: number;
  windowMs: number;
  lockMs: number;
}

const MINUTE = 60_000;

/** One account: 5 failures in 15 minutes lock it for 15 minutes (whoever tries, from wherever). */
export const ACCOUNT_LIMIT: LoginLimit = { scope: 'account', failures: 5, windowMs: 15 * MINUTE, lockMs: 15 * MINUTE };
/** One address: 20 failures in 15 minutes, on any accounts, lock it out for 15 minutes. */
export const ADDRESS_LIMIT: LoginLimit = { scope: 'address', failures: 20, windowMs: 15 * MINUTE, lockMs: 15 * MINUTE };

/** The email a sign-in names, as better-auth looks it up (lower case) and as the audit log shows it. */
export function normalizeEmail(email: string): string {
  return email.trim().toLowerCase();
}

export function accountKey(email: string): string {
  return `account:${normalizeEmail(email)}`;
}

/** The /64 network of an IPv6 address (one subscriber usually holds a whole /64), e.g. `2001:db8:0:1::/64`. */
function ipv6Network(address: string): string {
  const bare = address.toLowerCase().replace(/%.*$/, '');
  // A dotted IPv4 tail (::ffff:1.2.3.4) holds two groups.
  const parts = (text: string) => (text === '' ? [] : text.split(':').flatMap((part) => (part.includes('.') ? ['0', '0'] : [part])));
  const [head = '', tail] = bare.split('::');
  const left = parts(head);
  const right = tail === undefined ? [] : parts(tail);
  const groups = [...left, ...Array<string>(Math.max(0, 8 - left.length - right.length)).fill('0'), ...right];
  return `${groups
    .slice(0, 4)
    .map((group) => Number.parseInt(group, 16).toString(16))
    .join(':')}::/64`;
}

/** `address:<ip>`, an IPv6 client by its /64 network (otherwise each of its addresses would get 20 tries). */
export function addressKey(address: string): string {
  return `address:${isIPv6(address) ? ipv6Network(address) : address}`;
}

/**
 * Counts one sign-in attempt against `key` as a failure before its password is checked, in one
 * statement (INSERT … ON CONFLICT DO UPDATE … RETURNING), so attempts made at the same moment by
 * several processes are each counted and no more than `limit.failures` passwords are ever checked
 * in a window. A fixed window: the first failure starts it, the count starts again once it is
 * over. The attempt after the last one allowed starts the lock; while locked nothing is counted.
 * Returns the end of the lock when this attempt must be refused, else undefined.
 */
export async function countAttempt(db: DB, key: string, limit: LoginLimit, now: number): Promise<number | undefined> {
  const t = loginAttempts;
  const locked = sql`coalesce(${t.lockedUntil}, 0) > ${now}`;
  const windowOpen = sql`${t.windowStartedAt} > ${now - limit.windowMs}`;
  const [row] = await db
    .insert(t)
    .values({ key, failures: 1, windowStartedAt: new Date(now), lockedUntil: null })
    .onConflictDoUpdate({
      target: t.key,
      set: {
        failures: sql`case when ${locked} then ${t.failures} when ${windowOpen} then ${t.failures} + 1 else 1 end`,
        windowStartedAt: sql`case when ${locked} or ${windowOpen} then ${t.windowStartedAt} else ${now} end`,
        lockedUntil: sql`case when ${locked} then ${t.lockedUntil} when ${windowOpen} and ${t.failures} + 1 > ${limit.failures} then ${now + limit.lockMs} else null end`,
      },
    })
    .returning({ lockedUntil: t.lockedUntil });
  const until = row?.lockedUntil?.getTime();
  return until !== undefined && until > now ? until : undefined;
}

/** Takes back an attempt `countAttempt` counted (it ended before a password was found wrong). */
export async function uncountAttempt(db: DB, key: string): Promise<void> {
  await db
    .update(loginAttempts)
    .set({ failures: sql`${loginAttempts.failures} - 1` })
    .where(and(eq(loginAttempts.key, key), gt(loginAttempts.failures, 0)));
}

/** What a sign-in names: the email tried and the client's address when known. */
export interface SignInAttempt {
  email: string;
  address?: string;
}

/** Why a sign-in is refused unheard: the account or the address is locked until `until` (ms). */
export interface SignInLock {
  scope: LoginLimit['scope'];
  until: number;
}

/**
 * Counts a sign-in against its address, then its account, before the password is checked; the
 * lock that refuses it, if any. An attempt on a locked account still counts against its address
 * (trying many accounts from one place is what the address limit is for); one refused for its
 * address does not touch the account.
 */
export async function beginSignIn(db: DB, attempt: SignInAttempt, now: number): Promise<SignInLock | undefined> {
  if (attempt.address !== undefined) {
    const until = await countAttempt(db, addressKey(attempt.address), ADDRESS_LIMIT, now);
    if (until !== undefined) return { scope: 'address', until };
  }
  const until = await countAttempt(db, accountKey(attempt.email), ACCOUNT_LIMIT, now);
  return until === undefined ? undefined : { scope: 'account', until };
}

/**
 * A sign-in succeeded: the account's failures are cleared; the address keeps its failures (one
 * good password must not wipe what was tried on other accounts) less this attempt. Windows that
 * are over and locks that ended are deleted on the way.
 */
export async function signInSucceeded(db: DB, attempt: SignInAttempt, now: number): Promise<void> {
  await db.delete(loginAttempts).where(eq(loginAttempts.key, accountKey(attempt.email)));
  if (attempt.address !== undefined) await uncountAttempt(db, addressKey(attempt.address));
  const windowMs = Math.max(ACCOUNT_LIMIT.windowMs, ADDRESS_LIMIT.windowMs);
  await db
    .delete(loginAttempts)
    .where(
      and(
        lte(loginAttempts.windowStartedAt, new Date(now - windowMs)),
        or(isNull(loginAttempts.lockedUntil), lte(loginAttempts.lockedUntil, new Date(now))),
      ),
    );
}

/** A sign-in ended without a wrong password (a malformed email, a disabled account): it does not count. */
export async function signInEndedUnchecked(db: DB, attempt: SignInAttempt): Promise<void> {
  if (attempt.address !== undefined) await uncountAttempt(db, addressKey(attempt.address));
  await uncountAttempt(db, accountKey(attempt.email));
}

/** The answer to a locked sign-in: seconds until it may be tried again (Retry-After) and the words people read. */
export function lockRefusal(lock: SignInLock, now: number): { retryAfterSeconds: number; message: string } {
  const ms = Math.max(0, lock.until - now);
  const minutes = Math.max(1, Math.ceil(ms / MINUTE));
  const subject = lock.scope === 'account' ? 'for this account' : 'from this address';
  return {
    retryAfterSeconds: Math.max(1, Math.ceil(ms / 1000)),
    message: `Too many failed sign-ins ${subject}; try again in ${minutes} minute${minutes === 1 ? '' : 's'}`,
  };
}
