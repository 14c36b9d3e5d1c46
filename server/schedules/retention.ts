/**
 * Which snapshots a retention policy keeps: restic's `forget` (internal/restic/snapshot_policy.go),
 * as a pure function. Snapshots are taken newest first; each keep-* rule with a count left keeps
 * the newest snapshot of every hour, day, ISO week, month or year it has not seen yet, and, while
 * it still has a count left, the oldest snapshot too ("oldest daily snapshot"). keep-within keeps
 * everything newer than the newest snapshot minus the duration, counted on the calendar. A
 * snapshot kept by any rule is kept, with every reason listed. Calendar buckets are taken in the
 * schedule's time zone (restic uses the machine's local time).
 *
 * On top of restic: a snapshot still queued, running or paused, a pinned one, the newest one and
 * the newest complete one are always kept; a policy with no rule keeps everything.
 */

/** restic's keep-* options: a count (-1: every hour/day/…, restic's `unlimited`), or null when the rule is not used. */
export interface RetentionPolicy {
  keepLast?: number | null;
  keepHourly?: number | null;
  keepDaily?: number | null;
  keepWeekly?: number | null;
  keepMonthly?: number | null;
  keepYearly?: number | null;
  /** restic's --keep-within: years, months, weeks, days and hours such as `1y2m3d4h`, `30d`, `2w`. */
  keepWithin?: string | null;
}

/** `complete`: finished with every page; `with-errors`: finished, some pages failed; `unfinished`: queued, running or paused. */
export type SnapshotState = 'complete' | 'with-errors' | 'unfinished';

export interface RetentionSnapshot {
  id: string;
  /** When it was taken (the export's request time). */
  time: Date;
  state: SnapshotState;
  pinned: boolean;
}

export interface RetentionDecision {
  id: string;
  time: Date;
  keep: boolean;
  /** Why it is kept, as restic words them ("daily snapshot", "within 30d") plus ours ("pinned"); empty when removed. */
  reasons: string[];
}

export interface RetentionOutcome {
  /** Every snapshot, newest first. */
  decisions: RetentionDecision[];
  kept: number;
  removed: number;
}

/** A keep-within duration: restic's years, months, days and hours, and weeks (seven days each). */
export interface WithinDuration {
  years: number;
  months: number;
  days: number;
  hours: number;
}

const DURATION = /^(?:\d+[ymwdh])+$/;

/** Reads a keep-within duration such as `1y2m3d4h`; undefined when it is not one. */
export function parseWithin(text: string): WithinDuration | undefined {
  const trimmed = text.trim();
  if (!DURATION.test(trimmed)) return undefined;
  const duration: WithinDuration = { years: 0, months: 0, days: 0, hours: 0 };
  for (const [, n, unit] of trimmed.matchAll(/(\d+)([ymwdh])/g)) {
    const value = Number(n);
    if (unit === 'y') duration.years += value;
    else if (unit === 'm') duration.months += value;
    else if (unit === 'w') duration.days += 7 * value;
    else if (unit === 'd') duration.days += value;
    else duration.hours += value;
  }
  return duration.years + duration.months + duration.days + duration.hours > 0 ? duration : undefined;
}

/** The duration as restic prints it (`1y2m3d4h`, zero parts left out). */
export function formatWithin(d: WithinDuration): string {
  return [d.years && `${d.years}y`, d.months && `${d.months}m`, d.days && `${d.days}d`, d.hours && `${d.hours}h`].filter(Boolean).join('');
}

/** Whether the policy has at least one rule (restic refuses to act on an empty one; we keep everything). */
export function hasRule(policy: RetentionPolicy): boolean {
  const counts = [policy.keepLast, policy.keepHourly, policy.keepDaily, policy.keepWeekly, policy.keepMonthly, policy.keepYearly];
  return counts.some((n) => n !== null && n !== undefined && n !== 0) || Boolean(policy.keepWithin?.trim());
}

/** A moment's wall-clock date and time in `timeZone`. */
interface WallClock {
  year: number;
  month: number;
  day: number;
  hour: number;
  minute: number;
  second: number;
}

const formatters = new Map<string, Intl.DateTimeFormat>();

function wallClock(at: Date, timeZone: string): WallClock {
  let format = formatters.get(timeZone);
  if (!format) {
    format = new Intl.DateTimeFormat('en-US', {
      timeZone,
      hourCycle: 'h23',
      year: 'numeric',
      month: 'numeric',
      day: 'numeric',
      hour: 'numeric',
      minute: 'numeric',
      second: 'numeric',
    });
    formatters.set(timeZone, format);
  }
  const parts: Record<string, number> = {};
  for (const part of format.formatToParts(at)) if (part.type !== 'literal') parts[part.type] = Number(part.value);
  return { year: parts.year ?? 0, month: parts.month ?? 0, day: parts.day ?? 0, hour: parts.hour ?? 0, minute: parts.minute ?? 0, second: parts.second ?? 0 };
}

/** The ISO 8601 year and week of a calendar date (weeks run Monday to Sunday; week 1 holds the year's first Thursday). */
export function isoWeek(year: number, month: number, day: number): { year: number; week: number } {
  const date = new Date(Date.UTC(year, month - 1, day));
  const weekday = date.getUTCDay() || 7;
  // The Thursday of the same week decides the year.
  date.setUTCDate(date.getUTCDate() + 4 - weekday);
  const weekYear = date.getUTCFullYear();
  const week = Math.ceil(((date.getTime() - Date.UTC(weekYear, 0, 1)) / 86_400_000 + 1) / 7);
  return { year: weekYear, week };
}

/** The instant at which the wall clock of `timeZone` shows `wall` (the earlier one when it shows it twice, the later side of a gap). */
function instantOf(wall: WallClock, timeZone: string): Date {
  const asUtc = Date.UTC(wall.year, wall.month - 1, wall.day, wall.hour, wall.minute, wall.second);
  let guess = asUtc;
  // Twice is enough for every zone's offsets: the second pass settles a guess that crossed a change.
  for (let i = 0; i < 2; i++) {
    const seen = wallClock(new Date(guess), timeZone);
    const seenAsUtc = Date.UTC(seen.year, seen.month - 1, seen.day, seen.hour, seen.minute, seen.second);
    guess += asUtc - seenAsUtc;
  }
  return new Date(guess);
}

/**
 * The oldest time keep-within still keeps after (exclusive): the newest snapshot's time with the
 * years, months and days taken off its calendar date in `timeZone` (Go's AddDate, overflow
 * normalised the same way: 31 March less a month is 3 March), then the hours as elapsed time.
 */
export function withinBoundary(latest: Date, within: WithinDuration, timeZone: string): Date {
  const wall = wallClock(latest, timeZone);
  const shifted = new Date(Date.UTC(wall.year - within.years, wall.month - 1 - within.months, wall.day - within.days, wall.hour, wall.minute, wall.second));
  const date = instantOf(
    {
      year: shifted.getUTCFullYear(),
      month: shifted.getUTCMonth() + 1,
      day: shifted.getUTCDate(),
      hour: shifted.getUTCHours(),
      minute: shifted.getUTCMinutes(),
      second: shifted.getUTCSeconds(),
    },
    timeZone,
  );
  // Milliseconds are not part of the wall clock: carry them over.
  return new Date(date.getTime() + (latest.getTime() % 1000) - within.hours * 3_600_000);
}

type Bucket = (wall: WallClock, index: number) => number;

const RULES: { key: keyof Omit<RetentionPolicy, 'keepWithin'>; name: string; bucket: Bucket }[] = [
  { key: 'keepLast', name: 'last', bucket: (_, index) => index },
  { key: 'keepHourly', name: 'hourly', bucket: (w) => w.year * 1_000_000 + w.month * 10_000 + w.day * 100 + w.hour },
  { key: 'keepDaily', name: 'daily', bucket: (w) => w.year * 10_000 + w.month * 100 + w.day },
  {
    key: 'keepWeekly',
    name: 'weekly',
    bucket: (w) => {
      const { year, week } = isoWeek(w.year, w.month, w.day);
      return year * 100 + week;
    },
  },
  { key: 'keepMonthly', name: 'monthly', bucket: (w) => w.year * 100 + w.month },
  { key: 'keepYearly', name: 'yearly', bucket: (w) => w.year },
];

/**
 * Decides, for each snapshot, whether `policy` keeps it and why. `now`: snapshots dated later are
 * not taken as the newest for keep-within (restic's rule against clocks that run ahead).
 */
export function applyRetentionPolicy(
  snapshots: readonly RetentionSnapshot[],
  policy: RetentionPolicy,
  { timeZone, now }: { timeZone: string; now: Date },
): RetentionOutcome {
  const newestFirst = [...snapshots].sort((a, b) => b.time.getTime() - a.time.getTime() || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
  // Unfinished exports are not snapshots yet: they are kept and take no part in the rules.
  const finished = newestFirst.filter((s) => s.state !== 'unfinished');
  const reasons = new Map<string, string[]>(newestFirst.map((s) => [s.id, []]));
  const reason = (id: string, why: string) => reasons.get(id)?.push(why);

  if (!hasRule(policy)) {
    for (const s of newestFirst) reason(s.id, 'no retention rule');
  } else {
    const within = policy.keepWithin ? parseWithin(policy.keepWithin) : undefined;
    if (policy.keepWithin?.trim() && !within) throw new Error(`Not a keep-within duration: ${policy.keepWithin}`);
    const latest = finished.find((s) => s.time.getTime() <= now.getTime()) ?? finished[0];
    const boundary = within && latest ? withinBoundary(latest.time, within, timeZone) : undefined;
    const label = within ? `within ${formatWithin(within)}` : '';
    const rules = RULES.map((rule) => ({ ...rule, count: policy[rule.key] ?? 0, last: Number.NaN }));
    finished.forEach((snapshot, index) => {
      if (boundary && snapshot.time.getTime() > boundary.getTime()) reason(snapshot.id, label);
      const wall = wallClock(snapshot.time, timeZone);
      const oldest = index === finished.length - 1;
      for (const rule of rules) {
        if (rule.count === 0 || rule.count < -1) continue;
        const value = rule.bucket(wall, index);
        const firstOfBucket = value !== rule.last;
        // Keep the oldest too while counts are left: the history kept is as long as it can be.
        if (!firstOfBucket && !oldest) continue;
        rule.last = value;
        if (rule.count > 0) rule.count--;
        reason(snapshot.id, `${firstOfBucket ? '' : 'oldest '}${rule.name} snapshot`);
      }
    });
  }

  // Never removed, whatever the policy says.
  for (const s of newestFirst) {
    if (s.state === 'unfinished') reason(s.id, 'not finished');
    if (s.pinned) reason(s.id, 'pinned');
  }
  const newest = finished[0];
  if (newest) reason(newest.id, 'latest snapshot');
  const newestComplete = finished.find((s) => s.state === 'complete');
  if (newestComplete && newestComplete !== newest) reason(newestComplete.id, 'latest complete snapshot');

  const decisions = newestFirst.map((s) => {
    const why = [...new Set(reasons.get(s.id) ?? [])];
    return { id: s.id, time: s.time, keep: why.length > 0, reasons: why };
  });
  const kept = decisions.filter((d) => d.keep).length;
  return { decisions, kept, removed: decisions.length - kept };
}
