import type { BetterAuthPlugin } from 'better-auth';
import { APIError, createAuthMiddleware, isAPIError } from 'better-auth/api';
import { type GenericOAuthUserInfo, genericOAuth } from 'better-auth/plugins/generic-oauth';
import type { Database } from '@/db/client';
import { type AuditEntry, recordAudit } from '@/server/audit/audit-log';
import type { Config, SingleSignOnConfig } from '@/server/config';
import { clientAddressOf } from '@/server/security/client-address';
import { ROLES, type Role } from './roles';

/**
 * Single sign-on through one generic OpenID Connect provider (Keycloak, Authentik, Entra ID…),
 * configured by the OIDC_* variables. better-auth's genericOAuth plugin does the protocol
 * (discovery, PKCE, state, nonce, the ID token checked against the provider's keys); this module
 * adds what is ours: the role comes from a claim at every sign-in, and someone whose claims give
 * no role is refused before anything is written.
 */

/** better-auth's id of the provider: its callback is `<PUBLIC_URL>/api/auth/callback/oidc`. */
export const SINGLE_SIGN_ON_PROVIDER_ID = 'oidc';

/** The `error` a refused person is sent back to the sign-in page with. */
export const NO_ROLE_ERROR = 'sso_no_role';

/** The address to register at the provider as the client's redirect URI. */
export function singleSignOnCallbackUrl(publicUrl: string): string {
  return `${publicUrl}/api/auth/callback/${SINGLE_SIGN_ON_PROVIDER_ID}`;
}

/** What the sign-in page needs to offer single sign-on (nothing secret), or undefined when it is off. */
export function singleSignOnButton(config: Pick<Config, 'singleSignOn'>): { providerId: string; displayName: string } | undefined {
  const sso = config.singleSignOn;
  return sso && { providerId: SINGLE_SIGN_ON_PROVIDER_ID, displayName: sso.displayName };
}

/** The strings of a claim: the claim named so, or else the nested one a dotted name reaches (`realm_access.roles`). */
export function claimValues(profile: Record<string, unknown>, claim: string): string[] {
  const read = (node: unknown, key: string): unknown =>
    node !== null && typeof node === 'object' && Object.hasOwn(node, key) ? (node as Record<string, unknown>)[key] : undefined;
  const value = Object.hasOwn(profile, claim) ? profile[claim] : claim.split('.').reduce<unknown>(read, profile);
  if (typeof value === 'string') return [value];
  return Array.isArray(value) ? value.filter((item): item is string => typeof item === 'string') : [];
}

/** The highest role the claim's values are mapped to, else the default role; undefined refuses. */
export function roleFromClaims(sso: SingleSignOnConfig, profile: Record<string, unknown>): Role | undefined {
  const values = new Set(claimValues(profile, sso.roleClaim));
  const mapped = sso.roleMap.filter((entry) => values.has(entry.value)).map((entry) => ROLES.indexOf(entry.role));
  return mapped.length > 0 ? ROLES[Math.max(...mapped)] : sso.defaultRole;
}

/** A name for people the provider gives none: the preferred username, else the email's local part. */
function fallbackNameOf(profile: GenericOAuthUserInfo): string | undefined {
  if (typeof profile.name === 'string' && profile.name.trim() !== '') return undefined;
  if (typeof profile.preferred_username === 'string' && profile.preferred_username !== '') return profile.preferred_username;
  return typeof profile.email === 'string' ? profile.email.split('@')[0] : undefined;
}

/**
 * The role a person's claims give, by the plugin that gates them: the provider's profile is only
 * seen by `validateUserInfo`, and the user row and the session are written later in the same
 * request, so the decision waits on the request's endpoint context (the object better-auth hands
 * to both).
 */
function claimedRoles(sso: SingleSignOnConfig, database: Database) {
  const decided = new WeakMap<object, Role>();
  const audit = (endpoint: { headers?: Headers } | null | undefined, entry: AuditEntry) =>
    recordAudit(database.db, { ...entry, address: clientAddressOf(endpoint?.headers) });
  const by = 'single sign-on';
  return {
    id: 'single-sign-on-roles',
    hooks: {
      before: [
        {
          // better-auth would also accept an ID token posted to /sign-in/social: a token taken from
          // someone would sign in as them without the provider's page. Only the redirect flow is ours.
          matcher: (endpoint) =>
            endpoint.path === '/sign-in/social' && endpoint.body?.provider === SINGLE_SIGN_ON_PROVIDER_ID && endpoint.body?.idToken !== undefined,
          handler: createAuthMiddleware(async () => {
            throw new APIError('BAD_REQUEST', { code: 'ID_TOKEN_SIGN_IN_DISABLED', message: 'Sign in through the identity provider’s page' });
          }),
        },
      ],
      after: [
        {
          // The provider's way back: a session (signed in) or a redirect to the error page with `error`.
          matcher: (endpoint) => endpoint.path === '/callback/:id' && endpoint.params?.id === SINGLE_SIGN_ON_PROVIDER_ID,
          handler: createAuthMiddleware(async (endpoint) => {
            const signedIn = endpoint.context.newSession?.user;
            if (signedIn) {
              await audit(endpoint, { action: 'sign-in', actor: { id: signedIn.id, email: signedIn.email }, detail: { method: by } });
              return;
            }
            const returned: unknown = endpoint.context.returned;
            const location = isAPIError(returned) ? new Headers(returned.headers).get('location') : null;
            const error = location ? new URL(location, endpoint.context.baseURL).searchParams.get('error') : null;
            // A refusal for want of a role was recorded with its claims when it was decided.
            if (error && error !== NO_ROLE_ERROR) await audit(endpoint, { action: 'sign-in-failed', outcome: 'refused', detail: { method: by, reason: error } });
          }),
        },
      ],
    },
    init(context) {
      // better-auth keeps one validateUserInfo: another one would silently replace this gate.
      if (context.options.user?.validateUserInfo) throw new Error('Single sign-on needs user.validateUserInfo for itself; another is configured');
      return {
        options: {
          user: {
            async validateUserInfo({ user, source }, endpoint) {
              if (source.method !== 'oauth' || source.oauth?.providerId !== SINGLE_SIGN_ON_PROVIDER_ID) return;
              const profile = source.oauth.profile ?? {};
              const role = roleFromClaims(sso, profile);
              if (!role) {
                await audit(endpoint, {
                  action: 'sign-in-failed',
                  outcome: 'refused',
                  actor: { id: typeof user.id === 'string' && source.action !== 'create-user' ? user.id : undefined, email: user.email },
                  detail: { method: by, reason: 'no role for the claims', claim: sso.roleClaim, values: claimValues(profile, sso.roleClaim).slice(0, 20) },
                });
                return { error: NO_ROLE_ERROR, errorDescription: 'Your account at the identity provider gives no role here' };
              }
              decided.set(endpoint, role);
            },
          },
          databaseHooks: {
            user: {
              create: {
                // After the admin plugin's default role (plugins' hooks run in order): the claims' role wins.
                async before(user, endpoint) {
                  const role = endpoint && decided.get(endpoint);
                  if (role) return { data: { ...user, role } };
                },
                async after(user, endpoint) {
                  const role = endpoint && decided.get(endpoint);
                  if (role) await audit(endpoint, { action: 'user.created', actor: { id: user.id, email: user.email }, target: { type: 'user', id: user.id }, detail: { email: user.email, role, by } });
                },
              },
            },
            session: {
              create: {
                // Every sign-in sets the role again: someone removed from a group loses its role at the next one.
                async before(session, endpoint) {
                  const role = endpoint && decided.get(endpoint);
                  if (!endpoint || !role) return;
                  // The admin plugin's `role` column, which better-auth's base user type does not name.
                  const user: { id: string; email: string; role?: string | null } | null = await endpoint.context.internalAdapter.findUserById(session.userId);
                  if (!user || user.role === role) return;
                  await endpoint.context.internalAdapter.updateUser(session.userId, { role });
                  await audit(endpoint, {
                    action: 'user.role-changed',
                    actor: { id: user.id, email: user.email },
                    target: { type: 'user', id: user.id },
                    detail: { email: user.email, from: user.role ?? null, to: role, by },
                  });
                },
              },
            },
            account: {
              // The provider's tokens are not kept: nothing here calls the provider after sign-in,
              // and a token not stored cannot leak (better-auth would keep the ID token in clear).
              create: { before: async (account) => (account.providerId === SINGLE_SIGN_ON_PROVIDER_ID ? { data: { ...account, ...NO_TOKENS } } : undefined) },
              update: { before: async (account) => (account.providerId === SINGLE_SIGN_ON_PROVIDER_ID ? { data: { ...account, ...NO_TOKENS } } : undefined) },
            },
          },
        },
      };
    },
  } satisfies BetterAuthPlugin;
}

const NO_TOKENS = { accessToken: null, refreshToken: null, idToken: null, accessTokenExpiresAt: null, refreshTokenExpiresAt: null };

/** better-auth's plugins for single sign-on when OIDC_ISSUER is set; none otherwise. */
export function singleSignOnPlugins(config: Config, database: Database) {
  const sso = config.singleSignOn;
  if (!sso) return [];
  return [
    genericOAuth({
      config: [
        {
          providerId: SINGLE_SIGN_ON_PROVIDER_ID,
          name: sso.displayName,
          discoveryUrl: `${sso.issuer}/.well-known/openid-configuration`,
          // The ID token is checked against the keys the provider publishes (discovery must name
          // them) and its nonce; userinfo, when read, must name the same subject.
          requireIdTokenVerification: true,
          clientId: sso.clientId,
          clientSecret: sso.clientSecret,
          pkce: true,
          scopes: [...new Set(['openid', 'email', 'profile', ...sso.extraScopes])],
          mapProfileToUser: (profile) => {
            const name = fallbackNameOf(profile);
            return name ? { name } : {};
          },
        },
      ],
    }),
    claimedRoles(sso, database),
  ];
}
