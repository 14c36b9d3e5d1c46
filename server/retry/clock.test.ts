import { describe, expect, it } from 'vitest';
import { manualClock } from '@/server/testing/fake-clock';
import { systemClock, waitOrAbort } from './clock';

describe('waitOrAbort', () => {
  it('says whether the time ran out or the signal ended the wait', async () => {
    const clock = manualClock(1_000);
    const stop = new AbortController();
    const first = waitOrAbort(clock, 500, stop.signal);
    await clock.waiting(500);
    clock.advance(499);
    expect(clock.pending()).toEqual([500]);
    clock.advance(1);
    expect(await first).toBe(true);
    expect(clock.now()).toBe(1_500);

    const second = waitOrAbort(clock, 500, stop.signal);
    stop.abort(new Error('stopping'));
    expect(await second).toBe(false);
    expect(clock.pending()).toEqual([]);
    // Already aborted: no wait at all.
    expect(await waitOrAbort(clock, 500, stop.signal)).toBe(false);
  });

  it('passes on a failure of the clock itself', async () => {
    const broken = { now: () => 0, sleep: () => Promise.reject(new Error('no timers')) };
    await expect(waitOrAbort(broken, 10, new AbortController().signal)).rejects.toThrow('no timers');
  });

  it('waits on the system clock, which tells the time', async () => {
    const before = systemClock.now();
    expect(await waitOrAbort(systemClock, 5, new AbortController().signal)).toBe(true);
    expect(systemClock.now() - before).toBeGreaterThanOrEqual(4);
  });
});

describe('manualClock', () => {
  it('ends the waits that fall due, in order, only when advanced', async () => {
    const clock = manualClock(0);
    const order: number[] = [];
    const waits = [300, 100, 200].map((ms) => clock.sleep(ms).then(() => order.push(ms)));
    expect(clock.pending()).toEqual([100, 200, 300]);
    clock.advance(250);
    await Promise.all(waits.slice(1));
    expect(order).toEqual([100, 200]);
    clock.advance(50);
    await Promise.all(waits);
    expect(order).toEqual([100, 200, 300]);
  });
});
