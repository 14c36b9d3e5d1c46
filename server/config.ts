import path from 'node:path';
import { z } from 'zod';

const optionalString = z.preprocess((v) => (v === '' ? undefined : v), z.string().optional());

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
  };
}
