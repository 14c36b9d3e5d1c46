/** Per-token token buckets, like Notion's per-connection limit ("3 requests/s on average, bursts allowed"). */

export interface RateLimit {
  /** Sustained rate. */
  requestsPerSecond: number;
  /** Bucket size (requests that may arrive at once). Default: max(1, ceil(requestsPerSecond)). */
  burst?: number;
}

export type Admission = { ok: true } | { ok: false; retryAfterSeconds: number };

export class RateLimiter {
  private readonly buckets = new Map<string, { tokens: number; at: number }>();
  private readonly rate: number;
  private readonly burst: number;

  constructor(limit: RateLimit) {
    if (!(limit.requestsPerSecond > 0)) throw new RangeError('rateLimit.requestsPerSecond must be > 0');
    this.rate = limit.requestsPerSecond;
    this.burst = Math.max(1, limit.burst ?? Math.ceil(limit.requestsPerSecond));
  }

  /** Takes one token for `key`; when none is left, says how long to wait (integer seconds, ≥ 1). */
  take(key: string, nowMs: number): Admission {
    let b = this.buckets.get(key);
    if (!b) {
      b = { tokens: this.burst, at: nowMs };
      this.buckets.set(key, b);
    }
    b.tokens = Math.min(this.burst, b.tokens + ((nowMs - b.at) / 1000) * this.rate);
    b.at = nowMs;
    if (b.tokens >= 1) {
      b.tokens -= 1;
      return { ok: true };
    }
    const waitMs = ((1 - b.tokens) / this.rate) * 1000;
    return { ok: false, retryAfterSeconds: Math.max(1, Math.ceil(waitMs / 1000)) };
  }
}
