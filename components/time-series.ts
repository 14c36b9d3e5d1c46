/**
 * Time series as the charts take them: one column of times (ms since the epoch) and one column of
 * values per series, aligned; `null` where a series has no value (a gap in its line).
 */
export interface TimeColumns {
  times: number[];
  values: (number | null)[][];
}

export const EMPTY_COLUMNS: TimeColumns = { times: [], values: [] };

/**
 * The columns with one more point at `at` (later than the last), keeping the points of the last
 * `windowMs` and at most `capacity` of them. A new array each time: React sees the change.
 */
export function appendPoint(
  columns: TimeColumns,
  at: number,
  values: (number | null)[],
  { windowMs, capacity }: { windowMs: number; capacity: number },
): TimeColumns {
  const last = columns.times.at(-1);
  if (last !== undefined && at <= last) return columns;
  const times = [...columns.times, at];
  let drop = Math.max(0, times.length - capacity);
  while (drop < times.length && (times[drop] ?? at) < at - windowMs) drop++;
  return {
    times: times.slice(drop),
    values: values.map((value, i) => [...(columns.values[i] ?? new Array<number | null>(columns.times.length).fill(null)), value].slice(drop)),
  };
}

/**
 * The columns with a null point in the middle of every gap longer than `maxGapMs` (the stream was
 * away, or nobody listened), so the chart breaks its lines there instead of joining across.
 */
export function withGaps(columns: TimeColumns, maxGapMs: number): TimeColumns {
  const times: number[] = [];
  const values: (number | null)[][] = columns.values.map(() => []);
  columns.times.forEach((at, i) => {
    const previous = columns.times[i - 1];
    if (previous !== undefined && at - previous > maxGapMs) {
      times.push(previous + (at - previous) / 2);
      for (const column of values) column.push(null);
    }
    times.push(at);
    columns.values.forEach((column, s) => {
      values[s]?.push(column[i] ?? null);
    });
  });
  return { times, values };
}

/** The newest value of a column that is not null, or null. */
export function latestValue(column: readonly (number | null)[]): number | null {
  for (let i = column.length - 1; i >= 0; i--) {
    const value = column[i];
    if (value !== null && value !== undefined) return value;
  }
  return null;
}

/** A rate in words: "0.25/s", "2.4/s", "12/s". */
export function formatRate(perSecond: number): string {
  return `${formatFigure(perSecond)}/s`;
}

/** A figure with two significant digits below 10, none after the point above. */
export function formatFigure(value: number): string {
  if (value === 0) return '0';
  if (Math.abs(value) < 0.1) return value.toFixed(2);
  if (Math.abs(value) < 10) return value.toFixed(1).replace(/\.0$/, '');
  return Math.round(value).toLocaleString('en');
}

/** Milliseconds in words: "850 ms", "1.2 s". */
export function formatMs(ms: number): string {
  return ms < 1000 ? `${formatFigure(ms)} ms` : `${formatFigure(ms / 1000)} s`;
}

/** Bytes in binary megabytes: "84 MB". */
export function formatMegabytes(bytes: number): string {
  return `${formatFigure(bytes / (1024 * 1024))} MB`;
}
