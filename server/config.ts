import fs from 'node:fs';
import path from 'node:path';
import { z } from 'zod';

const optionalString = z.preprocess((v) => (v === '' ? undefined : v), z.string().optional());

/** An OTLP/HTTP collector URL (http or https). */
const otlpUrl = (example: string) =>
  z.preprocess(
    (v) => (v === '' ? undefined : v),
    z.url({ protocol: /^https?$/, message: `must be the http(s) URL of an OTLP/HTTP collector, such as ${example}` }).optional(),
  );

/**
 * The configuration profiles (NOTION_SYNC_ENV). Unset, the deployment is `production` (or
 * `development` under `next dev`, NODE_ENV=development) with production's defaults but none of
 * its requirements, so `npm start` on a laptop works; a deployment names its profile.
 * `demo` is `npm run demo`'s: development's rules.
 */
export const DEPLOYMENTS = ['production', 'staging', 'development', 'demo'] as const;
export type Deployment = (typeof DEPLOYMENTS)[number];

/** What a profile chooses; each choice is still overridden by its own variable where it has one. */
export interface Profile {
  /** LOG_FORMAT's default. */
  logFormat: 'json' | 'pretty';
  /** Variables that must be set when the profile is named. */
  requires: readonly ('PUBLIC_URL' | 'NOTION_SYNC_SECRET')[];
  /** PUBLIC_URL must be https (http only on a loopback host), so session cookies are `Secure`. */
  httpsPublicUrl: boolean;
  /** NOTION_BASE_URL may be plain http (the Notion twin, a test API); otherwise https only. */
  testApiBaseUrl: boolean;
  /** A connection's own API base URL may be any http(s) URL (server/connections/api-base-url.ts). */
  anyConnectionBaseUrl: boolean;
}

export const PROFILES: Record<Deployment, Profile> = {
  production: { logFormat: 'json', requires: ['PUBLIC_URL', 'NOTION_SYNC_SECRET'], httpsPublicUrl: true, testApiBaseUrl: false, anyConnectionBaseUrl: false },
  staging: { logFormat: 'json', requires: ['PUBLIC_URL', 'NOTION_SYNC_SECRET'], httpsPublicUrl: true, testApiBaseUrl: true, anyConnectionBaseUrl: false },
  development: { logFormat: 'pretty', requires: [], httpsPublicUrl: false, testApiBaseUrl: true, anyConnectionBaseUrl: true },
  demo: { logFormat: 'pretty', requires: [], httpsPublicUrl: false, testApiBaseUrl: true, anyConnectionBaseUrl: true },
};

/**
 * The deployment the environment describes: NOTION_SYNC_ENV when it names a profile, else
 * `development` under NODE_ENV=development, else `production`. (The log reads this before the
 * configuration is validated.)
 */
export function deploymentOf(env: Record<string, string | undefined>): Deployment {
  const named = DEPLOYMENTS.find((d) => d === env.NOTION_SYNC_ENV?.trim());
  return named ?? (env.NODE_ENV === 'development' ? 'development' : 'production');
}

/** LOG_FORMAT's default for this environment: its profile's. */
export function defaultLogFormat(env: Record<string, string | undefined>): 'json' | 'pretty' {
  return PROFILES[deploymentOf(env)].logFormat;
}

/** `host` or `host:port` as a URL writes it (lower case, no default port), or undefined if it is not one. */
export function normalizeApiHost(entry: string): string | undefined {
  if (!/^[^/?#@\\\s]+$/.test(entry)) return undefined;
  try {
    const url = new URL(`https://${entry}`);
    return url.hostname === '' || url.pathname !== '/' ? undefined : url.host;
  } catch {
    return undefined;
  }
}

/** The roles single sign-on may give: server/auth/roles.ts's ROLES (config.ts imports nothing of server/). */
export const SSO_ROLES = ['viewer', 'operator', 'admin'] as const;
export type SsoRole = (typeof SSO_ROLES)[number];

const LOOPBACK_HOSTS = new Set(['127.0.0.1', '[::1]', 'localhost']);

/** An OpenID issuer: https, or http on a loopback host (a provider started by a test); no query or fragment. */
function issuerProblem(issuer: string): string | undefined {
  let url: URL;
  try {
    url = new URL(issuer);
  } catch {
    return 'must be the https URL of the OpenID provider, such as https://keycloak.example.com/realms/intranet';
  }
  if (url.search !== '' || url.hash !== '' || issuer.includes('?') || issuer.includes('#')) return 'must have no query or fragment';
  if (url.protocol === 'https:' || (url.protocol === 'http:' && LOOPBACK_HOSTS.has(url.hostname))) return undefined;
  return 'must be an https URL (http only on 127.0.0.1, ::1 or localhost)';
}

/**
 * OIDC_ROLE_MAP: `value=role` entries separated by commas (`notion-admins=admin,staff=viewer`).
 * The last `=` splits an entry, so a value may contain one.
 */
function parseRoleMap(text: string, ctx: z.RefinementCtx): { value: string; role: SsoRole }[] {
  const entries: { value: string; role: SsoRole }[] = [];
  for (const entry of text.split(',').map((part) => part.trim()).filter((part) => part !== '')) {
    const at = entry.lastIndexOf('=');
    const value = entry.slice(0, Math.max(at, 0)).trim();
    const role = entry.slice(at + 1).trim();
    const known = SSO_ROLES.find((r) => r === role);
    if (at <= 0 || value === '' || !known) {
      ctx.addIssue({ code: 'custom', message: `"${entry}" is not value=role with a role of ${SSO_ROLES.join(', ')}` });
    } else if (entries.some((e) => e.value === value && e.role !== known)) {
      ctx.addIssue({ code: 'custom', message: `"${value}" is mapped to two roles` });
    } else {
      entries.push({ value, role: known });
    }
  }
  return entries;
}

const EnvSchema = z.object({
  DATABASE_URL: z
    .preprocess((v) => (v === '' ? undefined : v), z.string().default('file:./data/notion-sync.db'))
    .refine((v) => /^(file|libsql|https?|wss?):/.test(v), {
      message: 'must start with file:, libsql:, http(s): or ws(s): (for example file:./data/notion-sync.db)',
    }),
  DATABASE_AUTH_TOKEN: optionalString,
  EXPORTS_DIR: z.preprocess((v) => (v === '' ? undefined : v), z.string().default('./data/exports')),
  NOTION_BASE_URL: z.preprocess(
    (v) => (v === '' ? undefined : v),
    z.url({ message: 'must be an http(s) URL such as https://api.notion.com' }).optional(),
  ),
  NOTION_SYNC_SECRET: z.preprocess(
    (v) => (v === '' ? undefined : v),
    z.string().min(16, { message: 'must be at least 16 characters' }).optional(),
  ),
  PORT: z.preprocess((v) => (v === '' ? undefined : v), z.coerce.number().int().min(1).max(65535).default(3000)),
  NOTION_RATE_LIMIT: z.preprocess(
    (v) => (v === '' ? undefined : v),
    z.coerce.number().positive({ message: 'must be a positive number of requests per second' }).default(3),
  ),
  RUNNER_LEASE_MS: z.preprocess(
    (v) => (v === '' ? undefined : v),
    z.coerce.number().int().min(1000, { message: 'must be at least 1000 (milliseconds)' }).default(20_000),
  ),
  RUNNER_ENABLED: z.preprocess((v) => (v === '' ? undefined : v), z.enum(['true', 'false']).default('true')),
  RUNNER_MAX_EXPORTS: z.preprocess(
    (v) => (v === '' ? undefined : v),
    z.coerce.number().int().min(1, { message: 'must be a whole number from 1 to 16' }).max(16, { message: 'must be a whole number from 1 to 16' }).default(3),
  ),
  TRUST_PROXY: z.preprocess((v) => (v === '' ? undefined : v), z.enum(['true', 'false'], { message: 'must be true or false' }).default('false')),
  NOTION_API_HOSTS: z
    .preprocess((v) => (v === '' ? undefined : v), z.string().default('api.notion.com'))
    .transform((v) => v.split(',').map((host) => host.trim()).filter((host) => host !== ''))
    .pipe(
      z
        .array(z.string().refine((host) => normalizeApiHost(host) !== undefined, { message: 'is not a host name' }))
        .min(1, { message: 'must name at least one host' }),
    ),
  NOTION_SYNC_ENV: z.preprocess(
    (v) => (v === '' ? undefined : v),
    z.enum(DEPLOYMENTS, { message: `must be one of ${DEPLOYMENTS.join(', ')}` }).optional(),
  ),
  NODE_ENV: optionalString,
  PUBLIC_URL: z.preprocess(
    (v) => (v === '' ? undefined : v),
    z
      .url({ protocol: /^https?$/, message: 'must be the http(s) URL people open the dashboard at, such as https://exports.example.com' })
      .optional(),
  ),
  ADMIN_EMAIL: z.preprocess((v) => (v === '' ? undefined : v), z.email({ message: 'must be an email address' }).optional()),
  ADMIN_PASSWORD: z.preprocess(
    (v) => (v === '' ? undefined : v),
    z.string().min(12, { message: 'must be at least 12 characters' }).max(128).optional(),
  ),
  OIDC_ISSUER: z.preprocess(
    (v) => (v === '' ? undefined : v),
    z
      .string()
      .superRefine((issuer, ctx) => {
        const problem = issuerProblem(issuer);
        if (problem) ctx.addIssue({ code: 'custom', message: problem });
      })
      .transform((issuer) => issuer.replace(/\/+$/, ''))
      .optional(),
  ),
  OIDC_CLIENT_ID: optionalString,
  OIDC_CLIENT_SECRET: optionalString,
  OIDC_DISPLAY_NAME: z.preprocess((v) => (v === '' ? undefined : v), z.string().trim().min(1).max(60, { message: 'must be at most 60 characters' }).optional()),
  OIDC_ROLE_CLAIM: optionalString,
  OIDC_ROLE_MAP: z.preprocess((v) => (v === '' ? undefined : v), z.string().transform(parseRoleMap).optional()),
  OIDC_DEFAULT_ROLE: z.preprocess(
    (v) => (v === '' ? undefined : v),
    z.enum(['none', 'viewer', 'operator'], { message: 'must be none, viewer or operator' }).optional(),
  ),
  OIDC_EXTRA_SCOPES: optionalString,
  OTEL_EXPORTER_OTLP_ENDPOINT: otlpUrl('http://localhost:4318'),
  OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: otlpUrl('http://localhost:4318/v1/traces'),
  OTEL_EXPORTER_OTLP_PROTOCOL: optionalString,
  OTEL_EXPORTER_OTLP_TRACES_PROTOCOL: optionalString,
  OTEL_SERVICE_NAME: optionalString,
  OTEL_SDK_DISABLED: optionalString,
  METRICS_TOKEN: z.preprocess((v) => (v === '' ? undefined : v), z.string().min(16, { message: 'must be at least 16 characters' }).optional()),
  METRICS_PORT: z.preprocess((v) => (v === '' ? undefined : v), z.coerce.number().int().min(0).max(65535).optional()),
  HEALTH_MIN_FREE_MB: z.preprocess(
    (v) => (v === '' ? undefined : v),
    z.coerce.number().min(0, { message: 'must be a number of megabytes (0 or more)' }).default(100),
  ),
  RUNNER_ID: z.preprocess(
    (v) => (typeof v === 'string' && v.trim() === '' ? undefined : v),
    z
      .string()
      .trim()
      .regex(/^[A-Za-z0-9][A-Za-z0-9._-]{0,99}$/, {
        message: 'must be a name of up to 100 letters, digits, dots, dashes and underscores (such as worker-1 or the pod name)',
      })
      .optional(),
  ),
});

type Env = z.output<typeof EnvSchema>;
type EnvName = keyof typeof EnvSchema.shape;

/**
 * The variables that hold secrets. Each may instead be given as `<NAME>_FILE`, the path of a file
 * holding it (Docker and Kubernetes secrets); their values are never written into a message.
 * NOTION_SYNC_OLD_SECRET (rotate-key) and NOTION_TOKEN (the CLI) are read by those commands
 * through `secretFromEnv`.
 */
export const SECRET_VARIABLES = [
  'NOTION_SYNC_SECRET',
  'NOTION_SYNC_OLD_SECRET',
  'DATABASE_AUTH_TOKEN',
  'METRICS_TOKEN',
  'OIDC_CLIENT_SECRET',
  'ADMIN_PASSWORD',
  'NOTION_TOKEN',
] as const;
export type SecretVariable = (typeof SECRET_VARIABLES)[number];

/** Read elsewhere than EnvSchema: by the log, the CLI, rotate-key, and OpenTelemetry's SDK. */
const OTHER_VARIABLES = [
  'LOG_LEVEL',
  'LOG_FORMAT',
  'NOTION_TOKEN',
  'NOTION_SYNC_OLD_SECRET',
  'OTEL_RESOURCE_ATTRIBUTES',
  'OTEL_BSP_SCHEDULE_DELAY',
  'OTEL_BSP_MAX_QUEUE_SIZE',
  'OTEL_BSP_MAX_EXPORT_BATCH_SIZE',
  'OTEL_BSP_EXPORT_TIMEOUT',
] as const;

/**
 * Every environment variable the configuration knows (the `_FILE` form of each secret included),
 * for checks that a deployment sets only variables that mean something here.
 */
export const CONFIG_VARIABLES: readonly string[] = [
  ...new Set([...(Object.keys(EnvSchema.shape) as EnvName[]), ...OTHER_VARIABLES, ...SECRET_VARIABLES.map((name) => `${name}_FILE`)]),
];

/**
 * Variables of the platform rather than the project that a deployment may set: Node's, and those
 * Next's standalone server reads (HOSTNAME: the address it listens on).
 */
export const PLATFORM_VARIABLES: readonly string[] = ['NODE_ENV', 'NODE_OPTIONS', 'HOSTNAME', 'NEXT_TELEMETRY_DISABLED', 'TZ'];

/** Reads a secret file as its text, without the line ending a file usually has. */
export type SecretFileReader = (file: string) => string;
const readSecretFile: SecretFileReader = (file) => fs.readFileSync(file, 'utf8');

/**
 * `name`'s value, or the content of the file `<name>_FILE` names (trailing newlines removed);
 * undefined when neither is set. A problem names the variables, and the file's path, never what
 * it holds.
 */
function secretOf(
  env: Record<string, string | undefined>,
  name: SecretVariable,
  read: SecretFileReader,
): { value?: string; problem?: string } {
  const direct = env[name] === '' ? undefined : env[name];
  const fileName = `${name}_FILE`;
  const file = env[fileName]?.trim() || undefined;
  if (file === undefined) return { value: direct };
  if (direct !== undefined) return { problem: `${name} and ${fileName}: both are set; set one of them` };
  let content: string;
  try {
    content = read(file);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    return { problem: `${fileName}: cannot read ${file}${code ? ` (${code})` : ''}` };
  }
  const value = content.replace(/[\r\n]+$/, '');
  if (value === '') return { problem: `${fileName}: ${file} is empty` };
  return { value };
}

/**
 * One secret for a command that reads it itself (NOTION_TOKEN, NOTION_SYNC_OLD_SECRET): its
 * variable or its `_FILE`; throws ConfigError naming the variable when it cannot be had.
 */
export function secretFromEnv(
  env: Record<string, string | undefined>,
  name: SecretVariable,
  read: SecretFileReader = readSecretFile,
): string | undefined {
  const { value, problem } = secretOf(env, name, read);
  if (problem) throw new ConfigError([problem]);
  return value;
}

/** The protocols traces can be sent with: the OTLP/HTTP exporter here speaks JSON only. */
export const TRACE_PROTOCOLS = ['http/json'] as const;

/**
 * Tracing as the standard OTEL_* variables describe it; undefined (off) without an endpoint or
 * with OTEL_SDK_DISABLED=true. The protocol is checked only when spans would be sent.
 */
function tracingOf(e: Partial<Env>, problems: string[]): TracingConfig | undefined {
  if (e.OTEL_SDK_DISABLED?.trim().toLowerCase() === 'true') return undefined;
  const base = e.OTEL_EXPORTER_OTLP_ENDPOINT?.replace(/\/+$/, '');
  const url = e.OTEL_EXPORTER_OTLP_TRACES_ENDPOINT ?? (base === undefined ? undefined : `${base}/v1/traces`);
  if (url === undefined) return undefined;
  const variable = e.OTEL_EXPORTER_OTLP_TRACES_PROTOCOL === undefined ? 'OTEL_EXPORTER_OTLP_PROTOCOL' : 'OTEL_EXPORTER_OTLP_TRACES_PROTOCOL';
  const protocol = (e[variable] ?? 'http/json').trim();
  if (!(TRACE_PROTOCOLS as readonly string[]).includes(protocol)) {
    problems.push(
      `${variable}: "${protocol}" is not supported; set ${TRACE_PROTOCOLS.join(' or ')} (or leave it unset): spans are sent as OTLP/HTTP JSON (http/protobuf and grpc are not supported)`,
    );
    return undefined;
  }
  return { url, serviceName: e.OTEL_SERVICE_NAME?.trim() || 'notion-sync' };
}

/** The OIDC_* variables without which single sign-on is off; set one, set all. */
const OIDC_REQUIRED = ['OIDC_ISSUER', 'OIDC_CLIENT_ID', 'OIDC_CLIENT_SECRET'] as const;
const OIDC_OPTIONAL = ['OIDC_DISPLAY_NAME', 'OIDC_ROLE_CLAIM', 'OIDC_ROLE_MAP', 'OIDC_DEFAULT_ROLE', 'OIDC_EXTRA_SCOPES'] as const;

/**
 * Single sign-on as the OIDC_* variables describe it, all or nothing. `isSet` counts a variable
 * given with a bad value as set (its own problem is reported already).
 */
function singleSignOnOf(e: Partial<Env>, invalid: ReadonlySet<string>, problems: string[]): SingleSignOnConfig | undefined {
  const isSet = (name: EnvName) => e[name] !== undefined || invalid.has(name);
  const missing = OIDC_REQUIRED.filter((name) => !isSet(name));
  const present = OIDC_REQUIRED.filter((name) => isSet(name));
  if (present.length === 0) {
    const stray = OIDC_OPTIONAL.filter((name) => isSet(name));
    problems.push(...stray.map((name) => `${name}: needs ${OIDC_REQUIRED.join(', ')} (single sign-on is off without them)`));
    return undefined;
  }
  if (missing.length > 0) {
    problems.push(...missing.map((name) => `${name}: must be set together with ${present.join(' and ')}`));
    return undefined;
  }
  const roleMap = e.OIDC_ROLE_MAP ?? [];
  const defaultRole = e.OIDC_DEFAULT_ROLE === 'none' ? undefined : e.OIDC_DEFAULT_ROLE;
  if (invalid.has('OIDC_ROLE_MAP') || invalid.has('OIDC_DEFAULT_ROLE')) return undefined;
  if (roleMap.length === 0 && !defaultRole) {
    problems.push('OIDC_ROLE_MAP: must map at least one value to a role (such as admins=admin), or nobody could sign in with single sign-on (or set OIDC_DEFAULT_ROLE)');
    return undefined;
  }
  if (e.OIDC_ISSUER === undefined || e.OIDC_CLIENT_ID === undefined || e.OIDC_CLIENT_SECRET === undefined) return undefined;
  return {
    issuer: e.OIDC_ISSUER,
    clientId: e.OIDC_CLIENT_ID,
    clientSecret: e.OIDC_CLIENT_SECRET,
    displayName: e.OIDC_DISPLAY_NAME ?? 'single sign-on',
    roleClaim: e.OIDC_ROLE_CLAIM ?? 'groups',
    roleMap,
    defaultRole,
    extraScopes: (e.OIDC_EXTRA_SCOPES ?? '').split(/[\s,]+/).filter((scope) => scope !== ''),
  };
}

export interface Config {
  databaseUrl: string;
  databaseAuthToken?: string;
  exportsDir: string;
  notionBaseUrl?: string;
  secret?: string;
  /** Folder for local state (the generated encryption key lives here when no secret is given). */
  dataDir: string;
  port: number;
  requestsPerSecond: number;
  runnerEnabled: boolean;
  /** How long a runner's claim on an export lasts without a heartbeat (renewed every third of it). */
  leaseMs: number;
  /**
   * Retry and rate-limit tuning for Notion calls (tests shorten it; not an environment variable).
   * `rateWindowMs`: the window of Notion's request budget (60 s), for a token's first limiter.
   */
  notionRetry?: { maxAttempts?: number; baseDelayMs?: number; maxDelayMs?: number; timeoutMs?: number; rateWindowMs?: number };
  /** NOTION_SYNC_ENV (see DEPLOYMENTS); unset means `production`. */
  deployment?: Deployment;
  /**
   * NOTION_API_HOSTS: the hosts (`host`, or `host:port` for another port than 443) an https API
   * base URL of a connection may name in production; unset means `api.notion.com` alone.
   */
  notionApiHosts?: string[];
  /** PUBLIC_URL: where people open the dashboard (origin of its cookies and the one trusted origin); default http://localhost:PORT. */
  publicUrl?: string;
  /** ADMIN_EMAIL and ADMIN_PASSWORD: the first admin, made at start-up while there is none. */
  firstAdmin?: { email: string; password: string };
  /**
   * TRUST_PROXY=true: the dashboard is reached only through a reverse proxy (nginx, Caddy,
   * Traefik…) that appends the client's address to X-Forwarded-For, and the client address is the
   * last entry there. Unset (false): the address is the connection's own, and an X-Forwarded-For a
   * client sends is ignored, so nobody can pick the address the sign-in limits and the audit log
   * see. Setting it without such a proxy in front lets every client choose its address.
   */
  trustProxy?: boolean;
  /** OIDC_*: sign-in through an OpenID Connect provider; undefined when OIDC_ISSUER is not set. */
  singleSignOn?: SingleSignOnConfig;
  /** OTEL_*: where spans are sent (server/observability/tracing.ts); undefined: tracing is off. */
  tracing?: TracingConfig;
  /** METRICS_TOKEN: when set, /api/metrics and the METRICS_PORT server answer only `Authorization: Bearer <it>`. */
  metricsToken?: string;
  /** METRICS_PORT: the worker and the CLI serve `/metrics` on this port (0: a free one); unset, they serve none. */
  metricsPort?: number;
  /** HEALTH_MIN_FREE_MB, in bytes: with less free space on the disk of EXPORTS_DIR, /api/health/ready answers 503 (default 100 MB). */
  healthMinFreeBytes?: number;
  /**
   * RUNNER_ID: the name of this process's runner; unset, `<host>:<pid>`. A runner with a name of
   * its own is treated as another machine's: nobody takes its export early because its process
   * id looks gone on this host, and it does not do that to others either.
   */
  runnerId?: string;
  /**
   * RUNNER_MAX_EXPORTS: how many exports (each of another connection) one runner performs at
   * once, at most; the dashboard's setting may lower it at run time. Default 3 (unset: 3).
   */
  runnerMaxExports?: number;
}

export interface TracingConfig {
  /** The collector's traces URL: OTEL_EXPORTER_OTLP_TRACES_ENDPOINT, or OTEL_EXPORTER_OTLP_ENDPOINT + `/v1/traces`. */
  url: string;
  /** OTEL_SERVICE_NAME; default `notion-sync`. */
  serviceName: string;
}

export interface SingleSignOnConfig {
  /** OIDC_ISSUER without a trailing slash; its discovery document is `<issuer>/.well-known/openid-configuration`. */
  issuer: string;
  clientId: string;
  clientSecret: string;
  /** OIDC_DISPLAY_NAME: the sign-in button says "Sign in with <displayName>". */
  displayName: string;
  /** OIDC_ROLE_CLAIM: the claim (a string or an array of strings) whose values give the role; `a.b` also reaches a nested claim. */
  roleClaim: string;
  /** OIDC_ROLE_MAP: claim value → role; the highest role among a person's values wins. */
  roleMap: { value: string; role: SsoRole }[];
  /** OIDC_DEFAULT_ROLE: the role of someone whose values map to none; undefined (`none`) refuses them. */
  defaultRole?: Exclude<SsoRole, 'admin'>;
  /** OIDC_EXTRA_SCOPES: scopes asked for besides openid, email and profile (such as `groups` for Dex). */
  extraScopes: string[];
}

export class ConfigError extends Error {
  constructor(public readonly problems: string[]) {
    super(`Invalid configuration:\n${problems.map((p) => `  - ${p}`).join('\n')}`);
    this.name = 'ConfigError';
  }
}

/** Whether `url` is on 127.0.0.1, ::1 or localhost. */
function onLoopback(url: string): boolean {
  return LOOPBACK_HOSTS.has(new URL(url).hostname);
}

/** What the named profile asks of PUBLIC_URL, NOTION_SYNC_SECRET and NOTION_BASE_URL. */
function profileProblems(e: Partial<Env>, isSet: (name: EnvName) => boolean, problems: string[]): void {
  const named = e.NOTION_SYNC_ENV;
  if (named === undefined) return;
  const profile = PROFILES[named];
  for (const name of profile.requires) {
    if (!isSet(name)) problems.push(`${name}: must be set when NOTION_SYNC_ENV=${named}${name === 'NOTION_SYNC_SECRET' ? ' (or NOTION_SYNC_SECRET_FILE)' : ''}`);
  }
  if (profile.httpsPublicUrl && e.PUBLIC_URL !== undefined && !e.PUBLIC_URL.startsWith('https:') && !onLoopback(e.PUBLIC_URL)) {
    problems.push(`PUBLIC_URL: must be an https URL when NOTION_SYNC_ENV=${named} (http only on 127.0.0.1, ::1 or localhost), so session cookies are Secure`);
  }
  if (!profile.testApiBaseUrl && e.NOTION_BASE_URL !== undefined && !e.NOTION_BASE_URL.startsWith('https:')) {
    problems.push(`NOTION_BASE_URL: must be an https URL when NOTION_SYNC_ENV=${named} (the Notion twin and other test APIs are for staging and development)`);
  }
}

/**
 * Reads and validates the environment once. Every problem is reported at once, each naming its
 * variable and what is expected, never a secret's value. Secrets may come from `<NAME>_FILE`.
 */
export function loadConfig(env: Record<string, string | undefined> = process.env, readFile: SecretFileReader = readSecretFile): Config {
  const problems: string[] = [];
  const resolved: Record<string, string | undefined> = { ...env };
  const badSecrets = new Set<string>();
  for (const name of SECRET_VARIABLES) {
    const { value, problem } = secretOf(env, name, readFile);
    if (problem) {
      problems.push(problem);
      badSecrets.add(name);
      resolved[name] = undefined;
    } else resolved[name] = value;
  }
  // Each variable on its own, so one bad value hides no other problem.
  const e: Partial<Env> = {};
  const invalid = new Set<string>(badSecrets);
  const shape = EnvSchema.shape;
  for (const name of Object.keys(shape) as EnvName[]) {
    const parsed = shape[name].safeParse(resolved[name]);
    if (parsed.success) (e as Record<string, unknown>)[name] = parsed.data;
    else {
      invalid.add(name);
      problems.push(...parsed.error.issues.map((i) => `${[name, ...i.path].join('.')}: ${i.message}`));
    }
  }
  const isSet = (name: EnvName) => e[name] !== undefined || invalid.has(name);
  if (isSet('ADMIN_EMAIL') !== isSet('ADMIN_PASSWORD')) {
    problems.push(`${isSet('ADMIN_EMAIL') ? 'ADMIN_PASSWORD' : 'ADMIN_EMAIL'}: must be set together with ${isSet('ADMIN_EMAIL') ? 'ADMIN_EMAIL' : 'ADMIN_PASSWORD'}`);
  }
  profileProblems(e, isSet, problems);
  const singleSignOn = singleSignOnOf(e, invalid, problems);
  const tracing = tracingOf(e, problems);
  if (problems.length > 0) throw new ConfigError(problems);
  const c = e as Env;
  const dbFile = c.DATABASE_URL.startsWith('file:') ? c.DATABASE_URL.slice('file:'.length) : undefined;
  const dataDir = dbFile && !dbFile.includes(':memory:') ? path.dirname(path.resolve(dbFile)) : path.resolve('data');
  return {
    databaseUrl: c.DATABASE_URL,
    databaseAuthToken: c.DATABASE_AUTH_TOKEN,
    // Ignored by Next's file tracing: a path from the environment would put the whole project into the standalone output.
    exportsDir: path.resolve(/* turbopackIgnore: true */ c.EXPORTS_DIR),
    notionBaseUrl: c.NOTION_BASE_URL,
    secret: c.NOTION_SYNC_SECRET,
    dataDir,
    port: c.PORT,
    requestsPerSecond: c.NOTION_RATE_LIMIT,
    runnerEnabled: c.RUNNER_ENABLED === 'true',
    trustProxy: c.TRUST_PROXY === 'true',
    leaseMs: c.RUNNER_LEASE_MS,
    deployment: deploymentOf({ NOTION_SYNC_ENV: c.NOTION_SYNC_ENV, NODE_ENV: c.NODE_ENV }),
    notionApiHosts: c.NOTION_API_HOSTS.flatMap((host) => normalizeApiHost(host) ?? []),
    publicUrl: new URL(c.PUBLIC_URL ?? `http://localhost:${c.PORT}`).origin,
    firstAdmin: c.ADMIN_EMAIL && c.ADMIN_PASSWORD ? { email: c.ADMIN_EMAIL, password: c.ADMIN_PASSWORD } : undefined,
    singleSignOn,
    tracing,
    metricsToken: c.METRICS_TOKEN,
    metricsPort: c.METRICS_PORT,
    healthMinFreeBytes: Math.round(c.HEALTH_MIN_FREE_MB * 1024 * 1024),
    runnerId: c.RUNNER_ID,
    runnerMaxExports: c.RUNNER_MAX_EXPORTS,
  };
}
