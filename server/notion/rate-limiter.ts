import { createHash } from 'node:crypto';

export interface RateLimiterOptions {
  /** Average rate the bucket refills at. */
  requestsPerSecond: number;
  /** Bucket size: how many requests may go out back to back. Default: the rate rounded up (at least 1). */
  burst?: number;
  /** Clock in milliseconds (injectable for tests). */
  now?: () => number;
  /** Waits `ms` milliseconds (injectable for tests). */
  sleep?: (ms: number) => Promise<void>;
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
}

interface Waiter {
  requestedAt: number;
  resolve: () => void;
  reject: (reason: unknown) => void;
  signal?: AbortSignal;
  onAbort?: () => void;
}

const MAX_NAP_MS = 1000;

const realSleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

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
  private pausedUntil = 0;
  private readonly queue: Waiter[] = [];
  private pumping = false;
  private readonly now: () => number;
  private readonly sleep: (ms: number) => Promise<void>;
  private readonly counters: RateLimiterStats = { acquired: 0, waitedMs: 0, pausedMs: 0, pauses: 0 };

  constructor(options: RateLimiterOptions) {
    assertRate(options.requestsPerSecond);
    this.rate = options.requestsPerSecond;
    this.burstIsDefault = options.burst === undefined;
    this.burst = Math.max(1, options.burst ?? Math.ceil(options.requestsPerSecond));
    this.now = options.now ?? Date.now;
    this.sleep = options.sleep ?? realSleep;
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

  /** Changes the average rate at run time (the default burst follows it). */
  setRate(requestsPerSecond: number): void {
    assertRate(requestsPerSecond);
    this.refill();
    this.rate = requestsPerSecond;
    if (this.burstIsDefault) {
      this.burst = Math.max(1, Math.ceil(requestsPerSecond));
      this.tokens = Math.min(this.tokens, this.burst);
    }
    void this.pump();
  }

  get requestsPerSecond(): number {
    return this.rate;
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
        const delay = this.delayUntilReady();
        if (delay > 0) {
          // Short naps so that setRate() takes effect quickly even at very low rates.
          await this.sleep(Math.min(delay, MAX_NAP_MS));
          continue;
        }
        const waiter = this.queue.shift()!;
        this.tokens -= 1;
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
export function getSharedLimiter(token: string, requestsPerSecond: number): RateLimiter {
  const key = createHash('sha256').update(token).digest('hex');
  const limiters = registry();
  const existing = limiters.get(key);
  if (existing) {
    if (existing.requestsPerSecond !== requestsPerSecond) existing.setRate(requestsPerSecond);
    return existing;
  }
  const limiter = new RateLimiter({ requestsPerSecond });
  limiters.set(key, limiter);
  return limiter;
}
