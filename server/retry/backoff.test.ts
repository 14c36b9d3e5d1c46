import { describe, expect, it } from 'vitest';
import { type BackoffPolicy, backoffDelay } from './backoff';
import { sleep } from './sleep';

describe('backoffDelay', () => {
  const policy: BackoffPolicy = { baseMs: 500, maxMs: 30_000 };

  it.each([
    // failures, random, full jitter: random · min(30 s, 500 ms · 2^(failures-1))
    [1, 0.5, 250],
    [2, 0.5, 500],
    [3, 0.5, 1000],
    [7, 0.5, 15_000],
    [8, 0.5, 15_000],
    [20, 0.999, 29_970],
    [3, 0, 0],
    [0, 1, 500],
  ])('full jitter: after %i failures with random %d, waits %i ms', (failures, random, expected) => {
    expect(backoffDelay(failures, policy, () => random)).toBe(expected);
  });

  it.each([
    // the database's lock waits: 10 ms doubling up to 250 ms, from half to one and a half times that
    [1, 0.5, 10],
    [2, 0.5, 20],
    [5, 0.5, 160],
    [6, 0.5, 250],
    [1, 1, 15],
    [6, 1, 375],
    [6, 0, 125],
  ])('centred jitter: after %i failures with random %d, waits %i ms', (failures, random, expected) => {
    expect(backoffDelay(failures, { baseMs: 10, maxMs: 250, jitter: 'centred' }, () => random)).toBe(expected);
  });

  it('without jitter, doubles up to the ceiling and ignores random', () => {
    const breaker: BackoffPolicy = { baseMs: 30_000, maxMs: 300_000, jitter: 'none' };
    const random = () => {
      throw new Error('not used');
    };
    expect([1, 2, 3, 4, 5, 6].map((n) => backoffDelay(n, breaker, random))).toEqual([30_000, 60_000, 120_000, 240_000, 300_000, 300_000]);
  });

  it('uses Math.random by default, within the ceiling', () => {
    for (let i = 0; i < 50; i++) {
      const delay = backoffDelay(4, policy);
      expect(delay).toBeGreaterThanOrEqual(0);
      expect(delay).toBeLessThanOrEqual(4000);
    }
  });
});

describe('sleep', () => {
  it('resolves after the delay', async () => {
    await expect(sleep(0)).resolves.toBeUndefined();
    await expect(sleep(1, new AbortController().signal)).resolves.toBeUndefined();
  });

  it('rejects at once with the signal’s own reason when it aborts during the wait', async () => {
    const controller = new AbortController();
    const reason = new Error('export cancelled');
    // An hour: the test only finishes because the abort ends the wait.
    const waiting = sleep(3_600_000, controller.signal);
    setImmediate(() => controller.abort(reason));
    await expect(waiting).rejects.toBe(reason);
  });

  it('rejects with the reason without waiting when the signal has already aborted', async () => {
    const controller = new AbortController();
    controller.abort('shutting down');
    await expect(sleep(3_600_000, controller.signal)).rejects.toBe('shutting down');
  });
});
