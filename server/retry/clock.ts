import { sleep } from './sleep';

/**
 * Time as the runner and the export loop see it: what time it is, and waiting. The system clock
 * in production; tests pass one they move by hand (`manualClock` in server/testing/fake-clock.ts),
 * so a lease runs out or a poll comes round without the test waiting for it.
 */
export interface Clock {
  /** Milliseconds since the epoch. */
  now(): number;
  /** Waits `ms`; rejects with the signal's reason when it aborts first (or has already). */
  sleep(ms: number, signal?: AbortSignal): Promise<void>;
}

/** The real clock. Its waits never keep the process alive by themselves: work in progress does. */
export const systemClock: Clock = {
  now: () => Date.now(),
  sleep: (ms, signal) => sleep(ms, signal, { ref: false }),
};

/** Waits `ms` on `clock`: true when the time ran out, false when `signal` ended the wait first. */
export async function waitOrAbort(clock: Clock, ms: number, signal: AbortSignal): Promise<boolean> {
  try {
    await clock.sleep(ms, signal);
    return true;
  } catch (error) {
    if (signal.aborted) return false;
    throw error;
  }
}
