import { betterAuth } from 'better-auth';
import { drizzleAdapter } from 'better-auth/adapters/drizzle';
import { createAccessControl } from 'better-auth/plugins/access';
import { admin } from 'better-auth/plugins/admin';
import { adminAc, defaultStatements } from 'better-auth/plugins/admin/access';
import type { Database } from '@/db/client';
import { authAccounts, authRateLimits, authSessions, authUsers, authVerifications } from '@/db/schema';
import type { Config } from '@/server/config';
import { deriveAuthSecret } from './auth-secret';
import { singleSignOnPlugins } from './single-sign-on';

/** Shortest password anyone may set (ADMIN_PASSWORD, the setup page, the CLI, a password change). */
export const MIN_PASSWORD_LENGTH = 12;

/** better-auth's access control: only admins may manage people; operators and viewers nothing of it. */
const ac = createAccessControl(defaultStatements);
const noUserRights = ac.newRole({ user: [], session: [] });

/** `http://localhost:PORT` unless PUBLIC_URL says otherwise. */
export const publicUrlOf = (config: Pick<Config, 'publicUrl' | 'port'>): string =>
  config.publicUrl ?? `http://localhost:${config.port}`;

/**
 * Accounts and sessions (better-auth) on the project's database: email + password, no sign-up
 * (only admins add people), HTTP-only SameSite=Lax cookies that are `Secure` when PUBLIC_URL is
 * https, PUBLIC_URL as the one trusted origin, and rate limits kept in the database so every
 * process sharing it counts the same attempts. Built once per process (server/context.ts).
 */
export function createAuth(config: Config, database: Database) {
  const publicUrl = publicUrlOf(config);
  return betterAuth({
    appName: 'Notion Sync',
    baseURL: publicUrl,
    basePath: '/api/auth',
    trustedOrigins: [publicUrl],
    secret: deriveAuthSecret(config),
    database: drizzleAdapter(database.db, {
      provider: 'sqlite',
      schema: { user: authUsers, session: authSessions, account: authAccounts, verification: authVerifications, rateLimit: authRateLimits },
    }),
    emailAndPassword: { enabled: true, disableSignUp: true, minPasswordLength: MIN_PASSWORD_LENGTH, maxPasswordLength: 128 },
    rateLimit: { enabled: true, storage: 'database', window: 60, max: 100 },
    advanced: {
      useSecureCookies: publicUrl.startsWith('https:'),
      defaultCookieAttributes: { httpOnly: true, sameSite: 'lax' },
    },
    telemetry: { enabled: false },
    plugins: [admin({ ac, roles: { admin: adminAc, operator: noUserRights, viewer: noUserRights }, defaultRole: 'viewer', adminRoles: ['admin'] }), ...singleSignOnPlugins(config)],
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
