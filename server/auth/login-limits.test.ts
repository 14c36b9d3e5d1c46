import { eq } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Database, openDatabase } from '@/db/client';
import { loginAttempts } from '@/db/schema';
import { fakeClock } from '@/server/testing/fake-clock';
import { createTestContext, type TestContext } from '@/server/testing/test-context';
import {
  ACCOUNT_LIMIT,
  ADDRESS_LIMIT,
  accountKey,
  addressKey,
  beginSignIn,
  countAttempt,
  lockRefusal,
  signInEndedUnchecked,
  signInSucceeded,
} from './login-limits';

/** The limits on a real database file; time from a fake clock. */
let ctx: TestContext;
beforeAll(async () => {
  ctx = await createTestContext();
});
afterAll(async () => {
  await ctx.cleanup();
});

const MINUTE = 60_000;
const rowOf = async (key: string) => (await ctx.database.db.select().from(loginAttempts).where(eq(loginAttempts.key, key)))[0];

/** `count` attempts against `key` one after the other: the lock end each returned (undefined: allowed). */
async function attempts(key: string, count: number, now: number, limit = ACCOUNT_LIMIT) {
  const results: (number | undefined)[] = [];
  for (let i = 0; i < count; i++) results.push(await countAttempt(ctx.database.db, key, limit, now));
  return results;
}

describe('keys', () => {
  it('name the account by its lower-cased email and the address by itself, an IPv6 one by its /64', () => {
    expect(accountKey('  Ada@Example.TEST ')).toBe('account:ada@example.test');
    expect(addressKey('192.0.2.7')).toBe('address:192.0.2.7');
    expect(addressKey('2001:db8:0:1:aaaa:bbbb:cccc:dddd')).toBe('address:2001:db8:0:1::/64');
    expect(addressKey('2001:DB8:0:1::7')).toBe('address:2001:db8:0:1::/64');
    expect(addressKey('2001:db8::1')).toBe('address:2001:db8:0:0::/64');
    expect(addressKey('::1')).toBe('address:0:0:0:0::/64');
    expect(addressKey('fe80::1%eth0')).toBe('address:fe80:0:0:0::/64');
    expect(addressKey('64:ff9b::192.0.2.1')).toBe('address:64:ff9b:0:0::/64');
  });
});

describe('countAttempt', () => {
  it('allows 5 attempts on an account in 15 minutes, refuses the 6th and locks it for 15 minutes from then', async () => {
    const clock = fakeClock(1_000_000_000_000);
    const key = accountKey('lock@example.test');
    expect(await attempts(key, 5, clock.now())).toEqual([undefined, undefined, undefined, undefined, undefined]);
    clock.advance(14 * MINUTE);
    const lockedAt = clock.now();
    expect(await countAttempt(ctx.database.db, key, ACCOUNT_LIMIT, lockedAt)).toBe(lockedAt + 15 * MINUTE);
    // While locked nothing is counted and the lock is not pushed back.
    clock.advance(10 * MINUTE);
    expect(await countAttempt(ctx.database.db, key, ACCOUNT_LIMIT, clock.now())).toBe(lockedAt + 15 * MINUTE);
    expect(await rowOf(key)).toMatchObject({ failures: 6, lockedUntil: new Date(lockedAt + 15 * MINUTE) });
    // Once the lock is over, a new window starts.
    clock.advance(5 * MINUTE);
    expect(await countAttempt(ctx.database.db, key, ACCOUNT_LIMIT, clock.now())).toBeUndefined();
    expect(await rowOf(key)).toMatchObject({ failures: 1, windowStartedAt: new Date(clock.now()), lockedUntil: null });
  });

  it('starts counting again when the window is over', async () => {
    const clock = fakeClock(1_000_000_000_000);
    const key = accountKey('window@example.test');
    await attempts(key, 5, clock.now());
    clock.advance(15 * MINUTE);
    expect(await attempts(key, 5, clock.now())).toEqual([undefined, undefined, undefined, undefined, undefined]);
    expect(await countAttempt(ctx.database.db, key, ACCOUNT_LIMIT, clock.now())).toBe(clock.now() + 15 * MINUTE);
  });

  it('allows 20 attempts from one address', async () => {
    const key = addressKey('192.0.2.20');
    const results = await attempts(key, 21, 1_000_000_000_000, ADDRESS_LIMIT);
    expect(results.slice(0, 20).every((r) => r === undefined)).toBe(true);
    expect(results[20]).toBe(1_000_000_000_000 + 15 * MINUTE);
  });

  it('counts every attempt once when many arrive at the same moment through several connections', async () => {
    const others: Database[] = [openDatabase(ctx.config.databaseUrl), openDatabase(ctx.config.databaseUrl)];
    try {
      const key = accountKey('race@example.test');
      const now = 1_000_000_000_000;
      const results = await Promise.all(
        Array.from({ length: 24 }, (_, i) => countAttempt((others[i % 2] as Database).db, key, ACCOUNT_LIMIT, now)),
      );
      // Exactly five passwords would be checked; the 19 others are refused.
      expect(results.filter((r) => r === undefined)).toHaveLength(5);
      expect(results.filter((r) => r === now + 15 * MINUTE)).toHaveLength(19);
      expect(await rowOf(key)).toMatchObject({ failures: 6 });
    } finally {
      for (const other of others) other.close();
    }
  });
});

describe('a sign-in', () => {
  it('is refused for its address before its account is counted; an attempt on a locked account counts against the address', async () => {
    const now = 1_000_000_000_000;
    const address = '198.51.100.30';
    await attempts(addressKey(address), 20, now, ADDRESS_LIMIT);
    expect(await beginSignIn(ctx.database.db, { email: 'victim@example.test', address }, now)).toEqual({ scope: 'address', until: now + 15 * MINUTE });
    expect(await rowOf(accountKey('victim@example.test'))).toBeUndefined();

    await attempts(accountKey('locked@example.test'), 6, now);
    const other = '198.51.100.31';
    expect(await beginSignIn(ctx.database.db, { email: 'locked@example.test', address: other }, now)).toEqual({ scope: 'account', until: now + 15 * MINUTE });
    expect(await rowOf(addressKey(other))).toMatchObject({ failures: 1 });
  });

  it('that succeeds clears its account’s failures and gives back only its own attempt on the address', async () => {
    const now = 1_000_000_000_000;
    const attempt = { email: 'Good@Example.test', address: '198.51.100.40' };
    await attempts(accountKey(attempt.email), 3, now);
    await attempts(addressKey(attempt.address), 3, now, ADDRESS_LIMIT);
    expect(await beginSignIn(ctx.database.db, attempt, now)).toBeUndefined();
    await signInSucceeded(ctx.database.db, attempt, now);
    expect(await rowOf(accountKey(attempt.email))).toBeUndefined();
    expect(await rowOf(addressKey(attempt.address))).toMatchObject({ failures: 3 });
  });

  it('that ends before a password is found wrong is not counted', async () => {
    const now = 1_000_000_000_000;
    const attempt = { email: 'unchecked@example.test', address: '198.51.100.50' };
    await beginSignIn(ctx.database.db, attempt, now);
    await beginSignIn(ctx.database.db, attempt, now);
    await signInEndedUnchecked(ctx.database.db, attempt);
    expect(await rowOf(accountKey(attempt.email))).toMatchObject({ failures: 1 });
    expect(await rowOf(addressKey(attempt.address))).toMatchObject({ failures: 1 });
    // Never below zero.
    await signInEndedUnchecked(ctx.database.db, attempt);
    await signInEndedUnchecked(ctx.database.db, attempt);
    expect(await rowOf(accountKey(attempt.email))).toMatchObject({ failures: 0 });
    // Without an address only the account is counted.
    await beginSignIn(ctx.database.db, { email: 'no-address@example.test' }, now);
    await signInEndedUnchecked(ctx.database.db, { email: 'no-address@example.test' });
    expect(await rowOf(accountKey('no-address@example.test'))).toMatchObject({ failures: 0 });
  });

  it('that succeeds deletes the windows that are over, but not a lock still running', async () => {
    const start = 2_000_000_000_000;
    await attempts(accountKey('stale@example.test'), 1, start);
    await attempts(accountKey('still-locked@example.test'), 6, start + 10 * MINUTE);
    const later = start + 20 * MINUTE;
    await signInSucceeded(ctx.database.db, { email: 'someone@example.test' }, later);
    expect(await rowOf(accountKey('stale@example.test'))).toBeUndefined();
    expect(await rowOf(accountKey('still-locked@example.test'))).toMatchObject({ lockedUntil: new Date(start + 25 * MINUTE) });
  });
});

describe('lockRefusal', () => {
  it('says what is locked and for how long, and gives Retry-After in seconds', () => {
    const now = 1_000_000;
    expect(lockRefusal({ scope: 'account', until: now + 15 * MINUTE }, now)).toEqual({
      retryAfterSeconds: 900,
      message: 'Too many failed sign-ins for this account; try again in 15 minutes',
    });
    expect(lockRefusal({ scope: 'address', until: now + 30_500 }, now)).toEqual({
      retryAfterSeconds: 31,
      message: 'Too many failed sign-ins from this address; try again in 1 minute',
    });
    expect(lockRefusal({ scope: 'account', until: now }, now).retryAfterSeconds).toBe(1);
  });
});
