import { describe, expect, it } from 'vitest';
import { appendPoint, EMPTY_COLUMNS, formatMegabytes, formatMs, formatRate, latestValue, withGaps } from './time-series';

describe('appendPoint', () => {
  const limits = { windowMs: 10_000, capacity: 4 };

  it('adds a point to every column, and ignores one no later than the last', () => {
    let columns = appendPoint(EMPTY_COLUMNS, 1000, [1, null], limits);
    columns = appendPoint(columns, 2000, [2, 5], limits);
    expect(columns).toEqual({ times: [1000, 2000], values: [[1, 2], [null, 5]] });
    expect(appendPoint(columns, 2000, [9, 9], limits)).toBe(columns);
  });

  it('keeps the points of the window, and no more than the capacity', () => {
    let columns = EMPTY_COLUMNS;
    for (const at of [1000, 2000, 3000, 4000, 5000]) columns = appendPoint(columns, at, [at / 1000], limits);
    expect(columns.times).toEqual([2000, 3000, 4000, 5000]);
    columns = appendPoint(columns, 14_500, [14.5], limits);
    expect(columns).toEqual({ times: [5000, 14_500], values: [[5, 14.5]] });
  });

  it('gives a series that appears later nulls for the points before it', () => {
    const columns = appendPoint(appendPoint(EMPTY_COLUMNS, 1000, [1], limits), 2000, [2, 7], limits);
    expect(columns.values).toEqual([
      [1, 2],
      [null, 7],
    ]);
  });
});

describe('withGaps', () => {
  it('breaks the lines where the points are further apart than allowed', () => {
    const columns = { times: [0, 2000, 10_000, 12_000], values: [[1, 2, 3, 4]] };
    expect(withGaps(columns, 5000)).toEqual({ times: [0, 2000, 6000, 10_000, 12_000], values: [[1, 2, null, 3, 4]] });
    expect(withGaps(columns, 8000)).toEqual(columns);
  });
});

describe('latestValue and the formats', () => {
  it('finds the newest value that is there', () => {
    expect(latestValue([1, 2, null])).toBe(2);
    expect(latestValue([null])).toBeNull();
    expect(latestValue([])).toBeNull();
  });

  it('writes rates, durations and sizes for people', () => {
    expect([0, 0.04, 0.25, 2.44, 3, 12.6, 1234].map(formatRate)).toEqual(['0/s', '0.04/s', '0.3/s', '2.4/s', '3/s', '13/s', '1,234/s']);
    expect([850, 1234].map(formatMs)).toEqual(['850 ms', '1.2 s']);
    expect(formatMegabytes(84 * 1024 * 1024)).toBe('84 MB');
  });
});
