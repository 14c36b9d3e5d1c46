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

/**
 * `additional_data.rate_limit_reason` of the twin's 429s. Notion documents the field but the stored
 * copy of its docs lost the list of values, so these names are the twin's own.
 */
export type RateLimitReason = 'connection_limit' | 'workspace_limit';

/** Why and for how long a request was refused. */
export interface Refusal {
  retryAfterSeconds: number;
  reason: RateLimitReason;
}

/** The per-token limit and the workspace-wide one, read at the clock's time. */
export class TwinRateLimits {
  private perToken: Limiter | null = null;
  private workspace: Limiter | null = null;

  constructor(
    perToken: RateLimit | null | undefined,
    workspace: WindowLimit | null | undefined,
    private readonly now: () => number,
  ) {
    this.setPerToken(perToken ?? null);
    this.setWorkspace(workspace ?? null);
  }

  /** Replaces the per-token limit (its counters start afresh); null removes it. */
  setPerToken(limit: RateLimit | null): void {
    this.perToken = limit ? createLimiter(limit) : null;
  }

  /** Replaces the workspace-wide limit (its counter starts afresh); null removes it. */
  setWorkspace(limit: WindowLimit | null): void {
    this.workspace = limit ? new WindowLimiter(limit, 'workspaceRateLimit') : null;
  }

  /**
   * Admits a request of `token` (null) or refuses it. A request either spends from both limits or,
   * refused, from neither; when both refuse, the refusal names the one with the longer wait.
   */
  admit(token: string): Refusal | null {
    const now = this.now();
    const checks: Array<{ limiter: Limiter; key: string; reason: RateLimitReason }> = [];
    if (this.perToken) checks.push({ limiter: this.perToken, key: token, reason: 'connection_limit' });
    if (this.workspace) checks.push({ limiter: this.workspace, key: 'workspace', reason: 'workspace_limit' });
    let worst: Refusal | null = null;
    for (const c of checks) {
      const a = c.limiter.check(c.key, now);
      if (!a.ok && (!worst || a.retryAfterSeconds > worst.retryAfterSeconds)) worst = { retryAfterSeconds: a.retryAfterSeconds, reason: c.reason };
    }
    if (worst) return worst;
    for (const c of checks) c.limiter.spend(c.key, now);
    return null;
  }
}
