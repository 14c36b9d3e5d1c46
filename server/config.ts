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
 * `production` unless told otherwise (NOTION_SYNC_ENV, or NODE_ENV=development under `next dev`).
 * `development` and `demo` let a connection use any http(s) API base URL, such as the Notion twin.
 */
export const DEPLOYMENTS = ['production', 'development', 'demo'] as const;
export type Deployment = (typeof DEPLOYMENTS)[number];

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
    z.coerce.number().int().min(1000, { message: 'must be at least 1000 (milliseconds)' }).default(60_000),
  ),
  RUNNER_ENABLED: z.preprocess((v) => (v === '' ? undefined : v), z.enum(['true', 'false']).default('true')),
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
});

/** The protocols traces can be sent with: the OTLP/HTTP exporter here speaks JSON only. */
export const TRACE_PROTOCOLS = ['http/json'] as const;

/**
 * Tracing as the standard OTEL_* variables describe it; undefined (off) without an endpoint or
 * with OTEL_SDK_DISABLED=true. The protocol is checked only when spans would be sent.
 */
function tracingOf(e: z.output<typeof EnvSchema>): TracingConfig | undefined {
  if (e.OTEL_SDK_DISABLED?.trim().toLowerCase() === 'true') return undefined;
  const base = e.OTEL_EXPORTER_OTLP_ENDPOINT?.replace(/\/+$/, '');
  const url = e.OTEL_EXPORTER_OTLP_TRACES_ENDPOINT ?? (base === undefined ? undefined : `${base}/v1/traces`);
  if (url === undefined) return undefined;
  const variable = e.OTEL_EXPORTER_OTLP_TRACES_PROTOCOL === undefined ? 'OTEL_EXPORTER_OTLP_PROTOCOL' : 'OTEL_EXPORTER_OTLP_TRACES_PROTOCOL';
  const protocol = (e[variable] ?? 'http/json').trim();
  if (!(TRACE_PROTOCOLS as readonly string[]).includes(protocol)) {
    throw new ConfigError([
      `${variable}: "${protocol}" is not supported; set ${TRACE_PROTOCOLS.join(' or ')} (or leave it unset): spans are sent as OTLP/HTTP JSON (http/protobuf and grpc are not supported)`,
    ]);
  }
  return { url, serviceName: e.OTEL_SERVICE_NAME?.trim() || 'notion-sync' };
}

/** The OIDC_* variables without which single sign-on is off; set one, set all. */
const OIDC_REQUIRED = ['OIDC_ISSUER', 'OIDC_CLIENT_ID', 'OIDC_CLIENT_SECRET'] as const;
const OIDC_OPTIONAL = ['OIDC_DISPLAY_NAME', 'OIDC_ROLE_CLAIM', 'OIDC_ROLE_MAP', 'OIDC_DEFAULT_ROLE', 'OIDC_EXTRA_SCOPES'] as const;

/** Single sign-on as the OIDC_* variables describe it, all or nothing. */
function singleSignOnOf(e: z.output<typeof EnvSchema>): SingleSignOnConfig | undefined {
  const missing = OIDC_REQUIRED.filter((name) => e[name] === undefined);
  const present = OIDC_REQUIRED.filter((name) => e[name] !== undefined);
  if (present.length === 0) {
    const stray = OIDC_OPTIONAL.filter((name) => e[name] !== undefined);
    if (stray.length === 0) return undefined;
    throw new ConfigError(stray.map((name) => `${name}: needs ${OIDC_REQUIRED.join(', ')} (single sign-on is off without them)`));
  }
  if (missing.length > 0) throw new ConfigError(missing.map((name) => `${name}: must be set together with ${present.join(' and ')}`));
  const roleMap = e.OIDC_ROLE_MAP ?? [];
  const defaultRole = e.OIDC_DEFAULT_ROLE === 'none' ? undefined : e.OIDC_DEFAULT_ROLE;
  if (roleMap.length === 0 && !defaultRole) {
    throw new ConfigError(['OIDC_ROLE_MAP: must map at least one value to a role (such as admins=admin), or nobody could sign in with single sign-on (or set OIDC_DEFAULT_ROLE)']);
  }
  return {
    issuer: e.OIDC_ISSUER as string,
    clientId: e.OIDC_CLIENT_ID as string,
    clientSecret: e.OIDC_CLIENT_SECRET as string,
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

/** Reads and validates the environment once; every bad value is named with what is expected. */
export function loadConfig(env: Record<string, string | undefined> = process.env): Config {
  const parsed = EnvSchema.safeParse(env);
  if (!parsed.success) {
    throw new ConfigError(parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`));
  }
  const e = parsed.data;
  if ((e.ADMIN_EMAIL === undefined) !== (e.ADMIN_PASSWORD === undefined)) {
    throw new ConfigError([`${e.ADMIN_EMAIL ? 'ADMIN_PASSWORD' : 'ADMIN_EMAIL'}: must be set together with ${e.ADMIN_EMAIL ? 'ADMIN_EMAIL' : 'ADMIN_PASSWORD'}`]);
  }
  const dbFile = e.DATABASE_URL.startsWith('file:') ? e.DATABASE_URL.slice('file:'.length) : undefined;
  const dataDir = dbFile && !dbFile.includes(':memory:') ? path.dirname(path.resolve(dbFile)) : path.resolve('data');
  return {
    databaseUrl: e.DATABASE_URL,
    databaseAuthToken: e.DATABASE_AUTH_TOKEN,
    exportsDir: path.resolve(e.EXPORTS_DIR),
    notionBaseUrl: e.NOTION_BASE_URL,
    secret: e.NOTION_SYNC_SECRET,
    dataDir,
    port: e.PORT,
    requestsPerSecond: e.NOTION_RATE_LIMIT,
    runnerEnabled: e.RUNNER_ENABLED === 'true',
    trustProxy: e.TRUST_PROXY === 'true',
    leaseMs: e.RUNNER_LEASE_MS,
    deployment: e.NOTION_SYNC_ENV ?? (e.NODE_ENV === 'development' ? 'development' : 'production'),
    notionApiHosts: e.NOTION_API_HOSTS.flatMap((host) => normalizeApiHost(host) ?? []),
    publicUrl: new URL(e.PUBLIC_URL ?? `http://localhost:${e.PORT}`).origin,
    firstAdmin: e.ADMIN_EMAIL && e.ADMIN_PASSWORD ? { email: e.ADMIN_EMAIL, password: e.ADMIN_PASSWORD } : undefined,
    singleSignOn: singleSignOnOf(e),
    tracing: tracingOf(e),
    metricsToken: e.METRICS_TOKEN,
    metricsPort: e.METRICS_PORT,
    healthMinFreeBytes: Math.round(e.HEALTH_MIN_FREE_MB * 1024 * 1024),
  };
}
