import { actorAndAddress, recordAudit } from '@/server/audit/audit-log';
import { NOTION_AVERAGE_RATE, readSettings, SETTINGS_LIMITS, type RuntimeSettings, SettingsPatch, writeSettings } from '@/server/settings';
import { adminProcedure, router, viewerProcedure } from '../trpc';

/** The settings whose value changed, before and after (for the audit log). */
function changes(before: RuntimeSettings, after: RuntimeSettings) {
  const keys = (Object.keys(after) as (keyof RuntimeSettings)[]).filter((key) => before[key] !== after[key]);
  return {
    before: Object.fromEntries(keys.map((key) => [key, before[key]])),
    after: Object.fromEntries(keys.map((key) => [key, after[key]])),
  };
}

export const settingsRouter = router({
  /** The request budget (shown beside an export's live rate) and the concurrency, with the bounds the form shows. */
  get: viewerProcedure.query(async ({ ctx }) => ({
    ...(await readSettings(ctx.app.database.db, ctx.app.config)),
    limits: SETTINGS_LIMITS,
    notionAverageRate: NOTION_AVERAGE_RATE,
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
});
