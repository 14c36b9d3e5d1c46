import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import {
  CONFIG_VARIABLES,
  ConfigError,
  defaultLogFormat,
  deploymentOf,
  loadConfig,
  PLATFORM_VARIABLES,
  PROFILES,
  SECRET_VARIABLES,
  secretFromEnv,
} from './config';
import { isApiBaseUrlAllowed } from './connections/api-base-url';

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
        NOTION_SYNC_ENV: 'testing',
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
    expect(problems).toMatch(/NOTION_SYNC_ENV: must be one of production, staging, development, demo/);
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

const problemsOf = (env: Record<string, string | undefined>, read?: (file: string) => string): string[] => {
  try {
    loadConfig(env, read);
  } catch (error) {
    if (error instanceof ConfigError) return error.problems;
    throw error;
  }
  throw new Error('the configuration was accepted');
};

describe('profiles (NOTION_SYNC_ENV)', () => {
  const productionReady = { PUBLIC_URL: 'https://exports.example.com', NOTION_SYNC_SECRET: 'sixteen chars ok' };

  it('production and staging ask for PUBLIC_URL and the secret, naming both at once', () => {
    for (const profile of ['production', 'staging']) {
      expect(problemsOf({ NOTION_SYNC_ENV: profile })).toEqual([
        `PUBLIC_URL: must be set when NOTION_SYNC_ENV=${profile}`,
        `NOTION_SYNC_SECRET: must be set when NOTION_SYNC_ENV=${profile} (or NOTION_SYNC_SECRET_FILE)`,
      ]);
      expect(loadConfig({ NOTION_SYNC_ENV: profile, ...productionReady }).deployment).toBe(profile);
    }
  });

  it('production and staging want an https PUBLIC_URL (Secure cookies), http only on a loopback host', () => {
    expect(problemsOf({ NOTION_SYNC_ENV: 'production', ...productionReady, PUBLIC_URL: 'http://exports.example.com' })).toEqual([
      'PUBLIC_URL: must be an https URL when NOTION_SYNC_ENV=production (http only on 127.0.0.1, ::1 or localhost), so session cookies are Secure',
    ]);
    expect(loadConfig({ NOTION_SYNC_ENV: 'staging', ...productionReady, PUBLIC_URL: 'http://127.0.0.1:3000' }).publicUrl).toBe('http://127.0.0.1:3000');
    // Development asks nothing of it.
    expect(loadConfig({ NOTION_SYNC_ENV: 'development', PUBLIC_URL: 'http://exports.intranet' }).publicUrl).toBe('http://exports.intranet');
  });

  it('production refuses a test API (the twin) as NOTION_BASE_URL; staging and development take one', () => {
    const twin = { NOTION_BASE_URL: 'http://127.0.0.1:4100' };
    expect(problemsOf({ NOTION_SYNC_ENV: 'production', ...productionReady, ...twin })).toEqual([
      'NOTION_BASE_URL: must be an https URL when NOTION_SYNC_ENV=production (the Notion twin and other test APIs are for staging and development)',
    ]);
    expect(loadConfig({ NOTION_SYNC_ENV: 'staging', ...productionReady, ...twin }).notionBaseUrl).toBe('http://127.0.0.1:4100');
    expect(loadConfig({ NOTION_SYNC_ENV: 'development', ...twin }).notionBaseUrl).toBe('http://127.0.0.1:4100');
    expect(loadConfig({ NOTION_SYNC_ENV: 'production', ...productionReady, NOTION_BASE_URL: 'https://notion-proxy.internal' }).notionBaseUrl).toBe(
      'https://notion-proxy.internal',
    );
  });

  it("staging's test API is NOTION_BASE_URL: a connection's own base URL stays limited to NOTION_API_HOSTS", () => {
    const staging = loadConfig({ NOTION_SYNC_ENV: 'staging', ...productionReady, NOTION_BASE_URL: 'http://twin.staging:4100' });
    expect(isApiBaseUrlAllowed(staging, 'http://twin.staging:4100')).toBe(true);
    expect(isApiBaseUrlAllowed(staging, 'http://other.staging:4100')).toBe(false);
    expect(isApiBaseUrlAllowed(loadConfig({ NOTION_SYNC_ENV: 'development' }), 'http://other.staging:4100')).toBe(true);
  });

  it('unset, is production with none of its requirements (npm start on a laptop), development under next dev', () => {
    expect(loadConfig({}).deployment).toBe('production');
    expect(loadConfig({ NODE_ENV: 'development' }).deployment).toBe('development');
    expect(deploymentOf({ NOTION_SYNC_ENV: 'staging', NODE_ENV: 'development' })).toBe('staging');
  });

  it('chooses the log format: JSON in production and staging, pretty in development and the demo; LOG_FORMAT still decides', () => {
    expect(defaultLogFormat({})).toBe('json');
    expect(defaultLogFormat({ NOTION_SYNC_ENV: 'production', NODE_ENV: 'development' })).toBe('json');
    expect(defaultLogFormat({ NOTION_SYNC_ENV: 'staging' })).toBe('json');
    expect(defaultLogFormat({ NOTION_SYNC_ENV: 'development' })).toBe('pretty');
    expect(defaultLogFormat({ NOTION_SYNC_ENV: 'demo' })).toBe('pretty');
    expect(defaultLogFormat({ NODE_ENV: 'development' })).toBe('pretty');
    expect(PROFILES.production).toMatchObject({ httpsPublicUrl: true, testApiBaseUrl: false, anyConnectionBaseUrl: false });
  });
});

describe('every problem at once', () => {
  it('lists each bad variable, the cross-variable rules and the profile’s requirements in one error', () => {
    const problems = problemsOf({
      NOTION_SYNC_ENV: 'production',
      PORT: 'abc',
      ADMIN_EMAIL: 'a@example.com',
      OIDC_ISSUER: 'https://idp.example.com',
      OTEL_EXPORTER_OTLP_ENDPOINT: 'http://c:4318',
      OTEL_EXPORTER_OTLP_PROTOCOL: 'grpc',
      RUNNER_ID: 'worker 1',
    });
    expect(problems.map((p) => p.split(':')[0])).toEqual([
      'PORT',
      'RUNNER_ID',
      'ADMIN_PASSWORD',
      'PUBLIC_URL',
      'NOTION_SYNC_SECRET',
      'OIDC_CLIENT_ID',
      'OIDC_CLIENT_SECRET',
      'OTEL_EXPORTER_OTLP_PROTOCOL',
    ]);
  });

  it('does not ask for a variable that was given with a bad value', () => {
    expect(problemsOf({ ADMIN_EMAIL: 'a@example.com', ADMIN_PASSWORD: 'short' })).toEqual(['ADMIN_PASSWORD: must be at least 12 characters']);
    expect(problemsOf({ NOTION_SYNC_ENV: 'production', PUBLIC_URL: 'nope', NOTION_SYNC_SECRET: 'short' })).toEqual([
      'NOTION_SYNC_SECRET: must be at least 16 characters',
      'PUBLIC_URL: must be the http(s) URL people open the dashboard at, such as https://exports.example.com',
    ]);
  });
});

describe('secrets from files (<NAME>_FILE)', () => {
  const files: Record<string, string> = {
    '/run/secrets/key': 'from a file, sixteen+\n',
    '/run/secrets/crlf': 'metrics token from file\r\n',
    '/run/secrets/empty': '\n',
  };
  const read = (file: string) => {
    const content = files[file];
    if (content === undefined) throw Object.assign(new Error(`ENOENT: no such file, open '${file}'`), { code: 'ENOENT' });
    return content;
  };

  it('reads each secret variable from its file, without the trailing newline', () => {
    const c = loadConfig(
      {
        NOTION_SYNC_SECRET_FILE: '/run/secrets/key',
        METRICS_TOKEN_FILE: '/run/secrets/crlf',
        DATABASE_AUTH_TOKEN_FILE: '/run/secrets/key',
        ADMIN_EMAIL: 'a@example.com',
        ADMIN_PASSWORD_FILE: '/run/secrets/key',
        OIDC_ISSUER: 'https://idp.example.com',
        OIDC_CLIENT_ID: 'notion-sync',
        OIDC_CLIENT_SECRET_FILE: '/run/secrets/key',
        OIDC_DEFAULT_ROLE: 'viewer',
      },
      read,
    );
    expect(c.secret).toBe('from a file, sixteen+');
    expect(c.metricsToken).toBe('metrics token from file');
    expect(c.databaseAuthToken).toBe('from a file, sixteen+');
    expect(c.firstAdmin?.password).toBe('from a file, sixteen+');
    expect(c.singleSignOn?.clientSecret).toBe('from a file, sixteen+');
    // The file's content is checked like the variable's own.
    expect(problemsOf({ METRICS_TOKEN_FILE: '/run/secrets/short' }, () => 'short\n')).toEqual(['METRICS_TOKEN: must be at least 16 characters']);
  });

  it('names both variables when both are set, and the variable and path of a file it cannot read, never a value', () => {
    const problems = problemsOf(
      {
        NOTION_SYNC_SECRET: 'the direct secret value',
        NOTION_SYNC_SECRET_FILE: '/run/secrets/key',
        METRICS_TOKEN_FILE: '/run/secrets/missing',
        DATABASE_AUTH_TOKEN_FILE: '/run/secrets/empty',
      },
      read,
    );
    expect(problems).toEqual([
      'NOTION_SYNC_SECRET and NOTION_SYNC_SECRET_FILE: both are set; set one of them',
      'DATABASE_AUTH_TOKEN_FILE: /run/secrets/empty is empty',
      'METRICS_TOKEN_FILE: cannot read /run/secrets/missing (ENOENT)',
    ]);
    expect(problems.join('\n')).not.toMatch(/the direct secret value|from a file/);
  });

  it('reads the real file system by default', () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'notion-sync-config-'));
    try {
      fs.writeFileSync(path.join(dir, 'token'), 'secret_from_file\n');
      expect(secretFromEnv({ NOTION_TOKEN_FILE: path.join(dir, 'token') }, 'NOTION_TOKEN')).toBe('secret_from_file');
      expect(secretFromEnv({ NOTION_TOKEN: 'secret_direct' }, 'NOTION_TOKEN')).toBe('secret_direct');
      expect(secretFromEnv({}, 'NOTION_TOKEN')).toBeUndefined();
      expect(() => secretFromEnv({ NOTION_SYNC_OLD_SECRET_FILE: path.join(dir, 'none') }, 'NOTION_SYNC_OLD_SECRET')).toThrow(
        /NOTION_SYNC_OLD_SECRET_FILE: cannot read .*none \(ENOENT\)/,
      );
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  it('lists every variable the configuration knows, the _FILE of each secret included', () => {
    for (const name of ['DATABASE_URL', 'PUBLIC_URL', 'NOTION_SYNC_ENV', 'RUNNER_ID', 'LOG_FORMAT', 'NOTION_TOKEN', 'OIDC_ROLE_MAP', 'HEALTH_MIN_FREE_MB']) {
      expect(CONFIG_VARIABLES).toContain(name);
    }
    for (const name of SECRET_VARIABLES) expect(CONFIG_VARIABLES).toContain(`${name}_FILE`);
    expect(new Set(CONFIG_VARIABLES).size).toBe(CONFIG_VARIABLES.length);
    expect(CONFIG_VARIABLES).not.toContain('NODE_ENV_FILE');
    expect(PLATFORM_VARIABLES).toContain('HOSTNAME');
  });
});

describe('RUNNER_ID', () => {
  it('is unset by default and takes a name such as a pod’s', () => {
    expect(loadConfig({}).runnerId).toBeUndefined();
    expect(loadConfig({ RUNNER_ID: ' notion-sync-worker-0 ' }).runnerId).toBe('notion-sync-worker-0');
    expect(loadConfig({ RUNNER_ID: '' }).runnerId).toBeUndefined();
  });

  it('refuses a name with a colon (the default <host>:<pid> form is the runner’s own), spaces or over 100 characters', () => {
    for (const id of ['host:1234', 'worker 1', '-worker', 'x'.repeat(101)]) {
      expect(problemsOf({ RUNNER_ID: id })).toEqual([expect.stringMatching(/^RUNNER_ID: must be a name of up to 100 letters/)]);
    }
  });
});
