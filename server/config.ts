import path from 'node:path';
import { z } from 'zod';

const optionalString = z.preprocess((v) => (v === '' ? undefined : v), z.string().optional());

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
});

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
    leaseMs: e.RUNNER_LEASE_MS,
    deployment: e.NOTION_SYNC_ENV ?? (e.NODE_ENV === 'development' ? 'development' : 'production'),
    notionApiHosts: e.NOTION_API_HOSTS.flatMap((host) => normalizeApiHost(host) ?? []),
    publicUrl: new URL(e.PUBLIC_URL ?? `http://localhost:${e.PORT}`).origin,
    firstAdmin: e.ADMIN_EMAIL && e.ADMIN_PASSWORD ? { email: e.ADMIN_EMAIL, password: e.ADMIN_PASSWORD } : undefined,
  };
}
