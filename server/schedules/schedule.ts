import { Cron } from 'croner';
import { DomainError } from '@/server/errors';

/** A schedule may run at most this often: a sync reads Notion's changes, and Notion's budget is shared. */
export const MIN_INTERVAL_MS = 5 * 60_000;

/** How many coming runs are looked at for the shortest gap (enough to meet every pair of minutes, hours and days a month or a year has). */
const RUNS_CHECKED = 500;

/** Cron's nicknames, as the five fields they stand for (stored and described in that form). */
const NICKNAMES: Record<string, string> = {
  '@yearly': '0 0 1 1 *',
  '@annually': '0 0 1 1 *',
  '@monthly': '0 0 1 * *',
  '@weekly': '0 0 * * 0',
  '@daily': '0 0 * * *',
  '@midnight': '0 0 * * *',
  '@hourly': '0 * * * *',
};

/** A cron expression and time zone that passed every check, with croner's job to evaluate it. */
export interface ValidSchedule {
  /** Five fields (minute hour day-of-month month day-of-week), single spaces. */
  cron: string;
  timezone: string;
  job: Cron;
}

/** Whether `timezone` is an IANA zone this runtime knows (or UTC). */
export function isKnownTimeZone(timezone: string): boolean {
  if (!timezone) return false;
  try {
    new Intl.DateTimeFormat('en-US', { timeZone: timezone });
    return true;
  } catch {
    return false;
  }
}

/** The five fields of `expression` (a nickname written out), or a refusal that says what is wrong. */
export function normalizeCron(expression: string): string {
  const trimmed = expression.trim().replace(/\s+/g, ' ');
  const nickname = NICKNAMES[trimmed.toLowerCase()];
  if (nickname) return nickname;
  if (trimmed === '') throw new DomainError('BAD_INPUT', 'Enter a cron expression, such as “0 2 * * *” (every day at 02:00)');
  const fields = trimmed.split(' ').length;
  if (fields !== 5) {
    throw new DomainError(
      'BAD_INPUT',
      `A schedule has five fields (minute, hour, day of month, month, day of week); “${trimmed}” has ${fields}`,
    );
  }
  return trimmed;
}

/** Croner's words for a bad field, without its class name ("CronPattern: Invalid value for minute: 61"). */
function fieldError(error: unknown): string {
  const message = error instanceof Error ? error.message : String(error);
  return message.replace(/^Cron\w*:\s*/, '');
}

/**
 * Checks a cron expression in an IANA time zone and returns it ready to evaluate: five fields,
 * every field valid, a run to come, and never two runs closer than five minutes. Refusals are
 * DomainErrors (BAD_INPUT) in words meant for people.
 */
export function parseSchedule(expression: string, timezone: string, now: Date = new Date()): ValidSchedule {
  const cron = normalizeCron(expression);
  if (!isKnownTimeZone(timezone)) throw new DomainError('BAD_INPUT', `Unknown time zone “${timezone}”: choose an IANA zone such as Europe/Berlin or UTC`);
  const { job } = compileSchedule(cron, timezone);
  const runs = job.nextRuns(RUNS_CHECKED, now);
  if (runs.length === 0) throw new DomainError('BAD_INPUT', `“${cron}” never runs (no date matches it)`);
  for (let i = 1; i < runs.length; i++) {
    const gap = (runs[i]?.getTime() ?? 0) - (runs[i - 1]?.getTime() ?? 0);
    if (gap < MIN_INTERVAL_MS) throw new DomainError('BAD_INPUT', 'Every 5 minutes is the most often a schedule may run');
  }
  return { cron, timezone, job };
}

/**
 * A stored schedule (checked when it was saved) ready to evaluate, without the checks of
 * `parseSchedule`: the scheduler compiles every enabled schedule on each look.
 */
export function compileSchedule(cron: string, timezone: string): ValidSchedule {
  try {
    return { cron, timezone, job: new Cron(cron, { timezone, mode: '5-part', paused: true }) };
  } catch (error) {
    throw new DomainError('BAD_INPUT', `“${cron}” is not a valid cron expression: ${fieldError(error)}`);
  }
}

/** The next `count` run times after `after`. */
export function nextRuns(schedule: ValidSchedule, count: number, after: Date): Date[] {
  return schedule.job.nextRuns(count, after);
}

/** Most due times counted between two looks (a schedule every 5 minutes, missed for about 3 days). */
export const MAX_COUNTED_DUE_TIMES = 1000;

/** How many run times fall after `since` and at or before `now` (at most MAX_COUNTED_DUE_TIMES). */
export function dueTimesBetween(schedule: ValidSchedule, since: Date, now: Date): number {
  return schedule.job.nextRuns(MAX_COUNTED_DUE_TIMES, since).filter((run) => run.getTime() <= now.getTime()).length;
}

/**
 * The most recent run time that is due (at or before `now`) and comes after `since`, if any: after
 * downtime the one catch-up run is the latest missed time, not one per missed time.
 */
export function latestDueTime(schedule: ValidSchedule, since: Date, now: Date): Date | undefined {
  // Croner looks strictly before its reference and drops milliseconds: one second past `now`
  // (whole seconds) makes a run at exactly `now` due.
  const reference = new Date(Math.floor(now.getTime() / 1000) * 1000 + 1000);
  const [latest] = schedule.job.previousRuns(1, reference);
  return latest && latest.getTime() > since.getTime() && latest.getTime() <= now.getTime() ? latest : undefined;
}

