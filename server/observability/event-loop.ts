/**
 * How late the event loop has been lately: a timer every half second notes how much later than
 * asked it fired, and the last 30 s of those are kept. A loop blocked by a long synchronous task
 * shows as one late tick; a loop blocked right now shows as the time since the last tick.
 */

const TICK_MS = 500;
const WINDOW_TICKS = 60;

interface Sampler {
  timer: NodeJS.Timeout;
  lastTickAt: number;
  /** Lateness of the last ticks, in ms (a ring). */
  lags: Float64Array;
  next: number;
}

const SAMPLER_KEY = Symbol.for('notion-sync.observability.event-loop-sampler');
type Holder = typeof globalThis & { [SAMPLER_KEY]?: Sampler };

/** Starts sampling (once per process); the timer never holds the process open. */
export function startEventLoopSampler(): void {
  const holder = globalThis as Holder;
  if (holder[SAMPLER_KEY]) return;
  const sampler: Sampler = { lastTickAt: performance.now(), lags: new Float64Array(WINDOW_TICKS), next: 0, timer: undefined as unknown as NodeJS.Timeout };
  sampler.timer = setInterval(() => {
    const now = performance.now();
    sampler.lags[sampler.next] = Math.max(0, now - sampler.lastTickAt - TICK_MS);
    sampler.next = (sampler.next + 1) % WINDOW_TICKS;
    sampler.lastTickAt = now;
  }, TICK_MS);
  sampler.timer.unref();
  holder[SAMPLER_KEY] = sampler;
}

/** The worst lateness of the event loop over the last 30 s, in ms (sampling starts on the first call). */
export function recentEventLoopLagMs(): number {
  startEventLoopSampler();
  const sampler = (globalThis as Holder)[SAMPLER_KEY] as Sampler;
  let worst = Math.max(0, performance.now() - sampler.lastTickAt - TICK_MS);
  for (const lag of sampler.lags) if (lag > worst) worst = lag;
  return worst;
}
