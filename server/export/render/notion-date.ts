import type { DateResponse } from '@notionhq/client/build/src/api-endpoints';

const DATE_ONLY = /^\d{4}-\d{2}-\d{2}$/;
const DATE_TIME = /^(\d{4}-\d{2}-\d{2})T(\d{2}):(\d{2})(?::\d{2}(?:\.\d+)?)?(Z|[+-]\d{2}:?\d{2})?$/i;

/**
 * One Notion date or timestamp, readable and locale-independent: `2024-01-31` stays as it is,
 * `2024-01-31T09:30:00.000+02:00` becomes `2024-01-31 09:30 UTC+02:00` (the wall time Notion stored,
 * never converted to the exporting machine's zone). Unparseable values are returned unchanged.
 */
export function formatInstant(value: string, withZone = true): string {
  if (DATE_ONLY.test(value)) return value;
  const match = DATE_TIME.exec(value);
  if (!match) return value;
  const [, day, hours, minutes, offset] = match;
  const time = `${day} ${hours}:${minutes}`;
  if (!withZone || !offset) return time;
  const utc = offset.toUpperCase() === 'Z' || /^[+-]00:?00$/.test(offset);
  return `${time} UTC${utc ? '' : offset}`;
}

/**
 * A date property / mention / formula result: a single date or `start → end`, with the named
 * time zone in parentheses when Notion gives one (`2024-01-31 09:30 → 2024-01-31 10:00 (Europe/Paris)`).
 */
export function formatNotionDate(date: Pick<DateResponse, 'start' | 'end'> & { time_zone?: string | null }): string {
  const zone = date.time_zone ?? undefined;
  const start = formatInstant(date.start, !zone);
  const range = date.end ? `${start} → ${formatInstant(date.end, !zone)}` : start;
  return zone ? `${range} (${zone})` : range;
}

/** The raw ISO value(s), as front matter keeps them: `start` or `start → end`. */
export function rawNotionDate(date: Pick<DateResponse, 'start' | 'end'>): string {
  return date.end ? `${date.start} → ${date.end}` : date.start;
}
