import { describe, expect, it } from 'vitest';
import { DomainError } from '@/server/errors';
import {
  compileSchedule,
  dueTimesBetween,
  isKnownTimeZone,
  latestDueTime,
  MAX_COUNTED_DUE_TIMES,
  MIN_INTERVAL_MS,
  nextRuns,
  normalizeCron,
  parseSchedule,
} from './schedule';
import { describeCron, describeSchedule, formatRunTime } from './schedule-words';

const NOW = new Date('2026-12-02T10:00:30Z');
const refusal = (cron: string, zone = 'UTC') => {
  try {
    parseSchedule(cron, zone, NOW);
  } catch (error) {
    expect(error).toBeInstanceOf(DomainError);
    expect((error as DomainError).code).toBe('BAD_INPUT');
    return (error as Error).message;
  }
  return 'accepted';
};

describe('parseSchedule', () => {
  it('accepts five fields in a zone, and writes nicknames and spacing out', () => {
    expect(parseSchedule(' 0  2 * * * ', 'Europe/Berlin', NOW)).toMatchObject({ cron: '0 2 * * *', timezone: 'Europe/Berlin' });
    expect(normalizeCron('@daily')).toBe('0 0 * * *');
    expect(normalizeCron('@HOURLY')).toBe('0 * * * *');
    expect(parseSchedule('*/5 * * * *', 'UTC', NOW).cron).toBe('*/5 * * * *');
  });

  it('refuses a schedule more often than every 5 minutes, in words', () => {
    expect(refusal('* * * * *')).toBe('Every 5 minutes is the most often a schedule may run');
    expect(refusal('*/4 * * * *')).toBe('Every 5 minutes is the most often a schedule may run');
    // Two runs close together once a day, and across the hour.
    expect(refusal('0,2 3 * * *')).toBe('Every 5 minutes is the most often a schedule may run');
    expect(refusal('58 1,2 * * *')).toBe('accepted');
    expect(refusal('58,0 1,2 * * *')).toBe('Every 5 minutes is the most often a schedule may run');
    expect(MIN_INTERVAL_MS).toBe(300_000);
  });

  it('refuses an unknown zone, a bad field, the wrong number of fields and a date that never comes', () => {
    expect(refusal('0 2 * * *', 'Mars/Olympus')).toMatch(/^Unknown time zone “Mars\/Olympus”/);
    expect(refusal('0 2 * * *', '')).toMatch(/^Unknown time zone/);
    expect(refusal('61 * * * *')).toBe('“61 * * * *” is not a valid cron expression: Invalid value for minute: 61');
    expect(refusal('0 25 * * *')).toMatch(/not a valid cron expression: .*hour/);
    expect(refusal('0 0 * * * *')).toMatch(/five fields .* has 6$/);
    expect(refusal('every day')).toMatch(/five fields .* has 2$/);
    expect(refusal('   ')).toMatch(/^Enter a cron expression/);
    expect(refusal('0 0 30 2 *')).toBe('“0 0 30 2 *” never runs (no date matches it)');
  });

  it('knows IANA zones and UTC', () => {
    expect(isKnownTimeZone('UTC')).toBe(true);
    expect(isKnownTimeZone('America/New_York')).toBe(true);
    expect(isKnownTimeZone('Nowhere/Town')).toBe(false);
  });
});

describe('due times', () => {
  const daily = parseSchedule('0 2 * * *', 'Europe/Berlin', NOW);

  it('lists the next runs in the zone (02:00 in Berlin is 01:00 UTC in winter)', () => {
    expect(nextRuns(daily, 2, NOW).map((d) => d.toISOString())).toEqual(['2026-12-03T01:00:00.000Z', '2026-12-04T01:00:00.000Z']);
  });

  it('is due at its time exactly, not before, and only after the time it was last due', () => {
    const due = new Date('2026-12-03T01:00:00Z');
    expect(latestDueTime(daily, new Date('2026-12-02T01:00:00Z'), new Date(due.getTime() - 1))).toBeUndefined();
    expect(latestDueTime(daily, new Date('2026-12-02T01:00:00Z'), due)).toEqual(due);
    expect(latestDueTime(daily, new Date('2026-12-02T01:00:00Z'), new Date(due.getTime() + 999))).toEqual(due);
    expect(latestDueTime(daily, due, new Date(due.getTime() + 3_600_000))).toBeUndefined();
  });

  it('after downtime, the one due time is the latest missed', () => {
    const since = new Date('2026-11-20T01:00:00Z');
    expect(latestDueTime(daily, since, new Date('2026-12-02T12:00:00Z'))).toEqual(new Date('2026-12-02T01:00:00Z'));
  });

  it('counts the times due after one time and up to now (the missed ones are counted as skipped), at most a bounded number', () => {
    const since = new Date('2026-11-20T01:00:00Z');
    expect(dueTimesBetween(daily, since, new Date('2026-12-02T12:00:00Z'))).toBe(12);
    expect(dueTimesBetween(daily, since, new Date('2026-11-21T01:00:00Z'))).toBe(1);
    expect(dueTimesBetween(daily, since, new Date('2026-11-21T00:59:59Z'))).toBe(0);
    const often = parseSchedule('*/5 * * * *', 'UTC', NOW);
    expect(dueTimesBetween(often, new Date('2026-01-01T00:00:00Z'), NOW)).toBe(MAX_COUNTED_DUE_TIMES);
  });

  it('follows the zone across a DST change: 02:30 in New York on the spring-forward day runs at 03:00 EDT', () => {
    const early = compileSchedule('30 2 * * *', 'America/New_York');
    expect(nextRuns(early, 3, new Date('2026-03-07T00:00:00Z')).map((d) => d.toISOString())).toEqual([
      '2026-03-07T07:30:00.000Z',
      '2026-03-08T07:00:00.000Z',
      '2026-03-09T06:30:00.000Z',
    ]);
  });

  it('runs once on the night a time occurs twice (02:30 in Berlin when clocks go back)', () => {
    const night = compileSchedule('30 2 * * *', 'Europe/Berlin');
    expect(nextRuns(night, 2, new Date('2026-10-24T12:00:00Z')).map((d) => d.toISOString())).toEqual([
      '2026-10-25T00:30:00.000Z',
      '2026-10-26T01:30:00.000Z',
    ]);
  });

  it('compileSchedule refuses what croner cannot read', () => {
    expect(() => compileSchedule('x y z a b', 'UTC')).toThrow(DomainError);
  });
});

describe('the schedule in words', () => {
  it('describes the expression, the zone and the next runs as dates in that zone', () => {
    const weekly = parseSchedule('0 2 * * 1', 'Europe/Berlin', NOW);
    const description = describeSchedule(weekly, NOW, 2);
    expect(description.words).toBe('At 02:00, only on Monday (Europe/Berlin)');
    expect(description.nextRuns.map((r) => r.local)).toEqual(['Mon 7 Dec 2026, 02:00 (GMT+01:00)', 'Mon 14 Dec 2026, 02:00 (GMT+01:00)']);
    expect(description.nextRuns[0]?.at.toISOString()).toBe('2026-12-07T01:00:00.000Z');
  });

  it('words the presets', () => {
    expect(describeCron('0 * * * *')).toBe('Every hour');
    expect(describeCron('*/15 * * * *')).toBe('Every 15 minutes');
    expect(describeCron('0 2 * * *')).toBe('At 02:00');
    expect(formatRunTime(new Date('2026-07-01T00:00:00Z'), 'America/New_York')).toBe('Tue 30 Jun 2026, 20:00 (GMT-04:00)');
    expect(formatRunTime(new Date('2026-07-01T00:05:00Z'), 'UTC')).toBe('Wed 1 Jul 2026, 00:05 (GMT+00:00)');
  });
});
