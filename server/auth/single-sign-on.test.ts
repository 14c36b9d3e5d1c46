import { describe, expect, it } from 'vitest';
import type { Database } from '@/db/client';
import { type SingleSignOnConfig, SSO_ROLES } from '@/server/config';
import { ROLES } from './roles';
import { claimValues, roleFromClaims, singleSignOnButton, singleSignOnCallbackUrl, singleSignOnPlugins } from './single-sign-on';

const sso: SingleSignOnConfig = {
  issuer: 'https://idp.example.com',
  clientId: 'notion-sync',
  clientSecret: 'the client secret',
  displayName: 'Keycloak',
  roleClaim: 'groups',
  roleMap: [
    { value: 'notion-admins', role: 'admin' },
    { value: 'notion-operators', role: 'operator' },
    { value: 'staff', role: 'viewer' },
  ],
  extraScopes: [],
};
const config = { singleSignOn: sso } as const;

describe('the role a provider’s claims give', () => {
  it('reads a claim that is a string or an array of strings, by its name or as a dotted path into nested claims', () => {
    expect(claimValues({ groups: 'staff' }, 'groups')).toEqual(['staff']);
    expect(claimValues({ groups: ['staff', 7, null, 'ops'] }, 'groups')).toEqual(['staff', 'ops']);
    expect(claimValues({ realm_access: { roles: ['admins'] } }, 'realm_access.roles')).toEqual(['admins']);
    // A claim whose name has dots (a namespaced claim) is read as named first.
    expect(claimValues({ 'https://example.com/roles': ['a'], https: { x: 1 } }, 'https://example.com/roles')).toEqual(['a']);
    expect(claimValues({}, 'groups')).toEqual([]);
    expect(claimValues({ groups: { staff: true } }, 'groups')).toEqual([]);
    expect(claimValues({ realm_access: 'none' }, 'realm_access.roles')).toEqual([]);
    expect(claimValues({ a: null }, 'a.b')).toEqual([]);
  });

  it('is the highest mapped role, else the default role, else none', () => {
    expect(roleFromClaims(sso, { groups: ['staff', 'notion-admins', 'notion-operators'] })).toBe('admin');
    expect(roleFromClaims(sso, { groups: ['notion-operators', 'staff'] })).toBe('operator');
    expect(roleFromClaims(sso, { groups: 'staff' })).toBe('viewer');
    expect(roleFromClaims(sso, { groups: ['contractors'] })).toBeUndefined();
    expect(roleFromClaims(sso, {})).toBeUndefined();
    expect(roleFromClaims({ ...sso, defaultRole: 'viewer' }, { groups: ['contractors'] })).toBe('viewer');
    expect(roleFromClaims({ ...sso, defaultRole: 'viewer' }, { groups: ['notion-admins'] })).toBe('admin');
  });

  it('uses the roles of server/auth/roles.ts (config.ts spells them out for itself)', () => {
    expect(SSO_ROLES).toEqual(ROLES);
  });
});

describe('single sign-on set-up', () => {
  it('tells the sign-in page the provider id and the label, never the client secret; nothing when it is off', () => {
    expect(singleSignOnButton(config)).toEqual({ providerId: 'oidc', displayName: 'Keycloak' });
    expect(JSON.stringify(singleSignOnButton(config))).not.toContain(sso.clientSecret);
    expect(singleSignOnButton({})).toBeUndefined();
  });

  it('registers the callback better-auth answers at', () => {
    expect(singleSignOnCallbackUrl('https://exports.example.com')).toBe('https://exports.example.com/api/auth/callback/oidc');
  });

  it('adds no plugin when it is off, and refuses to start beside another user.validateUserInfo (it would replace the role gate)', async () => {
    const database = {} as Database;
    expect(singleSignOnPlugins({ ...config, singleSignOn: undefined } as never, database)).toEqual([]);
    const [, roles] = singleSignOnPlugins(config as never, database);
    const init = roles?.init as unknown as (context: unknown) => unknown;
    expect(() => init({ options: { user: { validateUserInfo: () => undefined } } })).toThrow(/validateUserInfo/);
    expect(init({ options: {} })).toMatchObject({ options: { user: { validateUserInfo: expect.any(Function) } } });
  });
});
