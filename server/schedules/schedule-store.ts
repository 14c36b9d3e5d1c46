import { and, desc, eq } from 'drizzle-orm';
import { connections, exports, schedules } from '@/db/schema';
import type { AppContext } from '@/server/app-context';
import { type AuditActor, audited } from '@/server/audit/audit-log';
import { DomainError } from '@/server/errors';
import { EXPORT_FORMATS, type ExportFormat, type ExportOptions } from '@/server/export/domain/export';
import { parseWithin, type RetentionPolicy } from './retention';
import { parseSchedule } from './schedule';

export type ScheduleRow = typeof schedules.$inferSelect;

/** Who changed it, for the audit log and `updatedBy`. */
export interface ChangedBy {
  actor?: AuditActor;
  address?: string;
}

export interface ScheduleInput {
  connectionId: string;
  cron: string;
  timezone: string;
  enabled: boolean;
  /** Absent: the stored formats stay (every format for a new schedule). */
  formats?: ExportFormat[];
  options?: Partial<ExportOptions>;
  /** Absent: the stored policy stays (none for a new schedule). */
  retention?: RetentionPolicy;
}

/** The policy a schedule row holds. */
export const policyOf = (row: ScheduleRow): RetentionPolicy => ({
  keepLast: row.keepLast,
  keepHourly: row.keepHourly,
  keepDaily: row.keepDaily,
  keepWeekly: row.keepWeekly,
  keepMonthly: row.keepMonthly,
  keepYearly: row.keepYearly,
  keepWithin: row.keepWithin,
});

/** A policy as stored: every rule a count or null, the duration trimmed (an unused rule is null, not 0). */
function storedPolicy(policy: RetentionPolicy): Required<RetentionPolicy> {
  const count = (n: number | null | undefined) => (n === undefined || n === null || n === 0 ? null : n);
  const within = policy.keepWithin?.trim() || null;
  if (within && !parseWithin(within)) {
    throw new DomainError('BAD_INPUT', `“${within}” is not a duration: use years, months, weeks, days and hours such as 30d, 2w or 1y6m`);
  }
  return {
    keepLast: count(policy.keepLast),
    keepHourly: count(policy.keepHourly),
    keepDaily: count(policy.keepDaily),
    keepWeekly: count(policy.keepWeekly),
    keepMonthly: count(policy.keepMonthly),
    keepYearly: count(policy.keepYearly),
    keepWithin: within,
  };
}

/** Checks a keep-within duration the way saving does (BAD_INPUT when it is not one). */
export const checkedPolicy = storedPolicy;

/** The connection a schedule belongs to: one in use (a removed connection has no schedule). */
export async function connectionInUse(ctx: AppContext, connectionId: string) {
  const [row] = await ctx.database.db
    .select({ id: connections.id, name: connections.name, workspaceName: connections.workspaceName, removedAt: connections.removedAt })
    .from(connections)
    .where(eq(connections.id, connectionId));
  if (!row || row.removedAt) throw new DomainError('NOT_FOUND', `Connection ${connectionId} does not exist`);
  return { id: row.id, name: row.name, workspaceName: row.workspaceName };
}

export async function findSchedule(ctx: AppContext, connectionId: string): Promise<ScheduleRow | undefined> {
  const [row] = await ctx.database.db.select().from(schedules).where(eq(schedules.connectionId, connectionId));
  return row;
}

/**
 * Creates or changes a connection's schedule: the cron expression and zone checked by croner
 * (parseSchedule), the policy's duration checked, audited (`schedule.set`, refused ones too).
 * A change takes effect from now: run times before it are not caught up (the scheduler looks
 * only after the later of the last due time and `updatedAt`).
 */
export async function saveSchedule(ctx: AppContext, input: ScheduleInput, by: ChangedBy = {}, now = new Date()): Promise<ScheduleRow> {
  let connectionName: string | undefined;
  return audited(
    ctx.database.db,
    {
      action: 'schedule.set',
      actor: by.actor,
      address: by.address,
      target: { type: 'connection', id: input.connectionId },
      detail: { cron: input.cron, timezone: input.timezone, enabled: input.enabled },
    },
    async () => {
      const connection = await connectionInUse(ctx, input.connectionId);
      connectionName = connection.name;
      const { cron, timezone } = parseSchedule(input.cron, input.timezone, now);
      const policy = input.retention ? storedPolicy(input.retention) : undefined;
      const fields = {
        cron,
        timezone,
        enabled: input.enabled,
        ...(input.formats?.length ? { formats: [...new Set(input.formats)] } : {}),
        ...(input.options ? { options: input.options } : {}),
        ...policy,
        updatedAt: now,
        updatedBy: by.actor?.email ?? null,
      };
      const [row] = await ctx.database.db
        .insert(schedules)
        .values({ connectionId: connection.id, createdAt: now, formats: [...EXPORT_FORMATS], ...fields })
        .onConflictDoUpdate({ target: schedules.connectionId, set: fields })
        .returning();
      if (!row) throw new Error('The schedule was not saved');
      return row;
    },
    (row) => ({ detail: { name: connectionName, cron: row.cron, formats: row.formats, retention: policyOf(row) } }),
  );
}

/** Removes a connection's schedule (audited); its snapshots stay. */
export async function removeSchedule(ctx: AppContext, connectionId: string, by: ChangedBy = {}): Promise<void> {
  await audited(
    ctx.database.db,
    { action: 'schedule.removed', actor: by.actor, address: by.address, target: { type: 'connection', id: connectionId } },
    async () => {
      const removed = await ctx.database.db.delete(schedules).where(eq(schedules.connectionId, connectionId)).returning({ id: schedules.connectionId });
      if (removed.length === 0) throw new DomainError('NOT_FOUND', 'This connection has no schedule');
    },
  );
}

/** The newest export a schedule asked for, for "last run". */
export async function lastScheduledExport(ctx: AppContext, connectionId: string) {
  const [row] = await ctx.database.db
    .select({ id: exports.id, status: exports.status, requestedAt: exports.requestedAt, finishedAt: exports.finishedAt })
    .from(exports)
    .where(and(eq(exports.connectionId, connectionId), eq(exports.trigger, 'schedule')))
    .orderBy(desc(exports.requestedAt))
    .limit(1);
  return row ?? null;
}
