import { describe, expect, it } from 'vitest';
import { formatApproxSeconds, formatDateTime, formatNumber, formatTime } from './formatters';

describe('formatters', () => {
  it('rounds an estimate to seconds, minutes or hours', () => {
    expect(formatApproxSeconds(44.6)).toBe('45 s');
    expect(formatApproxSeconds(89)).toBe('89 s');
    expect(formatApproxSeconds(90)).toBe('2 min');
    expect(formatApproxSeconds(725)).toBe('12 min');
    expect(formatApproxSeconds(9000)).toBe('2.5 h');
  });

  it('shows a dash for a missing or invalid date, and the date otherwise', () => {
    expect(formatDateTime(null)).toBe('—');
    expect(formatDateTime(undefined)).toBe('—');
    expect(formatDateTime('not a date')).toBe('—');
    expect(formatDateTime('2026-12-01T10:00:00Z')).toContain('2026');
    expect(formatDateTime('2026-12-01T10:00:00Z')).toBe(formatDateTime(new Date('2026-12-01T10:00:00Z')));
  });

  it('formats a time and a number in the reader’s locale, keeping every digit', () => {
    expect(formatTime('2026-12-01T10:00:07Z')).toBe(formatTime(new Date('2026-12-01T10:00:07Z')));
    expect(formatTime('2026-12-01T10:00:07Z')).toMatch(/07/);
    expect(formatNumber(1234567).replace(/\D/g, '')).toBe('1234567');
  });
});
