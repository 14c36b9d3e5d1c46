/**
 * The twin's rate limits. Two shapes, both keyed (by token, or one key for the whole workspace):
 * - a token bucket, like Notion's long-standing text ("3 requests/s on average, bursts allowed");
 * - a fixed budget per window, like Notion's current per-connection and per-workspace limits
 *   ("a fixed budget of requests per 60-second window … spent at any pace"; Retry-After = time until
 *   the window resets).
 */

/** Token bucket: `requestsPerSecond` sustained, `burst` at once. */
export interface TokenBucketLimit {
  /** Sustained rate. */
  requestsPerSecond: number;
  /** Bucket size (requests that may arrive at once). Default: max(1, ceil(requestsPerSecond)). */
  burst?: number;
}

/**
 * Fixed window: `budget` requests per `windowMs`, at any pace. A key's window opens with the first
 * request that finds no open window, and closes `windowMs` later (not aligned to the clock).
 */
export interface WindowLimit {
  windowMs: number;
  /** Requests admitted per window (an integer ≥ 1). */
  budget: number;
}

export type RateLimit = TokenBucketLimit | WindowLimit;

export type Admission = { ok: true } | { ok: false; retryAfterSeconds: number };

/**
 * Limits split into asking and spending, so that a request refused by one limit (say the
 * workspace's) spends nothing from another (its token's).
 */
export interface Limiter {
  /** Whether `key` may make one more request at `nowMs`; changes nothing. */
  check(key: string, nowMs: number): Admission;
  /** Spends one request of `key`'s budget; call only after `check` said ok. */
  spend(key: string, nowMs: number): void;
}

/** Whole seconds to wait for `ms`, at least 1 (Notion's Retry-After is an integer). */
function retryAfterSeconds(ms: number): number {
  return Math.max(1, Math.ceil(ms / 1000));
}

export class TokenBucketLimiter implements Limiter {
  private readonly buckets = new Map<string, { tokens: number; at: number }>();
  private readonly rate: number;
  private readonly burst: number;

  constructor(limit: TokenBucketLimit) {
    if (!(limit.requestsPerSecond > 0)) throw new RangeError('rateLimit.requestsPerSecond must be > 0');
    this.rate = limit.requestsPerSecond;
    this.burst = Math.max(1, limit.burst ?? Math.ceil(limit.requestsPerSecond));
  }

  private tokens(key: string, nowMs: number): number {
    const b = this.buckets.get(key);
    return b ? Math.min(this.burst, b.tokens + ((nowMs - b.at) / 1000) * this.rate) : this.burst;
  }

  check(key: string, nowMs: number): Admission {
    const tokens = this.tokens(key, nowMs);
    if (tokens >= 1) return { ok: true };
    return { ok: false, retryAfterSeconds: retryAfterSeconds(((1 - tokens) / this.rate) * 1000) };
  }

  spend(key: string, nowMs: number): void {
    this.buckets.set(key, { tokens: this.tokens(key, nowMs) - 1, at: nowMs });
  }
}

export class WindowLimiter implements Limiter {
  private readonly windows = new Map<string, { start: number; used: number }>();
  private readonly windowMs: number;
  private readonly budget: number;

  constructor(limit: WindowLimit, name = 'rateLimit') {
    if (!(limit.windowMs > 0 && Number.isFinite(limit.windowMs))) throw new RangeError(`${name}.windowMs must be a positive number, got ${limit.windowMs}`);
    if (!(Number.isInteger(limit.budget) && limit.budget >= 1)) throw new RangeError(`${name}.budget must be an integer ≥ 1, got ${limit.budget}`);
    this.windowMs = limit.windowMs;
    this.budget = limit.budget;
  }

  /** The key's window if one is open at `nowMs`. */
  private open(key: string, nowMs: number): { start: number; used: number } | null {
    const w = this.windows.get(key);
    return w && nowMs < w.start + this.windowMs ? w : null;
  }

  check(key: string, nowMs: number): Admission {
    const w = this.open(key, nowMs);
    if (!w || w.used < this.budget) return { ok: true };
    return { ok: false, retryAfterSeconds: retryAfterSeconds(w.start + this.windowMs - nowMs) };
  }

  spend(key: string, nowMs: number): void {
    const w = this.open(key, nowMs);
    if (w) w.used++;
    else this.windows.set(key, { start: nowMs, used: 1 });
  }
}

export function isWindowLimit(limit: RateLimit): limit is WindowLimit {
  return 'windowMs' in limit;
}

export function createLimiter(limit: RateLimit, name = 'rateLimit'): Limiter {
  return isWindowLimit(limit) ? new WindowLimiter(limit, name) : new TokenBucketLimiter(limit);
}
