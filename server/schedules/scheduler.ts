import { and, desc, eq, gt, inArray, isNull } from 'drizzle-orm';
import { connections, exports, schedules } from '@/db/schema';
import type { AppContext } from '@/server/app-context';
import { DomainError } from '@/server/errors';
import { requestSync } from '@/server/export/control/request-export';
import { EXPORT_FORMATS, type ExportFormat } from '@/server/export/domain/export';
import { recordScheduleSkips } from '@/server/observability/schedule-metrics';
import { type Clock, systemClock, waitOrAbort } from '@/server/retry/clock';
import { type PruneResult, pruneSnapshots } from './prune';
import { hasRule } from './retention';
import { compileSchedule, dueTimesBetween, latestDueTime } from './schedule';
import { policyOf, type ScheduleRow } from './schedule-store';

/** What the scheduler says about its work (the process's logger in production). */
export interface SchedulerLog {
  info(fields: Record<string, unknown>, message: string): void;
  warn(fields: Record<string, unknown>, message: string): void;
}

export interface SchedulerOptions {
  /** Time for the due times and the wait between looks. Default: the system clock. */
  clock?: Clock;
  /** How long between looks (default 20 s): a due sync starts within this of its time. */
  intervalMs?: number;
  log?: SchedulerLog;
}

/** What became of one due time. `taken`: another process claimed it first (it requests the sync). */
export type DueOutcome =
  | { connectionId: string; dueAt: Date; outcome: 'requested'; exportId: string }
  | { connectionId: string; dueAt: Date; outcome: 'skipped'; reason: string }
  | { connectionId: string; dueAt: Date; outcome: 'taken' };

export interface SchedulerPass {
  due: DueOutcome[];
  pruned: ({ connectionId: string } & PruneResult)[];
}

const quiet: SchedulerLog = { info: () => undefined, warn: () => undefined };
const messageOf = (error: unknown) => (error instanceof Error ? error.message : String(error));

/**
 * Requests the syncs schedules ask for. Every interval (and once on start) it looks at each
 * enabled schedule of a connection in use, finds the latest run time that is due and comes after
 * both its last due time and its last change, and claims it with one compare-and-set on
 * `lastDueAt`: of several processes on one database, one requests the sync. After downtime that
 * is one catch-up run, for the latest time missed. While a sync of the connection is queued or
 * running, the due time is claimed and skipped (counted and logged), never a second sync at once.
 *
 * When a scheduled sync of a connection with a retention policy has finished since the policy was
 * last changed, the policy is applied (pruneSnapshots), once per finished sync in this process.
 */
export class Scheduler {
  readonly #clock: Clock;
  readonly #intervalMs: number;
  readonly #log: SchedulerLog;
  #loop?: Promise<void>;
  readonly #stop = new AbortController();
  /** Per connection, the finish time of the scheduled sync after which its policy was last applied. */
  readonly #prunedAfter = new Map<string, number>();
  /** Due times this process requested a sync for, and those it skipped. */
  readonly counts = { requested: 0, skipped: 0 };

  constructor(
    private readonly ctx: AppContext,
    options: SchedulerOptions = {},
  ) {
    this.#clock = options.clock ?? systemClock;
    this.#intervalMs = options.intervalMs ?? 20_000;
    this.#log = options.log ?? quiet;
  }

  start(): void {
    this.#loop ??= this.#run();
  }

  /** Ends the loop; resolves once a look under way has finished. */
  async stop(): Promise<void> {
    this.#stop.abort();
    await this.#loop;
  }

  async #run(): Promise<void> {
    while (!this.#stop.signal.aborted) {
      try {
        await this.runOnce();
      } catch (error) {
        this.#log.warn({ err: error }, `scheduler: ${messageOf(error)}`);
      }
      if (!(await waitOrAbort(this.#clock, this.#intervalMs, this.#stop.signal))) break;
    }
  }

  /** One look at every schedule: the due syncs requested, the finished ones' policies applied. */
  async runOnce(): Promise<SchedulerPass> {
    const now = new Date(this.#clock.now());
    const rows = await this.ctx.database.db
      .select({ schedule: schedules })
      .from(schedules)
      .innerJoin(connections, eq(connections.id, schedules.connectionId))
      .where(and(eq(schedules.enabled, true), isNull(connections.removedAt)));
    const pass: SchedulerPass = { due: [], pruned: [] };
    for (const { schedule } of rows) {
      try {
        const due = await this.#requestDue(schedule, now);
        if (due) pass.due.push(due);
        const pruned = await this.#pruneAfterSync(schedule, now);
        if (pruned) pass.pruned.push({ connectionId: schedule.connectionId, ...pruned });
      } catch (error) {
        this.#log.warn({ err: error, connectionId: schedule.connectionId }, `scheduler: ${messageOf(error)}`);
      }
    }
    return pass;
  }

  async #requestDue(schedule: ScheduleRow, now: Date): Promise<DueOutcome | undefined> {
    const { connectionId } = schedule;
    const since = new Date(Math.max(schedule.lastDueAt?.getTime() ?? 0, schedule.updatedAt.getTime()));
    const compiled = compileSchedule(schedule.cron, schedule.timezone);
    const dueAt = latestDueTime(compiled, since, now);
    if (!dueAt) return undefined;
    if (!(await this.#claim(schedule, dueAt, schedule.lastDueAt))) return { connectionId, dueAt, outcome: 'taken' };
    // The times missed before the latest one (downtime) are not run: one catch-up stands for them.
    recordScheduleSkips('catch_up', dueTimesBetween(compiled, since, now) - 1);
    try {
      const { exportId } = await requestSync(this.ctx, {
        connectionId,
        formats: schedule.formats.filter((f): f is ExportFormat => (EXPORT_FORMATS as readonly string[]).includes(f)),
        options: schedule.options,
        trigger: 'schedule',
      });
      this.counts.requested++;
      this.#log.info({ connectionId, dueAt, exportId }, `scheduler: sync ${exportId} requested for ${dueAt.toISOString()}`);
      return { connectionId, dueAt, outcome: 'requested', exportId };
    } catch (error) {
      if (!(error instanceof DomainError)) {
        // Not a refusal: give the due time back, so the next look tries again.
        await this.#release(schedule, dueAt);
        throw error;
      }
      this.counts.skipped++;
      recordScheduleSkips(error.code === 'CONFLICT' ? 'busy' : 'refused');
      this.#log.warn({ connectionId, dueAt, reason: error.message }, `scheduler: the run due ${dueAt.toISOString()} is skipped: ${error.message}`);
      return { connectionId, dueAt, outcome: 'skipped', reason: error.message };
    }
  }

  /** The compare-and-set: true when this process moved `lastDueAt` from what it read to `dueAt` (and nobody changed the schedule meanwhile). */
  async #claim(schedule: ScheduleRow, dueAt: Date, from: Date | null): Promise<boolean> {
    const claimed = await this.ctx.database.db
      .update(schedules)
      .set({ lastDueAt: dueAt })
      .where(
        and(
          eq(schedules.connectionId, schedule.connectionId),
          eq(schedules.enabled, true),
          eq(schedules.updatedAt, schedule.updatedAt),
          from ? eq(schedules.lastDueAt, from) : isNull(schedules.lastDueAt),
        ),
      )
      .returning({ connectionId: schedules.connectionId });
    return claimed.length === 1;
  }

  async #release(schedule: ScheduleRow, dueAt: Date): Promise<void> {
    await this.ctx.database.db
      .update(schedules)
      .set({ lastDueAt: schedule.lastDueAt })
      .where(and(eq(schedules.connectionId, schedule.connectionId), eq(schedules.lastDueAt, dueAt)));
  }

  /** Applies the policy once a scheduled sync finished after the policy's last change (and after the last time it was applied here). */
  async #pruneAfterSync(schedule: ScheduleRow, now: Date): Promise<PruneResult | undefined> {
    const policy = policyOf(schedule);
    if (!hasRule(policy)) return undefined;
    const after = Math.max(schedule.updatedAt.getTime(), this.#prunedAfter.get(schedule.connectionId) ?? 0);
    const [finished] = await this.ctx.database.db
      .select({ finishedAt: exports.finishedAt })
      .from(exports)
      .where(
        and(
          eq(exports.connectionId, schedule.connectionId),
          eq(exports.trigger, 'schedule'),
          inArray(exports.status, ['completed', 'completed_with_errors']),
          gt(exports.finishedAt, new Date(after)),
        ),
      )
      .orderBy(desc(exports.finishedAt))
      .limit(1);
    if (!finished?.finishedAt) return undefined;
    this.#prunedAfter.set(schedule.connectionId, finished.finishedAt.getTime());
    const result = await pruneSnapshots(this.ctx, schedule.connectionId, policy, { timeZone: schedule.timezone, now, trigger: 'schedule' });
    if (result.removed.length > 0 || result.failed.length > 0) {
      this.#log.info(
        { connectionId: schedule.connectionId, removed: result.removed.length, failed: result.failed.length, bytes: result.bytesRemoved },
        `scheduler: retention removed ${result.removed.length} snapshot(s)`,
      );
    }
    return result;
  }
}
