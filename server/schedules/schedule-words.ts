import cronstrue from 'cronstrue';
import { nextRuns, type ValidSchedule } from './schedule';

/*
 * A schedule as people read it. Apart from schedule.ts so the worker, which only evaluates
 * schedules, does not load cronstrue.
 */

/** A run time as people read it in the schedule's zone, with the zone's offset then: "Mon 7 Dec 2026, 02:00 (GMT+01:00)". */
export function formatRunTime(at: Date, timezone: string): string {
  const parts = new Intl.DateTimeFormat('en-GB', {
    timeZone: timezone,
    weekday: 'short',
    day: 'numeric',
    month: 'short',
    year: 'numeric',
    hour: '2-digit',
    minute: '2-digit',
    hourCycle: 'h23',
    timeZoneName: 'longOffset',
  }).formatToParts(at);
  const part = (type: Intl.DateTimeFormatPartTypes) => parts.find((p) => p.type === type)?.value ?? '';
  const offset = part('timeZoneName') === 'GMT' ? 'GMT+00:00' : part('timeZoneName');
  return `${part('weekday')} ${part('day')} ${part('month')} ${part('year')}, ${part('hour')}:${part('minute')} (${offset})`;
}

/** The schedule in words, such as "At 02:00, only on Monday" (cronstrue, 24-hour times). */
export function describeCron(cron: string): string {
  return cronstrue.toString(cron, { use24HourTimeFormat: true, throwExceptionOnParseError: true });
}

/** What the dashboard shows of a schedule: its words, its zone and its next runs, in that zone. */
export interface ScheduleDescription {
  cron: string;
  timezone: string;
  /** "At 02:00 (Europe/Berlin)". */
  words: string;
  nextRuns: { at: Date; local: string }[];
}

export function describeSchedule(schedule: ValidSchedule, now: Date, count = 5): ScheduleDescription {
  return {
    cron: schedule.cron,
    timezone: schedule.timezone,
    words: `${describeCron(schedule.cron)} (${schedule.timezone})`,
    nextRuns: nextRuns(schedule, count, now).map((at) => ({ at, local: formatRunTime(at, schedule.timezone) })),
  };
}
