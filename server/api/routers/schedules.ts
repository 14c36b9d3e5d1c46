import { z } from 'zod';
import { actorAndAddress } from '@/server/audit/audit-log';
import { DomainError } from '@/server/errors';
import { ExportFormat } from '@/server/export/domain/export';
import { previewRetention, pruneSnapshots } from '@/server/schedules/prune';
import { parseWithin } from '@/server/schedules/retention';
import { compileSchedule, isKnownTimeZone, parseSchedule } from '@/server/schedules/schedule';
import { connectionInUse, findSchedule, lastScheduledExport, policyOf, removeSchedule, saveSchedule } from '@/server/schedules/schedule-store';
import { describeSchedule } from '@/server/schedules/schedule-words';
import { operatorProcedure, router, viewerProcedure } from '../trpc';

const ConnectionId = z.string().min(1).max(200);
const TimeZone = z.string().trim().min(1, 'Choose a time zone').max(100).refine(isKnownTimeZone, 'Unknown time zone: choose an IANA zone such as Europe/Berlin or UTC');
const Cron = z.string().trim().min(1, 'Enter a cron expression').max(200, 'At most 200 characters');

/** A keep-* count: a whole number, -1 for every hour/day/… (restic's unlimited), null or 0 for a rule not used. */
const KeepCount = z
  .number({ message: 'Enter a whole number' })
  .int('Enter a whole number')
  .min(-1, 'Enter a count, or -1 to keep one for every period')
  .max(100_000, 'At most 100,000')
  .nullable()
  .optional();

export const RetentionPolicyInput = z.object({
  keepLast: KeepCount,
  keepHourly: KeepCount,
  keepDaily: KeepCount,
  keepWeekly: KeepCount,
  keepMonthly: KeepCount,
  keepYearly: KeepCount,
  keepWithin: z
    .string()
    .trim()
    .max(40, 'At most 40 characters')
    .refine((v) => v === '' || parseWithin(v) !== undefined, 'Use years, months, weeks, days and hours such as 30d, 2w or 1y6m')
    .nullable()
    .optional(),
});

export const SetScheduleInput = z.object({
  connectionId: ConnectionId,
  cron: Cron,
  timezone: TimeZone,
  enabled: z.boolean().default(true),
  formats: z.array(ExportFormat).min(1, 'Choose at least one format').optional(),
  retention: RetentionPolicyInput.optional(),
});

const RetentionInput = z.object({
  connectionId: ConnectionId,
  policy: RetentionPolicyInput,
  /** The zone whose hours, days and weeks the rules count; default the schedule's, else UTC. */
  timezone: TimeZone.optional(),
});

/** The zone retention counts in: the one asked for, the schedule's, or UTC. */
async function retentionZone(app: Parameters<typeof findSchedule>[0], connectionId: string, asked?: string): Promise<string> {
  await connectionInUse(app, connectionId);
  return asked ?? (await findSchedule(app, connectionId))?.timezone ?? 'UTC';
}

export const schedulesRouter = router({
  /** A connection with its schedule (the next runs in words), its policy and the last scheduled sync. */
  get: viewerProcedure.input(z.object({ connectionId: ConnectionId })).query(async ({ ctx, input }) => {
    const connection = await connectionInUse(ctx.app, input.connectionId);
    const row = await findSchedule(ctx.app, input.connectionId);
    const now = new Date();
    return {
      connection,
      schedule: row
        ? {
            cron: row.cron,
            timezone: row.timezone,
            enabled: row.enabled,
            formats: row.formats,
            retention: policyOf(row),
            lastDueAt: row.lastDueAt,
            updatedAt: row.updatedAt,
            updatedBy: row.updatedBy,
            description: describeSchedule(compileSchedule(row.cron, row.timezone), now),
          }
        : null,
      lastRun: await lastScheduledExport(ctx.app, input.connectionId),
    };
  }),

  /** Checks an expression as it is typed: its words and next runs, or why it cannot be a schedule. */
  describe: viewerProcedure.input(z.object({ cron: Cron, timezone: TimeZone })).query(({ input }) => {
    try {
      return { ok: true as const, description: describeSchedule(parseSchedule(input.cron, input.timezone), new Date()) };
    } catch (error) {
      if (error instanceof DomainError) return { ok: false as const, message: error.message };
      throw error;
    }
  }),

  set: operatorProcedure.input(SetScheduleInput).mutation(async ({ ctx, input }) => {
    const row = await saveSchedule(ctx.app, input, actorAndAddress(ctx));
    return { cron: row.cron, timezone: row.timezone, enabled: row.enabled };
  }),

  remove: operatorProcedure
    .input(z.object({ connectionId: ConnectionId }))
    .mutation(({ ctx, input }) => removeSchedule(ctx.app, input.connectionId, actorAndAddress(ctx))),

  /** What a policy would keep and remove, and why, before anything is removed. */
  previewRetention: operatorProcedure.input(RetentionInput).query(async ({ ctx, input }) => {
    const timeZone = await retentionZone(ctx.app, input.connectionId, input.timezone);
    return previewRetention(ctx.app, input.connectionId, input.policy, { timeZone });
  }),

  /** Removes the snapshots the policy does not keep (audited as retention.applied). */
  applyRetention: operatorProcedure.input(RetentionInput).mutation(async ({ ctx, input }) => {
    const timeZone = await retentionZone(ctx.app, input.connectionId, input.timezone);
    return pruneSnapshots(ctx.app, input.connectionId, input.policy, { timeZone, trigger: 'manual', by: actorAndAddress(ctx) });
  }),
});
