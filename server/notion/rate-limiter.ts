import { createHash } from 'node:crypto';
import { sleep } from '@/server/retry/sleep';

export interface RateLimiterOptions {
  /** Average rate the bucket refills at. */
  requestsPerSecond: number;
  /** Bucket size: how many requests may go out back to back. Default: the rate rounded up (at least 1). */
  burst?: number;
  /** Clock in milliseconds (injectable for tests). */
  now?: () => number;
  /** Waits `ms` milliseconds (injectable for tests). */
  sleep?: (ms: number) => Promise<void>;
  /** Length of the API's rate-limit window, which learning scales with. Default 60 s (Notion's). */
  windowMs?: number;
}

export interface RateLimiterStats {
  /** Tokens handed out. */
  acquired: number;
  /** Total time callers spent waiting in `acquire`. */
  waitedMs: number;
  /** Total time the bucket was paused by `pauseFor` (overlapping pauses counted once). */
  pausedMs: number;
  /** Number of `pauseFor` calls that extended the pause. */
  pauses: number;
  /** 429/529 answers reported with `rateLimited`. */
  rateLimited: number;
  /** Times the rate was lowered after them. */
  slowdowns: number;
}

/** What the limiter has learned from Notion's 429/529 answers. */
export interface LearnedRate {
  /** The rate currently paced at: the configured rate, or lower after rate-limit answers. */
  effective: number;
  /** The configured budget (the ceiling). */
  configured: number;
  /** Requests Notion accepted in the window before the last answer that lowered the rate. */
  windowEstimate?: number;
  /** When the rate was last lowered (ms since epoch). */
  loweredAt?: number;
}

interface Waiter {
  requestedAt: number;
  resolve: () => void;
  reject: (reason: unknown) => void;
  signal?: AbortSignal;
  onAbort?: () => void;
}

const MAX_NAP_MS = 1000;
/** Notion's rate-limit window (per connection; the workspace limit is shared by all connections). */
export const RATE_WINDOW_MS = 60_000;
/** A Retry-After longer than this share of the window (2 s of 60) means a window budget ran out, not a burst. */
const WINDOW_SIGNAL = 1 / 30;
/** Retry-After comes in whole seconds: one second is the shortest wait there is, never a window's sign (short windows in tests). */
const SHORTEST_RETRY_AFTER_MS = 1000;
/** Paced this far under a learned window budget, so that the next window is not exceeded. */
const UNDER_BUDGET = 0.95;
/** Lowered at most once per throttling episode (5 s of 60): answers to requests already in flight repeat the news. */
const EPISODE = 1 / 12;
/** A short wait with no other short one in the last half window (a burst's edge, jitter): 5 % slower. */
const LONE_CUT = 0.05;
/** A short wait with none in the two windows before is isolated: the rate it came at is not taken as too high. */
const ISOLATED_AFTER_WINDOWS = 2;
/** One episode at most halves the pace. */
const MAX_CUT = 0.5;
/** The climb back starts a sixth of a window (10 s of 60) after the last rate-limit answer… */
const QUIET_BEFORE_CLIMB = 1 / 6;
/** …and adds 2 % of the rate found too high every twelfth of a window (5 s)… */
const CLIMB_STEP = 0.02;
const CLIMB_EVERY = 1 / 12;
/** …up to 98 % of it. */
const CLIMB_TO = 0.98;
/** Above that, one probe per quiet window: 1 % of the rate found too high, then twice the last step while it stays quiet… */
const FIRST_PROBE_STEP = 0.01;
/** …at most 8 % at a time. */
const MAX_PROBE_STEP = 0.08;
const MIN_RATE = 0.05;
/** Send times kept to count a window's requests (enough for 60 s at 100 requests/s). */
const SENT_HISTORY = 6000;

function assertRate(requestsPerSecond: number): void {
  if (!Number.isFinite(requestsPerSecond) || requestsPerSecond <= 0) {
    throw new RangeError(`requestsPerSecond must be a positive number, got ${requestsPerSecond}`);
  }
}

/**
 * A token bucket shared by every request made with one Notion integration token.
 * Waiters are served strictly in arrival order; `pauseFor` (after a 429/529) holds everyone.
 */
export class RateLimiter {
  private rate: number;
  private burst: number;
  private readonly burstIsDefault: boolean;
  private tokens: number;
  private lastRefill: number;
  /** When the current run of 429/529 answers began (see `rateLimited`). */
  private episodeStartedAt = Number.NEGATIVE_INFINITY;
  private pausedUntil = 0;
  private readonly queue: Waiter[] = [];
  private pumping = false;
  private readonly now: () => number;
  private readonly sleep: (ms: number) => Promise<void>;
  private readonly windowMs: number;
  private readonly counters: RateLimiterStats = { acquired: 0, waitedMs: 0, pausedMs: 0, pauses: 0, rateLimited: 0, slowdowns: 0 };
  /** The configured budget; `rate` is the paced rate: this, or the learned ceiling when lower. */
  private configured: number;
  /** The rate learned from rate-limit answers (undefined: none, or climbed back to the budget). */
  private ceiling?: number;
  /** When each of the last requests went out (ring buffer), to count a window's requests. */
  private readonly sent: number[] = [];
  private sentNext = 0;
  /** When the last rate-limit answers came. */
  private readonly refused: number[] = [];
  private lastRateLimitAt = Number.NEGATIVE_INFINITY;
  private lastShortRateLimitAt = Number.NEGATIVE_INFINITY;
  /** When the pace last changed (lowered, or a step of the climb back). */
  private lastChangeAt = Number.NEGATIVE_INFINITY;
  /** The rate the last episode showed too high (for a window budget: the rate the window allows). */
  private tooHigh?: number;
  /** The probe step above CLIMB_TO, as a share of `tooHigh` (doubles while the probes stay quiet). */
  private probeStep = FIRST_PROBE_STEP;
  private windowEstimate?: number;
  private loweredAt?: number;

  constructor(options: RateLimiterOptions) {
    assertRate(options.requestsPerSecond);
    this.rate = options.requestsPerSecond;
    this.configured = options.requestsPerSecond;
    this.windowMs = options.windowMs ?? RATE_WINDOW_MS;
    this.burstIsDefault = options.burst === undefined;
    this.burst = Math.max(1, options.burst ?? Math.ceil(options.requestsPerSecond));
    this.now = options.now ?? Date.now;
    this.sleep = options.sleep ?? sleep;
    this.tokens = this.burst;
    this.lastRefill = this.now();
  }

  /** Resolves when a token is available for the caller; callers are served first come, first served. */
  acquire(signal?: AbortSignal): Promise<void> {
    if (signal?.aborted) return Promise.reject(signal.reason);
    return new Promise<void>((resolve, reject) => {
      const waiter: Waiter = { requestedAt: this.now(), resolve, reject, signal };
      if (signal) {
        waiter.onAbort = () => {
          const index = this.queue.indexOf(waiter);
          if (index >= 0) this.queue.splice(index, 1);
          reject(signal.reason);
        };
        signal.addEventListener('abort', waiter.onAbort, { once: true });
      }
      this.queue.push(waiter);
      void this.pump();
    });
  }

  /** Holds every acquire until `ms` from now (extends, never shortens, a running pause). */
  pauseFor(ms: number): void {
    if (!(ms > 0)) return;
    const now = this.now();
    const until = now + ms;
    if (until <= this.pausedUntil) return;
    this.counters.pausedMs += until - Math.max(this.pausedUntil, now);
    this.counters.pauses += 1;
    this.pausedUntil = until;
    // Restart gently after the pause: one request right away, then the normal spacing.
    this.tokens = 1;
    this.lastRefill = until;
  }

  /**
   * Changes the configured rate at run time (the dashboard's budget). A rate learned from
   * rate-limit answers stays in force while it is lower; the default burst follows the paced rate.
   */
  setRate(requestsPerSecond: number): void {
    assertRate(requestsPerSecond);
    if (requestsPerSecond === this.configured) return;
    this.configured = requestsPerSecond;
    this.pace(Math.min(requestsPerSecond, this.ceiling ?? Number.POSITIVE_INFINITY));
  }

  /**
   * A 429/529 answer with its Retry-After: holds every request for that long and learns from it,
   * once per episode (answers within a few seconds of the first one are one episode: the requests
   * already in flight repeat the news).
   *
   * Lowering: a long wait (over 2 s of a 60-s window) means a window budget (per connection, or the
   * workspace's shared one) ran out: the requests sent in the last window, less the refused ones,
   * are about what it allows, so the pace drops to 95 % of that. A short wait is a bucket's edge
   * (or jitter: requests that arrived bunched): the pace drops by 5 %; when short waits keep
   * coming (another within half a window), to the rate the API accepted since the previous one,
   * if that is lower (at most half the pace at once).
   *
   * Climbing back (AIMD-like, so that a token uses its whole budget): the rate of the episode is
   * remembered as too high (for a window budget, the rate the window allows; for a short wait with
   * none other in the two windows before, the higher of it and the one known before, so that
   * occasional jitter cannot ratchet the pace down). From 10 s after the last answer the pace climbs by 2 % of it every 5 s
   * up to 98 % of it (back near the known limit within a minute); above that it probes once per
   * quiet window, by 1 % of it, then 2, 4 and at most 8 % while no answer comes (a limit that was
   * only briefly lower, e.g. shared with other integrations, is used again within minutes). Never
   * above the configured budget; on reaching it the lesson is forgotten. (Durations scale with
   * the window, `windowMs`.)
   */
  rateLimited(retryAfterMs: number): void {
    const now = this.now();
    this.counters.rateLimited += 1;
    this.refused.push(now);
    if (this.refused.length > SENT_HISTORY) this.refused.shift();
    this.pauseFor(retryAfterMs);
    // An episode is timed from its first answer: answers that never stop coming (a rate still
    // too high) make a new episode every few seconds, and lower the rate again each time.
    const sameEpisode = now - this.episodeStartedAt < EPISODE * this.windowMs;
    this.lastRateLimitAt = now;
    if (sameEpisode) return;
    this.episodeStartedAt = now;
    this.recover();
    let next: number;
    let tooHigh: number;
    if (retryAfterMs > Math.max(SHORTEST_RETRY_AFTER_MS, WINDOW_SIGNAL * this.windowMs)) {
      // What the API accepted in the window that just ran out: sent, less the answers that
      // refused. Retry-After says when it resets, in whole seconds rounded up, hence when it
      // began: at the earliest one second before what it says.
      const since = Math.max(now - this.windowMs, now + retryAfterMs - 1000 - this.windowMs);
      const inWindow = Math.max(1, this.sentSince(since) - this.refused.filter((at) => at >= since).length);
      this.windowEstimate = inWindow;
      tooHigh = (inWindow * 1000) / this.windowMs;
      next = UNDER_BUDGET * tooHigh;
    } else {
      const since = now - this.lastShortRateLimitAt;
      this.lastShortRateLimitAt = now;
      // An isolated answer may be jitter: it does not lower what is known too high, so that a few
      // of them cannot ratchet the pace down; answers that recur do.
      tooHigh = since < ISOLATED_AFTER_WINDOWS * this.windowMs ? this.rate : Math.max(this.rate, this.tooHigh ?? 0);
      // They keep coming: the pace drops to the rate the API accepted since the last one (about
      // the limit when that is below the pace; about the pace itself when the answers were
      // jitter), at least 5 % and at most half at once (little may have been asked for).
      next = this.rate * (1 - LONE_CUT);
      if (since < this.windowMs / 2) {
        const from = now - since;
        const accepted = ((this.sentSince(from) - this.refused.filter((at) => at >= from).length) * 1000) / since;
        next = Math.max(this.rate * MAX_CUT, Math.min(next, accepted));
      }
    }
    if (next >= this.rate) return;
    this.counters.slowdowns += 1;
    this.loweredAt = now;
    this.lastChangeAt = now;
    this.tooHigh = tooHigh;
    this.probeStep = FIRST_PROBE_STEP;
    this.ceiling = Math.max(MIN_RATE, next);
    this.pace(this.ceiling);
  }

  /** The paced rate against the configured one, and what it was learned from. */
  learned(): LearnedRate {
    this.recover();
    return { effective: this.rate, configured: this.configured, windowEstimate: this.windowEstimate, loweredAt: this.loweredAt };
  }

  /** The configured rate (see `learned()` for the rate actually paced). */
  get requestsPerSecond(): number {
    return this.configured;
  }

  private pace(rate: number): void {
    this.refill();
    this.rate = rate;
    if (this.burstIsDefault) {
      this.burst = Math.max(1, Math.ceil(rate));
      this.tokens = Math.min(this.tokens, this.burst);
    }
    void this.pump();
  }

  /** Takes the steps of the climb back that are due by now (see `rateLimited`). */
  private recover(): void {
    if (this.ceiling === undefined || this.tooHigh === undefined) return;
    const now = this.now();
    let ceiling = this.ceiling;
    for (;;) {
      const step = this.nextStep(ceiling, this.tooHigh);
      if (step.at > now) break;
      this.lastChangeAt = step.at;
      if (step.probe) this.probeStep = Math.min(MAX_PROBE_STEP, this.probeStep * 2);
      if (step.rate >= this.configured) {
        this.ceiling = undefined;
        this.tooHigh = undefined;
        this.pace(this.configured);
        return;
      }
      ceiling = step.rate;
    }
    if (ceiling === this.ceiling) return;
    this.ceiling = ceiling;
    this.pace(ceiling);
  }

  /** When the climb back takes its next step from `ceiling`, and to what rate. */
  private nextStep(ceiling: number, tooHigh: number): { at: number; rate: number; probe: boolean } {
    const near = CLIMB_TO * tooHigh;
    if (ceiling < near) {
      const at = Math.max(this.lastRateLimitAt + QUIET_BEFORE_CLIMB * this.windowMs, this.lastChangeAt + CLIMB_EVERY * this.windowMs);
      return { at, rate: Math.min(near, ceiling + CLIMB_STEP * tooHigh), probe: false };
    }
    return { at: Math.max(this.lastRateLimitAt, this.lastChangeAt) + this.windowMs, rate: ceiling + this.probeStep * tooHigh, probe: true };
  }

  private sentSince(since: number): number {
    let count = 0;
    for (const at of this.sent) if (at >= since) count++;
    return count;
  }

  private recordSent(at: number): void {
    if (this.sent.length < SENT_HISTORY) this.sent.push(at);
    else this.sent[this.sentNext] = at;
    this.sentNext = (this.sentNext + 1) % SENT_HISTORY;
  }

  stats(): RateLimiterStats {
    return { ...this.counters };
  }

  private refill(): void {
    const now = this.now();
    if (now <= this.lastRefill) return;
    this.tokens = Math.min(this.burst, this.tokens + ((now - this.lastRefill) * this.rate) / 1000);
    this.lastRefill = now;
  }

  /** Milliseconds until the head of the queue may go (0 = now). */
  private delayUntilReady(): number {
    const now = this.now();
    if (now < this.pausedUntil) return this.pausedUntil - now;
    this.refill();
    if (this.tokens >= 1) return 0;
    return Math.max(1, Math.ceil(((1 - this.tokens) * 1000) / this.rate));
  }

  private async pump(): Promise<void> {
    if (this.pumping) return;
    this.pumping = true;
    try {
      while (this.queue.length > 0) {
        this.recover();
        const delay = this.delayUntilReady();
        if (delay > 0) {
          // Short naps so that setRate() takes effect quickly even at very low rates.
          await this.sleep(Math.min(delay, MAX_NAP_MS));
          continue;
        }
        const waiter = this.queue.shift();
        if (!waiter) break;
        this.tokens -= 1;
        this.recordSent(this.now());
        this.counters.acquired += 1;
        this.counters.waitedMs += this.now() - waiter.requestedAt;
        if (waiter.signal && waiter.onAbort) waiter.signal.removeEventListener('abort', waiter.onAbort);
        waiter.resolve();
      }
    } finally {
      this.pumping = false;
    }
  }
}

const REGISTRY_KEY = Symbol.for('notion-sync.notion.rate-limiters');

type LimiterRegistry = Map<string, RateLimiter>;

function registry(): LimiterRegistry {
  const holder = globalThis as typeof globalThis & { [REGISTRY_KEY]?: LimiterRegistry };
  holder[REGISTRY_KEY] ??= new Map();
  return holder[REGISTRY_KEY];
}

/**
 * One limiter per integration token for the whole process. It lives on `globalThis` because Next
 * bundles route handlers separately (module-level maps would not be shared). The key is a sha256
 * of the token, never the token itself. Asking again with another rate changes the shared rate.
 */
export function getSharedLimiter(token: string, requestsPerSecond: number, windowMs?: number): RateLimiter {
  const key = createHash('sha256').update(token).digest('hex');
  const limiters = registry();
  const existing = limiters.get(key);
  if (existing) {
    if (existing.requestsPerSecond !== requestsPerSecond) existing.setRate(requestsPerSecond);
    return existing;
  }
  const limiter = new RateLimiter({ requestsPerSecond, windowMs });
  limiters.set(key, limiter);
  return limiter;
}
