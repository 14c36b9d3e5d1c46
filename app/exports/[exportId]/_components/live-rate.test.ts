import { describe, expect, it } from 'vitest';
import { measureRate, type RateSample } from './live-rate';

const T0 = Date.parse('2026-12-01T10:00:00.000Z');
const at = (seconds: number, requests: number, handled: number): RateSample => ({ at: T0 + seconds * 1000, requests, handled });

/** Feeds the samples in order, as the hook does; returns the last measurement. */
function run(samples: RateSample[], total: number) {
  let window: RateSample[] = [];
  let last: ReturnType<typeof measureRate> | undefined;
  for (const sample of samples) {
    last = measureRate(window, sample, total);
    window = last.samples;
  }
  return last!;
}

describe('the live rate and time left', () => {
  it('says nothing until the samples span two seconds', () => {
    expect(run([at(0, 0, 0)], 100).rate).toBeUndefined();
    expect(run([at(0, 0, 0), at(1.9, 10, 2)], 100).rate).toBeUndefined();
  });

  it('measures requests per second and the time left from the page rate', () => {
    const { rate } = run([at(0, 100, 10), at(5, 110, 12), at(10, 130, 15)], 60);
    expect(rate!.requestsPerSecond).toBeCloseTo(3);
    // 5 pages in 10 s: 45 left take 90 s.
    expect(rate!.etaSeconds).toBeCloseTo(90);
  });

  it('measures over the last half minute only', () => {
    const { samples, rate } = run([at(0, 0, 0), at(20, 600, 0), at(40, 700, 10)], 20);
    expect(samples.map((s) => s.at - T0)).toEqual([20_000, 40_000]);
    expect(rate!.requestsPerSecond).toBeCloseTo(5);
    expect(rate!.etaSeconds).toBeCloseTo(20);
  });

  it('has no time left to tell while no page gets done, and never less than nothing', () => {
    expect(run([at(0, 0, 5), at(10, 30, 5)], 50).rate).toEqual({ requestsPerSecond: 3, etaSeconds: null });
    expect(run([at(0, 0, 5), at(10, 30, 12)], 10).rate!.etaSeconds).toBe(0);
  });
});
