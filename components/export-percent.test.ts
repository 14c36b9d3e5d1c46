import { describe, expect, it } from 'vitest';
import { exportPercent } from './export-percent';

const counts = (pagesDiscovered: number, pagesDone: number, pagesFailed = 0) => ({ pagesDiscovered, pagesDone, pagesFailed });

describe('export percentage', () => {
  it('counts pages done and failed against those discovered, rounded down', () => {
    expect(exportPercent(counts(3, 1))).toBe(33);
    expect(exportPercent(counts(200, 150, 49))).toBe(99);
    expect(exportPercent(counts(10, 2, 3))).toBe(50);
  });

  it('is 0 before anything is discovered and never above 100', () => {
    expect(exportPercent(counts(0, 0))).toBe(0);
    expect(exportPercent(counts(5, 6, 1))).toBe(100);
  });

  it('is 100 once the export is complete', () => {
    expect(exportPercent(counts(0, 0), true)).toBe(100);
    expect(exportPercent(counts(10, 7, 2), true)).toBe(100);
    expect(exportPercent(counts(10, 7), false)).toBe(70);
  });
});
