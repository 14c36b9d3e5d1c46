import { eq } from 'drizzle-orm';
import { z } from 'zod';
import type { DB, Tx } from '@/db/client';
import { settings } from '@/db/schema';
import { type Clock, waitOrAbort } from '@/server/retry/clock';

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
  /** Pages and databases one export fetches at once; running exports follow a change within seconds. */
  pagesInFlight: z
    .number({ message: 'Enter a whole number' })
    .int('Enter a whole number')
    .min(pages.min, `At least ${pages.min} page at a time`)
    .max(pages.max, `At most ${pages.max} pages at a time`),
  /** Attachments one export downloads at once; running exports follow a change within seconds. */
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

/**
 * How often a running export looks at the settings (and the feature flags): a change in the
 * dashboard reaches every process, the dashboard's and each worker's, this long after it is saved.
 */
export const SETTINGS_CHECK_MS = 2000;

export interface FollowOptions {
  /** The run's clock: the waits between looks. */
  clock: Clock;
  /** Ends the following (the run is over). */
  until: AbortSignal;
  /** Called with the settings now: once at first, then at every look. */
  apply(settings: RuntimeSettings): void | Promise<void>;
  everyMs?: number;
}

/**
 * Run-time configuration, the one way: applies the settings now (the defaults if the database
 * cannot answer), then looks again every SETTINGS_CHECK_MS of the clock until `until` aborts.
 * Resolves once the first settings are applied; `done` settles when the looking ends. A look
 * that fails (a busy database) leaves what was applied until the next one.
 */
export async function followSettings(db: DB, env: SettingsDefaults, options: FollowOptions): Promise<{ done: Promise<void> }> {
  const { clock, until, apply, everyMs = SETTINGS_CHECK_MS } = options;
  await apply(await settingsForRun(db, env));
  const done = (async () => {
    while (await waitOrAbort(clock, everyMs, until)) {
      try {
        await apply(await readSettings(db, env));
      } catch {
        // Not this time: the next look tries again.
      }
    }
  })();
  return { done };
}

/** How many exports one runner performs at once unless RUNNER_MAX_EXPORTS says otherwise. */
export const DEFAULT_MAX_EXPORTS = 3;

/**
 * The runner's run-time settings, stored apart from the export's (key `runner`): how many exports
 * of different connections one runner performs at once (never more than RUNNER_MAX_EXPORTS, which
 * sizes the process's memory), and the request budget shared by every connection into one
 * workspace (unset: none configured; the shared limiter still learns it from Notion's
 * workspace-level 429 answers).
 */
export const RunnerSettings = z.object({
  maxExports: z.number().int('Enter a whole number').min(1, 'At least 1 export at a time').max(16, 'At most 16 exports at a time'),
  workspaceRequestsPerSecond: z
    .number({ message: 'Enter a number of requests per second' })
    .min(0.1, 'The workspace budget is at least 0.1 requests per second')
    .max(100, 'The workspace budget is at most 100 requests per second')
    .nullable(),
});
export type RunnerSettings = z.infer<typeof RunnerSettings>;

/**
 * The runner's settings now, each stored value checked on its own; `maxExports` never above the
 * process's RUNNER_MAX_EXPORTS. A database that cannot answer leaves the defaults.
 */
export async function readRunnerSettings(db: DB, env: { runnerMaxExports?: number }): Promise<RunnerSettings> {
  const cap = env.runnerMaxExports ?? DEFAULT_MAX_EXPORTS;
  const stored: Partial<RunnerSettings> = {};
  try {
    const [row] = await db.select().from(settings).where(eq(settings.key, 'runner'));
    const value = row?.value;
    if (typeof value === 'object' && value !== null) {
      for (const key of Object.keys(RunnerSettings.shape) as (keyof RunnerSettings)[]) {
        const parsed = RunnerSettings.shape[key].safeParse((value as Record<string, unknown>)[key]);
        if (parsed.success) Object.assign(stored, { [key]: parsed.data });
      }
    }
  } catch {
    // Busy or closed: the defaults, until the next look.
  }
  return { maxExports: Math.min(cap, stored.maxExports ?? cap), workspaceRequestsPerSecond: stored.workspaceRequestsPerSecond ?? null };
}

/** A change of the runner's settings (what `settings.updateRunner` accepts). */
export const RunnerSettingsPatch = RunnerSettings.partial().refine((patch) => Object.keys(patch).length > 0, 'Change at least one setting');

/**
 * Stores a change of the runner's settings (checked first: nothing is written when a value is out
 * of bounds) and answers what was stored before and after.
 */
export async function writeRunnerSettings(
  db: DB,
  patch: Partial<RunnerSettings>,
): Promise<{ before: Partial<RunnerSettings>; after: Partial<RunnerSettings> }> {
  const checked = RunnerSettings.partial().parse(patch);
  return db.transaction(async (tx) => {
    const [row] = await tx.select().from(settings).where(eq(settings.key, 'runner'));
    const before = typeof row?.value === 'object' && row.value !== null ? (row.value as Partial<RunnerSettings>) : {};
    const after = { ...before, ...checked };
    await tx.insert(settings).values({ key: 'runner', value: after }).onConflictDoUpdate({ target: settings.key, set: { value: after } });
    return { before, after };
  });
}
