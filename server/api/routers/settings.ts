import { z } from 'zod';
import { actorAndAddress, recordAudit } from '@/server/audit/audit-log';
import { FEATURE_FLAG_NAMES, listFlags, readFlags, setFlag } from '@/server/feature-flags';
import {
  NOTION_AVERAGE_RATE,
  readRunnerSettings,
  readSettings,
  RunnerSettingsPatch,
  SETTINGS_LIMITS,
  type RuntimeSettings,
  SettingsPatch,
  writeRunnerSettings,
  writeSettings,
} from '@/server/settings';
import { adminProcedure, router, viewerProcedure } from '../trpc';

/** The settings whose value changed, before and after (for the audit log). */
function changes(before: RuntimeSettings, after: RuntimeSettings) {
  const keys = (Object.keys(after) as (keyof RuntimeSettings)[]).filter((key) => before[key] !== after[key]);
  return {
    before: Object.fromEntries(keys.map((key) => [key, before[key]])),
    after: Object.fromEntries(keys.map((key) => [key, after[key]])),
  };
}

const FlagChange = z.object({
  name: z.enum(FEATURE_FLAG_NAMES as [string, ...string[]], { message: `Choose one of ${FEATURE_FLAG_NAMES.join(', ')}` }),
  enabled: z.boolean({ message: 'Say whether the flag is on (true) or off (false)' }),
});

export const settingsRouter = router({
  /**
   * The request budget (shown beside an export's live rate) and the concurrency, with the bounds
   * the form shows, and whether each feature flag is on (the forms offer what they allow).
   */
  get: viewerProcedure.query(async ({ ctx }) => ({
    ...(await readSettings(ctx.app.database.db, ctx.app.config)),
    limits: SETTINGS_LIMITS,
    notionAverageRate: NOTION_AVERAGE_RATE,
    flags: await readFlags(ctx.app.database.db),
  })),
  update: adminProcedure.input(SettingsPatch).mutation(async ({ ctx, input }) => {
    const { before, after } = await writeSettings(ctx.app.database.db, input, ctx.app.config);
    const changed = changes(before, after);
    if (Object.keys(changed.after).length > 0) {
      await recordAudit(ctx.app.database.db, {
        action: 'settings.changed',
        ...actorAndAddress(ctx),
        target: { type: 'settings', id: 'runtime' },
        detail: changed,
      });
    }
    return after;
  }),
  /**
   * The runner's settings: exports of different connections one runner performs at once (this
   * process's RUNNER_MAX_EXPORTS is the ceiling) and the budget shared by a workspace's connections.
   */
  runner: viewerProcedure.query(async ({ ctx }) => ({
    ...(await readRunnerSettings(ctx.app.database.db, ctx.app.config)),
    maxExportsCeiling: ctx.app.config.runnerMaxExports ?? null,
  })),
  /** Changes the runner's settings; every runner follows within seconds. */
  updateRunner: adminProcedure.input(RunnerSettingsPatch).mutation(async ({ ctx, input }) => {
    const { before, after } = await writeRunnerSettings(ctx.app.database.db, input);
    const keys = (Object.keys(input) as (keyof typeof input)[]).filter((key) => before[key] !== after[key]);
    if (keys.length > 0) {
      await recordAudit(ctx.app.database.db, {
        action: 'settings.changed',
        ...actorAndAddress(ctx),
        target: { type: 'settings', id: 'runner' },
        detail: {
          before: Object.fromEntries(keys.map((key) => [key, before[key] ?? null])),
          after: Object.fromEntries(keys.map((key) => [key, after[key] ?? null])),
        },
      });
    }
    return readRunnerSettings(ctx.app.database.db, ctx.app.config);
  }),
  /** Every feature flag with its value, default, owner and removal condition (admins). */
  flags: adminProcedure.query(({ ctx }) => listFlags(ctx.app.database.db)),
  /** Turns a feature flag on or off; every process follows within seconds. */
  setFlag: adminProcedure.input(FlagChange).mutation(async ({ ctx, input }) => {
    const name = input.name as (typeof FEATURE_FLAG_NAMES)[number];
    const { before, after } = await setFlag(ctx.app.database.db, name, input.enabled);
    if (before !== after) {
      await recordAudit(ctx.app.database.db, {
        action: 'settings.flag-changed',
        ...actorAndAddress(ctx),
        target: { type: 'settings', id: `flag.${name}` },
        detail: { flag: name, before, after },
      });
    }
    return { name, enabled: after };
  }),
});
