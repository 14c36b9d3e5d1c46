import { betterAuth } from 'better-auth';
import { drizzleAdapter } from 'better-auth/adapters/drizzle';
import { createAccessControl } from 'better-auth/plugins/access';
import { admin } from 'better-auth/plugins/admin';
import { adminAc, defaultStatements } from 'better-auth/plugins/admin/access';
import type { Database } from '@/db/client';
import { authAccounts, authRateLimits, authSessions, authUsers, authVerifications } from '@/db/schema';
import type { Config } from '@/server/config';
import { type Clock, systemClock } from '@/server/retry/clock';
import { CLIENT_ADDRESS_HEADER } from '@/server/security/client-address';
import { publicOriginOf, trustedOriginsOf } from '@/server/security/request-origin';
import { authHooks } from './auth-hooks';
import { deriveAuthSecret } from './auth-secret';
import { singleSignOnPlugins } from './single-sign-on';

/** Shortest password anyone may set (ADMIN_PASSWORD, the setup page, the CLI, a password change). */
export const MIN_PASSWORD_LENGTH = 12;
/** Longest password better-auth accepts (a bound on the work of hashing one). */
export const MAX_PASSWORD_LENGTH = 128;

/** better-auth's access control: only admins may manage people; operators and viewers nothing of it. */
const ac = createAccessControl(defaultStatements);
const noUserRights = ac.newRole({ user: [], session: [] });

/** `http://localhost:PORT` unless PUBLIC_URL says otherwise. */
export const publicUrlOf = publicOriginOf;

export interface AuthOptions {
  /** The time the sign-in limits and the audit log go by (tests pass one they move). */
  clock?: Pick<Clock, 'now'>;
}

/**
 * Accounts and sessions (better-auth) on the project's database: email + password, no sign-up
 * (only admins add people), HTTP-only SameSite=Lax cookies that are `Secure` when PUBLIC_URL is
 * https, PUBLIC_URL's origin (and its loopback spellings) as the trusted origins, and rate limits
 * kept in the database so every process sharing it counts the same attempts. On top of
 * better-auth's own limit (3 sign-ins per 10 s per address), failed sign-ins lock their account
 * and their address for a while (login-limits.ts), and signing in and out is audited
 * (auth-hooks.ts). Built once per process (server/context.ts).
 */
export function createAuth(config: Config, database: Database, options: AuthOptions = {}) {
  const publicUrl = publicUrlOf(config);
  return betterAuth({
    appName: 'Notion Sync',
    baseURL: publicUrl,
    basePath: '/api/auth',
    trustedOrigins: trustedOriginsOf(config),
    secret: deriveAuthSecret(config),
    database: drizzleAdapter(database.db, {
      provider: 'sqlite',
      schema: { user: authUsers, session: authSessions, account: authAccounts, verification: authVerifications, rateLimit: authRateLimits },
    }),
    emailAndPassword: { enabled: true, disableSignUp: true, minPasswordLength: MIN_PASSWORD_LENGTH, maxPasswordLength: MAX_PASSWORD_LENGTH },
    rateLimit: {
      enabled: true,
      storage: 'database',
      window: 60,
      max: 100,
      // better-auth allows 3 sign-ins per 10 s per address: a team behind one proxy or NAT address
      // would queue at the door. Guessing passwords is stopped by server/auth/login-limits.ts (5
      // failures per account, 20 per address, then a lock), so this only damps bursts.
      customRules: { '/sign-in/email': { window: 10, max: 20 } },
    },
    hooks: authHooks(database, options.clock ?? systemClock),
    advanced: {
      useSecureCookies: publicUrl.startsWith('https:'),
      defaultCookieAttributes: { httpOnly: true, sameSite: 'lax' },
      // better-auth turns its origin and CSRF checks off when NODE_ENV is test: on, always, so
      // the tests see what production does (a POST with a cookie or an Origin must come from a
      // trusted origin; a sign-in from a cross-site page is refused).
      disableOriginCheck: false,
      disableCSRFCheck: false,
      // The address server/security/client-address.ts recorded (X-Forwarded-For only behind a
      // trusted proxy), so better-auth's rate limit counts the same addresses as ours.
      ipAddress: { ipAddressHeaders: [CLIENT_ADDRESS_HEADER] },
    },
    telemetry: { enabled: false },
    plugins: [admin({ ac, roles: { admin: adminAc, operator: noUserRights, viewer: noUserRights }, defaultRole: 'viewer', adminRoles: ['admin'] }), ...singleSignOnPlugins(config, database)],
  });
}

export type Auth = ReturnType<typeof createAuth>;

const built = new WeakMap<Database, Auth>();

/**
 * Accounts and sessions on this context's database, built on first use and kept for the
 * process. Only the dashboard and the users command load it: the worker and the export CLI never
 * import better-auth (it would add ~15 MB to a worker that must stay under 100 MB).
 */
export function authOf(ctx: { config: Config; database: Database }): Auth {
  let auth = built.get(ctx.database);
  if (!auth) {
    auth = createAuth(ctx.config, ctx.database);
    built.set(ctx.database, auth);
  }
  return auth;
}
