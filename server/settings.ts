import { eq } from 'drizzle-orm';
import { z } from 'zod';
import type { DB, Tx } from '@/db/client';
import { settings } from '@/db/schema';

/**
 * The bounds of each setting, enforced by the server and shown by the dashboard's form. The
 * concurrency bounds also bound memory: every page in flight holds its block tree, every
 * download its buffers, and the export worker has to stay under 100 MB.
 */
export const SETTINGS_LIMITS = {
  requestsPerSecond: { min: 0.1, max: 10 },
  pagesInFlight: { min: 1, max: 8 },
  attachmentDownloads: { min: 1, max: 8 },
} as const;

/** Notion's documented average rate per integration (requests per second): the dashboard warns above it. */
export const NOTION_AVERAGE_RATE = 3;

const { requestsPerSecond: rps, pagesInFlight: pages, attachmentDownloads: downloads } = SETTINGS_LIMITS;

/** Settings that change at run time, without a restart. */
export const RuntimeSettings = z.object({
  /** Notion requests per second per integration token; running exports follow a change within seconds. */
  requestsPerSecond: z
    .number({ message: 'Enter a number of requests per second' })
    .min(rps.min, `The budget is at least ${rps.min} requests per second`)
    .max(rps.max, `The budget is at most ${rps.max} requests per second`),
  /** Pages and databases one export fetches at once; read when a run begins. */
  pagesInFlight: z
    .number({ message: 'Enter a whole number' })
    .int('Enter a whole number')
    .min(pages.min, `At least ${pages.min} page at a time`)
    .max(pages.max, `At most ${pages.max} pages at a time`),
  /** Attachments one export downloads at once; read when a run begins. */
  attachmentDownloads: z
    .number({ message: 'Enter a whole number' })
    .int('Enter a whole number')
    .min(downloads.min, `At least ${downloads.min} download at a time`)
    .max(downloads.max, `At most ${downloads.max} downloads at a time`),
});
export type RuntimeSettings = z.infer<typeof RuntimeSettings>;

/** A change of one or more settings (what `settings.update` accepts). */
export const SettingsPatch = RuntimeSettings.partial().refine((patch) => Object.keys(patch).length > 0, 'Change at least one setting');
export type SettingsPatch = z.infer<typeof SettingsPatch>;

/** The concurrency an export had before it was a setting: unchanged by default. */
export const DEFAULT_PAGES_IN_FLIGHT = 6;
export const DEFAULT_ATTACHMENT_DOWNLOADS = 4;

/** Where the defaults come from: the budget from the environment (NOTION_RATE_LIMIT), the rest fixed. */
export interface SettingsDefaults {
  requestsPerSecond: number;
}

const defaultsFrom = (env: SettingsDefaults): RuntimeSettings => ({
  requestsPerSecond: env.requestsPerSecond,
  pagesInFlight: DEFAULT_PAGES_IN_FLIGHT,
  attachmentDownloads: DEFAULT_ATTACHMENT_DOWNLOADS,
});

/**
 * The values set in the dashboard, each checked on its own: one that the bounds no longer allow
 * (stored before they existed) falls back to its default without taking the others with it.
 */
async function storedSettings(db: DB | Tx): Promise<Partial<RuntimeSettings>> {
  const [row] = await db.select().from(settings).where(eq(settings.key, 'runtime'));
  const value = row?.value;
  if (typeof value !== 'object' || value === null) return {};
  const stored: Partial<RuntimeSettings> = {};
  for (const key of Object.keys(RuntimeSettings.shape) as (keyof RuntimeSettings)[]) {
    const parsed = RuntimeSettings.shape[key].safeParse((value as Record<string, unknown>)[key]);
    if (parsed.success) stored[key] = parsed.data;
  }
  return stored;
}

/** The settings now: what was set in the dashboard, the defaults for the rest. */
export async function readSettings(db: DB, env: SettingsDefaults): Promise<RuntimeSettings> {
  return { ...defaultsFrom(env), ...(await storedSettings(db)) };
}

/**
 * The settings a run begins with. A database too busy to answer this once must not stop the run:
 * it goes on with the defaults.
 */
export async function settingsForRun(db: DB, env: SettingsDefaults): Promise<RuntimeSettings> {
  try {
    return await readSettings(db, env);
  } catch {
    return defaultsFrom(env);
  }
}

/**
 * Applies `patch` (checked against the bounds first: nothing is written when a value is out of
 * them) and answers the settings before and after. Only what was set is stored, so a setting
 * nobody changed keeps following its default (the environment's budget).
 */
export async function writeSettings(
  db: DB,
  patch: SettingsPatch,
  env: SettingsDefaults,
): Promise<{ before: RuntimeSettings; after: RuntimeSettings }> {
  const checked = SettingsPatch.parse(patch);
  return db.transaction(async (tx) => {
    const stored = await storedSettings(tx);
    const before = { ...defaultsFrom(env), ...stored };
    const next = { ...stored, ...checked };
    await tx
      .insert(settings)
      .values({ key: 'runtime', value: next })
      .onConflictDoUpdate({ target: settings.key, set: { value: next } });
    return { before, after: { ...defaultsFrom(env), ...next } };
  });
}
