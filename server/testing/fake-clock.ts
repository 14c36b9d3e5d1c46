import type { Clock } from '@/server/retry/clock';

/**
 * Virtual time for tests of the limiter, the circuit breaker and the retry loop: sleeping moves
 * the clock forward once pending continuations have run, so nothing waits in real time.
 */
export function fakeClock(start = 0) {
  let t = start;
  return {
    now: () => t,
    sleep: (ms: number) =>
      new Promise<void>((resolve) =>
        setImmediate(() => {
          t += ms;
          resolve();
        }),
      ),
    advance: (ms: number) => {
      t += ms;
    },
  };
}

/** A clock that only moves when the test says so (see `manualClock`). */
export interface ManualClock extends Clock {
  /** Moves time forward by `ms` and ends, in order, every wait that falls due. */
  advance(ms: number): void;
  /**
   * Resolves once a wait of `ms` (of any length when omitted) is pending: the code under test
   * has reached it. A latch, so a test advances time only when something waits for it.
   */
  waiting(ms?: number): Promise<void>;
  /** The lengths of the waits pending, in the order they fall due. */
  pending(): number[];
}

interface PendingWait {
  due: number;
  ms: number;
  resolve: () => void;
  signal?: AbortSignal;
  onAbort?: () => void;
}

/**
 * Time for tests of the runner and the export loop: `now()` stays where it is and `sleep` waits
 * until `advance` moves past its end (or its signal aborts), so a lease expiry, a heartbeat, a
 * poll or a retry's backoff happens when the test says, not after a real wait. Starts at the
 * real time by default, so it agrees with the times the event store records.
 */
export function manualClock(start = Date.now()): ManualClock {
  let t = start;
  const waits = new Set<PendingWait>();
  const watchers = new Set<{ ms?: number; resolve: () => void }>();
  const matches = (ms: number | undefined, wait: PendingWait) => ms === undefined || wait.ms === ms;
  const settle = (wait: PendingWait) => {
    waits.delete(wait);
    if (wait.onAbort) wait.signal?.removeEventListener('abort', wait.onAbort);
  };
  return {
    now: () => t,
    sleep(ms, signal) {
      if (signal?.aborted) return Promise.reject(signal.reason);
      return new Promise<void>((resolve, reject) => {
        const wait: PendingWait = { due: t + Math.max(0, ms), ms, resolve, signal };
        if (signal) {
          wait.onAbort = () => {
            settle(wait);
            reject(signal.reason);
          };
          signal.addEventListener('abort', wait.onAbort, { once: true });
        }
        waits.add(wait);
        for (const watcher of [...watchers]) {
          if (!matches(watcher.ms, wait)) continue;
          watchers.delete(watcher);
          watcher.resolve();
        }
      });
    },
    advance(ms) {
      t += ms;
      const due = [...waits].filter((w) => w.due <= t).sort((a, b) => a.due - b.due);
      for (const wait of due) {
        settle(wait);
        wait.resolve();
      }
    },
    waiting(ms) {
      if ([...waits].some((w) => matches(ms, w))) return Promise.resolve();
      return new Promise<void>((resolve) => watchers.add({ ms, resolve }));
    },
    pending: () => [...waits].sort((a, b) => a.due - b.due).map((w) => w.ms),
  };
}
