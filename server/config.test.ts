import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { ConfigError, loadConfig } from './config';

describe('configuration', () => {
  it('has working defaults: an embedded database and a local exports folder', () => {
    const c = loadConfig({});
    expect(c.databaseUrl).toBe('file:./data/notion-sync.db');
    expect(c.exportsDir).toBe(path.resolve('data/exports'));
    expect(c.dataDir).toBe(path.resolve('data'));
    expect(c.port).toBe(3000);
    expect(c.requestsPerSecond).toBe(3);
    expect(c.runnerEnabled).toBe(true);
    expect(c.notionBaseUrl).toBeUndefined();
    expect(c.deployment).toBe('production');
    expect(c.notionApiHosts).toEqual(['api.notion.com']);
  });

  it('reads every variable, empty strings meaning unset', () => {
    const c = loadConfig({
      DATABASE_URL: 'libsql://db.example:8080',
      DATABASE_AUTH_TOKEN: 'tok',
      EXPORTS_DIR: '/srv/exports',
      NOTION_BASE_URL: 'http://127.0.0.1:4100',
      NOTION_SYNC_SECRET: '',
      PORT: '4000',
      NOTION_RATE_LIMIT: '2.5',
      RUNNER_ENABLED: 'false',
    });
    expect(c).toMatchObject({
      databaseUrl: 'libsql://db.example:8080',
      databaseAuthToken: 'tok',
      exportsDir: path.resolve('/srv/exports'),
      notionBaseUrl: 'http://127.0.0.1:4100',
      secret: undefined,
      port: 4000,
      requestsPerSecond: 2.5,
      runnerEnabled: false,
    });
  });

  it('names every bad value with what it expects', () => {
    let error: unknown;
    try {
      loadConfig({
        DATABASE_URL: 'postgres://x',
        PORT: 'abc',
        NOTION_BASE_URL: 'not a url',
        NOTION_SYNC_SECRET: 'short',
        NOTION_API_HOSTS: 'api.notion.com, https://evil.test/path',
        NOTION_SYNC_ENV: 'staging',
      });
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(ConfigError);
    const problems = (error as ConfigError).problems.join('\n');
    expect(problems).toMatch(/DATABASE_URL: must start with file:/);
    expect(problems).toMatch(/PORT/);
    expect(problems).toMatch(/NOTION_BASE_URL: must be an http\(s\) URL/);
    expect(problems).toMatch(/NOTION_SYNC_SECRET: must be at least 16/);
    expect(problems).toMatch(/NOTION_API_HOSTS\.1: is not a host name/);
    expect(problems).toMatch(/NOTION_SYNC_ENV: must be one of production, development, demo/);
    expect(() => loadConfig({ NOTION_API_HOSTS: ' , ' })).toThrow(/NOTION_API_HOSTS: must name at least one host/);
  });
});

describe('PUBLIC_URL, ADMIN_EMAIL and ADMIN_PASSWORD', () => {
  it('default to http://localhost:<PORT> and no first admin, and keep a given URL’s origin', () => {
    expect(loadConfig({ PORT: '3100' })).toMatchObject({ publicUrl: 'http://localhost:3100', firstAdmin: undefined });
    expect(loadConfig({ PUBLIC_URL: 'https://exports.example.com/' }).publicUrl).toBe('https://exports.example.com');
    expect(loadConfig({ ADMIN_EMAIL: 'a@example.com', ADMIN_PASSWORD: 'twelve chars!' }).firstAdmin).toEqual({
      email: 'a@example.com',
      password: 'twelve chars!',
    });
  });

  it('refuse a URL that is no http(s) URL, a short password, and one of the pair without the other', () => {
    expect(() => loadConfig({ PUBLIC_URL: 'exports.example.com' })).toThrow(/PUBLIC_URL/);
    expect(() => loadConfig({ PUBLIC_URL: 'ftp://exports.example.com' })).toThrow(/PUBLIC_URL/);
    expect(() => loadConfig({ ADMIN_EMAIL: 'a@example.com', ADMIN_PASSWORD: 'short' })).toThrow(/ADMIN_PASSWORD/);
    expect(() => loadConfig({ ADMIN_EMAIL: 'a@example.com' })).toThrow(/ADMIN_PASSWORD: must be set together with ADMIN_EMAIL/);
    expect(() => loadConfig({ ADMIN_PASSWORD: 'twelve chars!' })).toThrow(/ADMIN_EMAIL: must be set together with ADMIN_PASSWORD/);
  });
});

describe('single sign-on (OIDC_*)', () => {
  const oidc = {
    OIDC_ISSUER: 'https://keycloak.example.com/realms/intranet/',
    OIDC_CLIENT_ID: 'notion-sync',
    OIDC_CLIENT_SECRET: 'client secret',
    OIDC_ROLE_MAP: 'notion-admins=admin, notion-operators=operator,staff=viewer,',
  };
  const problemsOf = (env: Record<string, string>): string => {
    try {
      loadConfig(env);
    } catch (error) {
      if (error instanceof ConfigError) return error.problems.join('\n');
      throw error;
    }
    throw new Error('the configuration was accepted');
  };

  it('is off without OIDC_ISSUER', () => {
    expect(loadConfig({}).singleSignOn).toBeUndefined();
  });

  it('reads the provider, the role map and the defaults (button label, groups claim, no default role)', () => {
    expect(loadConfig(oidc).singleSignOn).toEqual({
      issuer: 'https://keycloak.example.com/realms/intranet',
      clientId: 'notion-sync',
      clientSecret: 'client secret',
      displayName: 'single sign-on',
      roleClaim: 'groups',
      roleMap: [
        { value: 'notion-admins', role: 'admin' },
        { value: 'notion-operators', role: 'operator' },
        { value: 'staff', role: 'viewer' },
      ],
      defaultRole: undefined,
      extraScopes: [],
    });
    expect(
      loadConfig({
        ...oidc,
        OIDC_DISPLAY_NAME: 'Keycloak',
        OIDC_ROLE_CLAIM: 'realm_access.roles',
        OIDC_ROLE_MAP: '/team=a=operator',
        OIDC_DEFAULT_ROLE: 'viewer',
        OIDC_EXTRA_SCOPES: 'groups, offline_access',
      }).singleSignOn,
    ).toMatchObject({
      displayName: 'Keycloak',
      roleClaim: 'realm_access.roles',
      roleMap: [{ value: '/team=a', role: 'operator' }],
      defaultRole: 'viewer',
      extraScopes: ['groups', 'offline_access'],
    });
    // A default role alone is enough; `none` is no role.
    expect(loadConfig({ ...oidc, OIDC_ROLE_MAP: '', OIDC_DEFAULT_ROLE: 'operator' }).singleSignOn?.defaultRole).toBe('operator');
    expect(loadConfig({ ...oidc, OIDC_DEFAULT_ROLE: 'none' }).singleSignOn?.defaultRole).toBeUndefined();
  });

  it('takes https issuers, and http ones only on a loopback host', () => {
    expect(loadConfig({ ...oidc, OIDC_ISSUER: 'http://127.0.0.1:4400' }).singleSignOn?.issuer).toBe('http://127.0.0.1:4400');
    expect(loadConfig({ ...oidc, OIDC_ISSUER: 'http://localhost:8080/realms/x' }).singleSignOn?.issuer).toBe('http://localhost:8080/realms/x');
    expect(loadConfig({ ...oidc, OIDC_ISSUER: 'http://[::1]:4400/' }).singleSignOn?.issuer).toBe('http://[::1]:4400');
    expect(problemsOf({ ...oidc, OIDC_ISSUER: 'http://keycloak.intranet' })).toMatch(/OIDC_ISSUER: must be an https URL \(http only on 127\.0\.0\.1/);
    expect(problemsOf({ ...oidc, OIDC_ISSUER: 'keycloak.example.com' })).toMatch(/OIDC_ISSUER: must be the https URL of the OpenID provider/);
    expect(problemsOf({ ...oidc, OIDC_ISSUER: 'https://idp.example.com/?tenant=1' })).toMatch(/OIDC_ISSUER: must have no query or fragment/);
  });

  it('is all or nothing: an issuer without a client names both, and an option without the provider says what it needs', () => {
    expect(problemsOf({ OIDC_ISSUER: oidc.OIDC_ISSUER })).toBe(
      'OIDC_CLIENT_ID: must be set together with OIDC_ISSUER\nOIDC_CLIENT_SECRET: must be set together with OIDC_ISSUER',
    );
    expect(problemsOf({ OIDC_CLIENT_ID: 'x', OIDC_CLIENT_SECRET: 'y', OIDC_ROLE_MAP: 'a=admin' })).toBe(
      'OIDC_ISSUER: must be set together with OIDC_CLIENT_ID and OIDC_CLIENT_SECRET',
    );
    expect(problemsOf({ OIDC_ROLE_MAP: 'a=admin', OIDC_DISPLAY_NAME: 'Keycloak' })).toBe(
      'OIDC_DISPLAY_NAME: needs OIDC_ISSUER, OIDC_CLIENT_ID, OIDC_CLIENT_SECRET (single sign-on is off without them)\n' +
        'OIDC_ROLE_MAP: needs OIDC_ISSUER, OIDC_CLIENT_ID, OIDC_CLIENT_SECRET (single sign-on is off without them)',
    );
    expect(problemsOf({ ...oidc, OIDC_ROLE_MAP: '' })).toMatch(/OIDC_ROLE_MAP: must map at least one value to a role/);
  });

  it('names each bad role map entry and a default role that is none of none, viewer, operator', () => {
    const problems = problemsOf({ ...oidc, OIDC_ROLE_MAP: 'admins=root,staff,=viewer,x=viewer,x=admin', OIDC_DEFAULT_ROLE: 'admin' });
    expect(problems).toMatch(/OIDC_ROLE_MAP: "admins=root" is not value=role with a role of viewer, operator, admin/);
    expect(problems).toMatch(/OIDC_ROLE_MAP: "staff" is not value=role/);
    expect(problems).toMatch(/OIDC_ROLE_MAP: "=viewer" is not value=role/);
    expect(problems).toMatch(/OIDC_ROLE_MAP: "x" is mapped to two roles/);
    expect(problems).toMatch(/OIDC_DEFAULT_ROLE: must be none, viewer or operator/);
  });
});
