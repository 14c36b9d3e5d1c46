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
