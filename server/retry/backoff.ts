/** How long to wait between attempts: capped exponential growth from `baseMs`. */
export interface BackoffPolicy {
  baseMs: number;
  maxMs: number;
  /**
   * Where the delay falls below its ceiling `min(maxMs, baseMs · 2^(failures-1))`:
   * - `full` (the default): anywhere from 0 to the ceiling, so that clients failing together
   *   do not retry together;
   * - `centred`: from half to one and a half times the ceiling, never much shorter (waiting for
   *   another process to let go of a lock);
   * - `none`: the ceiling itself (one waiter, nobody to spread out from).
   */
  jitter?: 'full' | 'centred' | 'none';
}

/** The wait before attempt `failures + 1` under `policy`; `random` returns [0, 1) like Math.random. */
export function backoffDelay(failures: number, policy: BackoffPolicy, random: () => number = Math.random): number {
  const ceiling = Math.min(policy.maxMs, policy.baseMs * 2 ** Math.max(0, failures - 1));
  const jitter = policy.jitter ?? 'full';
  switch (jitter) {
    case 'full':
      return Math.round(random() * ceiling);
    case 'centred':
      return Math.round(ceiling * (0.5 + random()));
    case 'none':
      return ceiling;
    default: {
      const _exhaustive: never = jitter;
      return _exhaustive;
    }
  }
}
