import { eq, like } from 'drizzle-orm';
import type { DB } from '@/db/client';
import { settings } from '@/db/schema';
import { type Clock, systemClock } from '@/server/retry/clock';

/**
 * Feature flags: switches for work that is being rolled out, stored in the database (the
 * `settings` table, key `flag.<name>`) so an admin turns one on or off in the dashboard and every
 * process (the dashboard, each worker, the CLI) follows within seconds, without a restart.
 *
 * Each flag says who answers for it and when it goes away: a flag is a temporary branch in the
 * code, not a setting. docs/configuration.md lists them.
 */
export interface FeatureFlag {
  type: 'boolean';
  default: boolean;
  /** Its name in words, as the dashboard shows it (the key stays in the code and the audit log). */
  label: string;
  /** What turning it on does, as the dashboard shows it. */
  description: string;
  /** The part of the code (and so the people) that answers for it. */
  owner: string;
  /** When the flag is taken out of the code (and what then stays). */
  removal: string;
}

export const FEATURE_FLAGS = {
  downloadExternalFiles: {
    type: 'boolean',
    default: true,
    label: 'Download externally linked files',
    description:
      'Exports may download files that pages link to on other sites (the "Download externally linked files" option). Off: the option is not offered, and exports that asked for it keep the links only.',
    owner: 'export files (server/export/files/attachments.ts)',
    removal: 'When downloads from other hosts have a size cap and an allow-list of hosts; the export option then stays without a flag.',
  },
  pageMarkdownEndpoint: {
    type: 'boolean',
    default: false,
    label: "Notion's page-markdown endpoint",
    description:
      "Markdown-only exports read Notion's page-markdown endpoint instead of walking blocks (27–71 % fewer requests, measured). The flag only: this way of exporting is not built yet.",
    owner: 'export crawl and render (server/export/crawl, server/export/render)',
    removal: "When the endpoint's Markdown is shown to match the block writers' output on the twin and real samples (then on for good), or the idea is dropped.",
  },
  webhooks: {
    type: 'boolean',
    default: false,
    label: 'Integration webhooks',
    description:
      "The integration webhook endpoint (/api/webhooks/notion): Notion's change events, signed with a verification token an admin chose below, start a sync of the connection within a minute. Off: it answers 404.",
    owner: 'webhooks, exports and schedules (server/webhooks, server/export/control, server/schedules)',
    removal: 'When webhook signatures are verified and the endpoint has run switched on for one release without a missed or doubled sync.',
  },
} as const satisfies Record<string, FeatureFlag>;

export type FeatureFlagName = keyof typeof FEATURE_FLAGS;
export const FEATURE_FLAG_NAMES = Object.keys(FEATURE_FLAGS) as FeatureFlagName[];

export const isFeatureFlagName = (name: string): name is FeatureFlagName => Object.hasOwn(FEATURE_FLAGS, name);

/**
 * How long a process trusts what it read: a change made elsewhere reaches it at most this long
 * after it was saved. Short enough for "within seconds", long enough that a busy export asking
 * for every file costs one query every few seconds.
 */
export const FLAG_CACHE_MS = 2000;

const KEY_PREFIX = 'flag.';
const keyOf = (name: FeatureFlagName) => `${KEY_PREFIX}${name}`;

interface CachedFlags {
  values: Record<FeatureFlagName, boolean>;
  readAt: number;
  /** A read under way, shared by those who ask meanwhile. */
  reading?: Promise<Record<FeatureFlagName, boolean>>;
}

/** One cache per database connection, which is one per process (two in a test that plays two processes). */
const caches = new WeakMap<DB, CachedFlags>();

const defaults = (): Record<FeatureFlagName, boolean> =>
  Object.fromEntries(FEATURE_FLAG_NAMES.map((name) => [name, FEATURE_FLAGS[name].default])) as Record<FeatureFlagName, boolean>;

/** Every flag as stored, a missing or unreadable value as its default. */
async function readStored(db: DB): Promise<Record<FeatureFlagName, boolean>> {
  const rows = await db.select().from(settings).where(like(settings.key, `${KEY_PREFIX}%`));
  const values = defaults();
  for (const row of rows) {
    const name = row.key.slice(KEY_PREFIX.length);
    if (isFeatureFlagName(name) && typeof row.value === 'boolean') values[name] = row.value;
  }
  return values;
}

export interface FlagReadOptions {
  /** What time it is for the cache (tests move it by hand). */
  clock?: Pick<Clock, 'now'>;
}

/**
 * Every flag now, read from the database at most every FLAG_CACHE_MS. A database that cannot
 * answer leaves the last values read (the defaults if none were) until the next look.
 */
export async function readFlags(db: DB, options: FlagReadOptions = {}): Promise<Record<FeatureFlagName, boolean>> {
  const now = (options.clock ?? systemClock).now();
  const cached = caches.get(db);
  if (cached && now - cached.readAt < FLAG_CACHE_MS) return cached.values;
  if (cached?.reading) return cached.reading;
  const entry: CachedFlags = cached ?? { values: defaults(), readAt: Number.NEGATIVE_INFINITY };
  caches.set(db, entry);
  entry.reading = readStored(db)
    .then((values) => {
      entry.values = values;
      return values;
    })
    .catch(() => entry.values)
    .finally(() => {
      entry.readAt = now;
      entry.reading = undefined;
    });
  return entry.reading;
}

/** Whether flag `name` is on (see readFlags for how fresh the answer is). */
export async function isEnabled(db: DB, name: FeatureFlagName, options: FlagReadOptions = {}): Promise<boolean> {
  return (await readFlags(db, options))[name];
}

/**
 * Turns a flag on or off. Answers whether it was on before (as stored, or its default), so a
 * change can be recorded. This process sees the change at once; the others within FLAG_CACHE_MS.
 */
export async function setFlag(db: DB, name: FeatureFlagName, enabled: boolean): Promise<{ before: boolean; after: boolean }> {
  const before = await db.transaction(async (tx) => {
    const [row] = await tx.select().from(settings).where(eq(settings.key, keyOf(name)));
    await tx
      .insert(settings)
      .values({ key: keyOf(name), value: enabled })
      .onConflictDoUpdate({ target: settings.key, set: { value: enabled } });
    return typeof row?.value === 'boolean' ? row.value : FEATURE_FLAGS[name].default;
  });
  caches.delete(db);
  return { before, after: enabled };
}

/** The flags with what the dashboard shows of each: its value now, its default, what it does, who owns it, when it goes. */
export async function listFlags(db: DB, options: FlagReadOptions = {}) {
  const values = await readFlags(db, options);
  return FEATURE_FLAG_NAMES.map((name) => ({ name, enabled: values[name], ...FEATURE_FLAGS[name] }));
}
