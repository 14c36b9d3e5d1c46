import { describe, expect, it } from 'vitest';
import {
  applyRetentionPolicy,
  formatWithin,
  hasRule,
  isoWeek,
  parseWithin,
  type RetentionPolicy,
  type RetentionSnapshot,
  withinBoundary,
} from './retention';

/** Snapshots named by their time (ISO, UTC), complete and not pinned unless said. */
const at = (...times: string[]): RetentionSnapshot[] =>
  times.map((time) => ({ id: time, time: new Date(time), state: 'complete', pinned: false }));

const NOW = new Date('2030-01-01T00:00:00Z');

/** The kept snapshots' ids, newest first, with their reasons. */
function kept(snapshots: RetentionSnapshot[], policy: RetentionPolicy, timeZone = 'UTC'): Record<string, string[]> {
  const outcome = applyRetentionPolicy(snapshots, policy, { timeZone, now: NOW });
  return Object.fromEntries(outcome.decisions.filter((d) => d.keep).map((d) => [d.id, d.reasons]));
}

const days = (from: string, to: string, hour = '12:00:00') => {
  const out: string[] = [];
  for (let t = Date.parse(`${from}T${hour}Z`); t <= Date.parse(`${to}T${hour}Z`); t += 86_400_000) out.push(new Date(t).toISOString());
  return out;
};

describe('applyRetentionPolicy: given snapshots at these times, these are kept', () => {
  it("restic's documented example: a backup every Sunday for 12 weeks, keep-daily 4 keeps the last four", () => {
    const sundays = at(
      '2019-09-01T11:00:00.000Z',
      '2019-09-08T11:00:00.000Z',
      '2019-09-15T11:00:00.000Z',
      '2019-09-22T11:00:00.000Z',
      '2019-09-29T11:00:00.000Z',
      '2019-10-06T11:00:00.000Z',
      '2019-10-13T11:00:00.000Z',
      '2019-10-20T11:00:00.000Z',
      '2019-10-27T11:00:00.000Z',
      '2019-11-03T11:00:00.000Z',
      '2019-11-10T11:00:00.000Z',
      '2019-11-17T11:00:00.000Z',
    );
    const outcome = applyRetentionPolicy(sundays, { keepDaily: 4 }, { timeZone: 'UTC', now: NOW });
    expect(outcome).toMatchObject({ kept: 4, removed: 8 });
    expect(kept(sundays, { keepDaily: 4 })).toEqual({
      '2019-11-17T11:00:00.000Z': ['daily snapshot', 'latest snapshot'],
      '2019-11-10T11:00:00.000Z': ['daily snapshot'],
      '2019-11-03T11:00:00.000Z': ['daily snapshot'],
      '2019-10-27T11:00:00.000Z': ['daily snapshot'],
    });
  });

  it("restic's daily-for-years example in small: keep-daily 7, keep-weekly 5, keep-monthly 12, keep-yearly 75 over two years of dailies", () => {
    const snapshots = at(...days('2025-01-01', '2026-12-31'));
    const result = kept(snapshots, { keepDaily: 7, keepWeekly: 5, keepMonthly: 12, keepYearly: 75 });
    // 7 dailies (25–31 Dec, ISO weeks 52 and 53), 3 more Sundays for the weeks (20, 13, 6 Dec),
    // 11 more month ends (Jan–Nov 2026), the end of 2025, and the oldest while yearly counts are left.
    expect(Object.keys(result)).toHaveLength(23);
    expect(result['2026-12-31T12:00:00.000Z']).toEqual(['daily snapshot', 'weekly snapshot', 'monthly snapshot', 'yearly snapshot', 'latest snapshot']);
    expect(result['2026-12-27T12:00:00.000Z']).toEqual(['daily snapshot', 'weekly snapshot']);
    expect(result['2026-12-06T12:00:00.000Z']).toEqual(['weekly snapshot']);
    expect(result['2026-11-29T12:00:00.000Z']).toBeUndefined();
    expect(result['2026-01-31T12:00:00.000Z']).toEqual(['monthly snapshot']);
    expect(result['2025-12-31T12:00:00.000Z']).toEqual(['yearly snapshot']);
    expect(result['2025-01-01T12:00:00.000Z']).toEqual(['oldest yearly snapshot']);
  });

  it('keep-last keeps the newest n, whatever their times', () => {
    expect(Object.keys(kept(at('2026-01-01T00:00:00.000Z', '2026-01-01T00:00:01.000Z', '2026-01-02T00:00:00.000Z', '2026-03-01T00:00:00.000Z'), { keepLast: 2 }))).toEqual([
      '2026-03-01T00:00:00.000Z',
      '2026-01-02T00:00:00.000Z',
    ]);
  });

  it('keep-hourly keeps the newest of each hour that has one, and counts only such hours', () => {
    const snapshots = at('2026-05-01T10:05:00.000Z', '2026-05-01T10:40:00.000Z', '2026-05-01T11:10:00.000Z', '2026-05-01T13:30:00.000Z');
    expect(kept(snapshots, { keepHourly: 2 })).toEqual({
      '2026-05-01T13:30:00.000Z': ['hourly snapshot', 'latest snapshot'],
      '2026-05-01T11:10:00.000Z': ['hourly snapshot'],
    });
  });

  it('keeps the oldest snapshot as well while a rule has counts left, marked oldest', () => {
    const snapshots = at('2026-05-01T08:00:00.000Z', '2026-05-01T09:00:00.000Z', '2026-05-02T08:00:00.000Z', '2026-05-03T08:00:00.000Z');
    expect(kept(snapshots, { keepDaily: 7 })).toEqual({
      '2026-05-03T08:00:00.000Z': ['daily snapshot', 'latest snapshot'],
      '2026-05-02T08:00:00.000Z': ['daily snapshot'],
      '2026-05-01T09:00:00.000Z': ['daily snapshot'],
      '2026-05-01T08:00:00.000Z': ['oldest daily snapshot'],
    });
  });

  it('keep-weekly uses ISO weeks: 28 Dec 2026 to 3 Jan 2027 is week 53 of 2026', () => {
    const snapshots = at('2026-12-27T12:00:00.000Z', '2026-12-28T12:00:00.000Z', '2027-01-03T12:00:00.000Z', '2027-01-04T12:00:00.000Z');
    expect(kept(snapshots, { keepWeekly: 2 })).toEqual({
      '2027-01-04T12:00:00.000Z': ['weekly snapshot', 'latest snapshot'],
      '2027-01-03T12:00:00.000Z': ['weekly snapshot'],
    });
  });

  it('a snapshot kept by several rules lists every reason (the rules are ORed)', () => {
    const snapshots = at('2025-12-31T12:00:00.000Z', '2026-01-31T12:00:00.000Z', '2026-02-15T12:00:00.000Z', '2026-02-28T12:00:00.000Z');
    expect(kept(snapshots, { keepMonthly: 2, keepYearly: 2 })).toEqual({
      '2026-02-28T12:00:00.000Z': ['monthly snapshot', 'yearly snapshot', 'latest snapshot'],
      '2026-01-31T12:00:00.000Z': ['monthly snapshot'],
      '2025-12-31T12:00:00.000Z': ['yearly snapshot'],
    });
  });

  it('keep-within keeps what is strictly newer than the newest less the duration', () => {
    const snapshots = at('2026-06-08T12:00:00.000Z', '2026-06-08T12:00:01.000Z', '2026-06-10T12:00:00.000Z');
    expect(kept(snapshots, { keepWithin: '2d' })).toEqual({
      '2026-06-10T12:00:00.000Z': ['within 2d', 'latest snapshot'],
      '2026-06-08T12:00:01.000Z': ['within 2d'],
    });
  });

  it('keep-within counts months on the calendar as Go does: 31 March less a month is 3 March', () => {
    const snapshots = at('2026-03-02T10:00:00.000Z', '2026-03-03T10:00:01.000Z', '2026-03-31T10:00:00.000Z');
    expect(Object.keys(kept(snapshots, { keepWithin: '1m' }))).toEqual(['2026-03-31T10:00:00.000Z', '2026-03-03T10:00:01.000Z']);
  });

  it('keep-within 1d across the spring DST change in New York is a calendar day (23 hours), not 24 hours', () => {
    // 8 March 2026, 12:00 EDT; the day before at 11:30 EST is 23.5 hours earlier.
    const snapshots = at('2026-03-07T16:30:00.000Z', '2026-03-08T16:00:00.000Z');
    expect(Object.keys(kept(snapshots, { keepWithin: '1d' }, 'America/New_York'))).toEqual(['2026-03-08T16:00:00.000Z']);
    expect(Object.keys(kept(snapshots, { keepWithin: '1d' }, 'UTC'))).toEqual(['2026-03-08T16:00:00.000Z', '2026-03-07T16:30:00.000Z']);
  });

  it('keep-hourly at the autumn DST change in Berlin: 02:30 CEST and 02:30 CET are one wall-clock hour', () => {
    // 25 Oct 2026: 01:30 CEST (23:30Z), 02:30 CEST (00:30Z), 02:30 CET (01:30Z), 03:00 CET (02:00Z).
    const snapshots = at('2026-10-24T23:30:00.000Z', '2026-10-25T00:30:00.000Z', '2026-10-25T01:30:00.000Z', '2026-10-25T02:00:00.000Z');
    expect(kept(snapshots, { keepHourly: 5 }, 'Europe/Berlin')).toEqual({
      '2026-10-25T02:00:00.000Z': ['hourly snapshot', 'latest snapshot'],
      '2026-10-25T01:30:00.000Z': ['hourly snapshot'],
      '2026-10-24T23:30:00.000Z': ['hourly snapshot'],
    });
    // In UTC the four are four hours.
    expect(Object.keys(kept(snapshots, { keepHourly: 5 }, 'UTC'))).toHaveLength(4);
  });

  it("keep-daily takes days in the schedule's zone: an evening in New York is the next day in UTC", () => {
    const snapshots = at('2026-02-27T12:00:00.000Z', '2026-03-01T03:00:00.000Z', '2026-03-01T20:00:00.000Z');
    expect(Object.keys(kept(snapshots, { keepDaily: 2 }, 'UTC'))).toEqual(['2026-03-01T20:00:00.000Z', '2026-02-27T12:00:00.000Z']);
    // 03:00Z is 28 February, 22:00 in New York: a day of its own.
    expect(Object.keys(kept(snapshots, { keepDaily: 2 }, 'America/New_York'))).toEqual(['2026-03-01T20:00:00.000Z', '2026-03-01T03:00:00.000Z']);
  });

  it('never removes a pinned snapshot, one not finished, the newest, or the newest complete one', () => {
    const snapshots: RetentionSnapshot[] = [
      { id: 'old-pinned', time: new Date('2026-01-01T00:00:00Z'), state: 'complete', pinned: true },
      { id: 'old', time: new Date('2026-01-02T00:00:00Z'), state: 'complete', pinned: false },
      { id: 'complete', time: new Date('2026-01-03T00:00:00Z'), state: 'complete', pinned: false },
      { id: 'with-errors', time: new Date('2026-01-04T00:00:00Z'), state: 'with-errors', pinned: false },
      { id: 'running', time: new Date('2026-01-05T00:00:00Z'), state: 'unfinished', pinned: false },
    ];
    expect(kept(snapshots, { keepLast: 1 })).toEqual({
      running: ['not finished'],
      // The running one is no snapshot yet: keep-last 1 is the newest finished one.
      'with-errors': ['last snapshot', 'latest snapshot'],
      complete: ['latest complete snapshot'],
      'old-pinned': ['pinned'],
    });
  });

  it('a pinned snapshot still counts for the rules (as restic counts a tagged one)', () => {
    const snapshots = at('2026-01-01T00:00:00.000Z', '2026-01-02T00:00:00.000Z', '2026-01-03T00:00:00.000Z');
    snapshots[1] = { ...snapshots[1]!, pinned: true } as RetentionSnapshot;
    expect(kept(snapshots, { keepLast: 2 })).toEqual({
      '2026-01-03T00:00:00.000Z': ['last snapshot', 'latest snapshot'],
      '2026-01-02T00:00:00.000Z': ['last snapshot', 'pinned'],
    });
  });

  it('a policy with no rule keeps everything; -1 keeps every day (restic’s unlimited)', () => {
    const snapshots = at('2026-01-01T00:00:00.000Z', '2026-01-01T01:00:00.000Z', '2026-01-02T00:00:00.000Z');
    const none = applyRetentionPolicy(snapshots, { keepDaily: null, keepWithin: '' }, { timeZone: 'UTC', now: NOW });
    expect(none.decisions.map((d) => [d.keep, d.reasons[0]])).toEqual([
      [true, 'no retention rule'],
      [true, 'no retention rule'],
      [true, 'no retention rule'],
    ]);
    expect(kept(snapshots, { keepDaily: -1 })).toEqual({
      '2026-01-02T00:00:00.000Z': ['daily snapshot', 'latest snapshot'],
      '2026-01-01T01:00:00.000Z': ['daily snapshot'],
      '2026-01-01T00:00:00.000Z': ['oldest daily snapshot'],
    });
  });

  it('keep-within is measured from the newest snapshot that is not in the future', () => {
    const snapshots = at('2026-01-01T00:00:00.000Z', '2026-01-05T00:00:00.000Z', '2031-01-01T00:00:00.000Z');
    expect(Object.keys(kept(snapshots, { keepWithin: '2d' }))).toEqual(['2031-01-01T00:00:00.000Z', '2026-01-05T00:00:00.000Z']);
  });

  it('refuses a keep-within that is not a duration, and an empty list is an empty outcome', () => {
    expect(() => applyRetentionPolicy(at('2026-01-01T00:00:00.000Z'), { keepWithin: '3 days' }, { timeZone: 'UTC', now: NOW })).toThrow(/keep-within/);
    expect(applyRetentionPolicy([], { keepLast: 1 }, { timeZone: 'UTC', now: NOW })).toEqual({ decisions: [], kept: 0, removed: 0 });
  });
});

describe('durations, weeks and rules', () => {
  it('reads restic durations, and weeks as seven days', () => {
    expect(parseWithin('1y2m3d4h')).toEqual({ years: 1, months: 2, days: 3, hours: 4 });
    expect(parseWithin('2w')).toEqual({ years: 0, months: 0, days: 14, hours: 0 });
    expect(parseWithin(' 30d ')).toEqual({ years: 0, months: 0, days: 30, hours: 0 });
    for (const bad of ['', '0d', 'd', '3 days', '1x', '-1d', '1.5d']) expect(parseWithin(bad), bad).toBeUndefined();
    expect(formatWithin({ years: 1, months: 0, days: 14, hours: 4 })).toBe('1y14d4h');
  });

  it('numbers weeks as ISO 8601 does', () => {
    expect(isoWeek(2026, 12, 31)).toEqual({ year: 2026, week: 53 });
    expect(isoWeek(2027, 1, 3)).toEqual({ year: 2026, week: 53 });
    expect(isoWeek(2027, 1, 4)).toEqual({ year: 2027, week: 1 });
    expect(isoWeek(2024, 12, 30)).toEqual({ year: 2025, week: 1 });
    expect(isoWeek(2026, 6, 15)).toEqual({ year: 2026, week: 25 });
  });

  it('knows an empty policy', () => {
    expect(hasRule({})).toBe(false);
    expect(hasRule({ keepLast: 0, keepWithin: ' ' })).toBe(false);
    expect(hasRule({ keepYearly: 1 })).toBe(true);
    expect(hasRule({ keepWithin: '1d' })).toBe(true);
  });

  it('takes the hours of keep-within as elapsed time after the calendar part', () => {
    const latest = new Date('2026-03-08T16:00:00Z');
    expect(withinBoundary(latest, { years: 0, months: 0, days: 0, hours: 24 }, 'America/New_York').toISOString()).toBe('2026-03-07T16:00:00.000Z');
    expect(withinBoundary(latest, { years: 0, months: 0, days: 1, hours: 0 }, 'America/New_York').toISOString()).toBe('2026-03-07T17:00:00.000Z');
  });
});
