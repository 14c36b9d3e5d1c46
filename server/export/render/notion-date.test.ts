import { describe, expect, it } from 'vitest';
import { formatInstant, formatNotionDate, rawNotionDate } from './notion-date';

describe('formatInstant', () => {
  it.each([
    ['2024-01-31', '2024-01-31'],
    ['2024-01-31T09:30:00.000Z', '2024-01-31 09:30 UTC'],
    ['2024-01-31T09:30:00.000+00:00', '2024-01-31 09:30 UTC'],
    ['2024-01-31T09:30:00.000+02:00', '2024-01-31 09:30 UTC+02:00'],
    ['2024-01-31T09:30:15-0530', '2024-01-31 09:30 UTC-0530'],
    ['2024-01-31T09:30', '2024-01-31 09:30'],
    ['2026-07-04T09:08:57.778+00:00', '2026-07-04 09:08 UTC'],
    ['not a date', 'not a date'],
  ])('%s → %s', (input, expected) => {
    expect(formatInstant(input)).toBe(expected);
  });
});

describe('formatNotionDate', () => {
  it('formats single dates, ranges and named time zones', () => {
    expect(formatNotionDate({ start: '2024-01-01', end: null, time_zone: null })).toBe('2024-01-01');
    expect(formatNotionDate({ start: '2024-01-01', end: '2024-01-03', time_zone: null })).toBe('2024-01-01 → 2024-01-03');
    expect(formatNotionDate({ start: '2024-01-01T09:00:00.000+01:00', end: null, time_zone: 'Europe/Paris' })).toBe(
      '2024-01-01 09:00 (Europe/Paris)',
    );
    expect(formatNotionDate({ start: '2024-01-01T09:00:00.000Z', end: null })).toBe('2024-01-01 09:00 UTC');
    expect(rawNotionDate({ start: '2024-01-01', end: '2024-01-02' })).toBe('2024-01-01 → 2024-01-02');
    expect(rawNotionDate({ start: '2024-01-01', end: null })).toBe('2024-01-01');
  });
});
