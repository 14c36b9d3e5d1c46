import { createHash } from 'node:crypto';
import { backoffDelay } from '@/server/retry/backoff';
import { sleep } from '@/server/retry/sleep';
import { NotionGatewayError } from './errors';

export type CircuitState = 'closed' | 'open' | 'half_open';

export interface CircuitBreakerSettings {
  /** Consecutive failed attempts (5xx, network errors, timeouts) that open the circuit. Default 8. */
  failureThreshold?: number;
  /** First cool-down after opening. Default 30 s; doubles after each failed probe. */
  coolDownMs?: number;
  /** Ceiling for the doubling cool-down. Default 5 min. */
  maxCoolDownMs?: number;
  /**
   * How long one `acquire` may wait while the circuit is not closed before it gives up with a
   * NotionGatewayError (kind `unavailable`, code `circuit_open`). Default 15 min; `Infinity` waits forever.
   */
  maxWaitMs?: number;
}

export interface CircuitBreakerOptions extends CircuitBreakerSettings {
  /** Clock in milliseconds (injectable for tests). */
  now?: () => number;
  /** Waits `ms` milliseconds (injectable for tests). */
  sleep?: (ms: number) => Promise<void>;
  onStateChange?: (change: CircuitStateChange) => void;
}

export interface CircuitStateChange {
  from: CircuitState;
  to: CircuitState;
  at: number;
  consecutiveFailures: number;
  /** The cool-down in force: how long this opening lasts (open) or the one that just ended. */
  coolDownMs: number;
  /** When the next probe may go out (set while open). */
  nextProbeAt: number | null;
  /** What the last counted failure was, e.g. `HTTP 503`, `timeout`, `ECONNRESET`. */
  lastFailure: string | null;
}

export interface CircuitBreakerStats {
  state: CircuitState;
  /** Times the circuit tripped from closed to open. */
  opened: number;
  /** Times a failed probe re-opened it. */
  reopened: number;
  /** Probe requests let through while half-open. */
  probes: number;
  consecutiveFailures: number;
  /** When the next probe may go out (null unless open). */
  nextProbeAt: number | null;
  /** Since when the circuit has not been closed (null when closed). */
  openSince: number | null;
  lastFailure: string | null;
  /** Requests waiting for the circuit right now. */
  waiting: number;
  /** Acquires that gave up after `maxWaitMs`. */
  gaveUp: number;
}

/**
 * Permission for one HTTP attempt. Exactly one of `success`, `failure` or `release` should be
 * called when the attempt is over; later calls are ignored.
 */
export interface BreakerPermit {
  /** This attempt is the half-open probe: its outcome closes or re-opens the circuit. */
  readonly probe: boolean;
  /** False when the circuit opened after this (closed-state) permit was handed out: don't send. */
  readonly usable: boolean;
  /** The API answered (2xx, or a 4xx that is no outage sign). */
  success(): void;
  /** A failure of the retryable kind: 5xx, network error, timeout. */
  failure(reason: string): void;
  /** The attempt was not made or says nothing about the API's health (429/529, caller abort). */
  release(): void;
}

interface Waiter {
  deadline: number;
  resolve: (permit: BreakerPermit) => void;
  reject: (reason: unknown) => void;
  signal?: AbortSignal;
  onAbort?: () => void;
}

const DEFAULTS = {
  failureThreshold: 8,
  coolDownMs: 30_000,
  maxCoolDownMs: 5 * 60_000,
  maxWaitMs: 15 * 60_000,
} satisfies Required<CircuitBreakerSettings>;

/** Longest single timer, so that no real timer outlives the last waiter by more than this. */
const MAX_NAP_MS = 1000;

function assertSettings(settings: Required<CircuitBreakerSettings>): void {
  const { failureThreshold, coolDownMs, maxCoolDownMs, maxWaitMs } = settings;
  if (!Number.isInteger(failureThreshold) || failureThreshold < 1) {
    throw new RangeError(`failureThreshold must be a positive integer, got ${failureThreshold}`);
  }
  if (!(coolDownMs > 0) || !(maxCoolDownMs >= coolDownMs)) {
    throw new RangeError(`need 0 < coolDownMs <= maxCoolDownMs, got ${coolDownMs} and ${maxCoolDownMs}`);
  }
  if (!(maxWaitMs > 0)) throw new RangeError(`maxWaitMs must be positive, got ${maxWaitMs}`);
}

function describeDuration(ms: number): string {
  if (ms >= 60_000) return `${Math.round(ms / 60_000)} min`;
  return `${Math.round(ms / 1000)} s`;
}

/**
 * A circuit breaker for one Notion connection (token). Closed: every attempt goes. After
 * `failureThreshold` consecutive retryable failures it opens: nothing is sent for the cool-down,
 * and `acquire` waits (it does not fail fast, so no page is lost to a short outage). Then it is
 * half-open: exactly one waiter gets a probe permit; its success closes the circuit and releases
 * everyone waiting (in arrival order), its failure re-opens it with a doubled cool-down.
 * Rate limits (429/529) are not failures: the rate limiter handles them.
 */
export class CircuitBreaker {
  private settings: Required<CircuitBreakerSettings>;
  private current: CircuitState = 'closed';
  private consecutiveFailures = 0;
  private coolDown: number;
  /** Failed probes since the circuit last opened from closed: each doubles the cool-down. */
  private failedProbes = 0;
  private nextProbeAt: number | null = null;
  private openSince: number | null = null;
  private lastFailure: string | null = null;
  private probeInFlight = false;
  private readonly queue: Waiter[] = [];
  private timerAt: number | null = null;
  private readonly listeners = new Set<(change: CircuitStateChange) => void>();
  private readonly now: () => number;
  private readonly sleep: (ms: number) => Promise<void>;
  private readonly counters = { opened: 0, reopened: 0, probes: 0, gaveUp: 0 };

  constructor(options: CircuitBreakerOptions = {}) {
    this.settings = {
      failureThreshold: options.failureThreshold ?? DEFAULTS.failureThreshold,
      coolDownMs: options.coolDownMs ?? DEFAULTS.coolDownMs,
      maxCoolDownMs: options.maxCoolDownMs ?? Math.max(DEFAULTS.maxCoolDownMs, options.coolDownMs ?? 0),
      maxWaitMs: options.maxWaitMs ?? DEFAULTS.maxWaitMs,
    };
    assertSettings(this.settings);
    this.coolDown = this.settings.coolDownMs;
    this.now = options.now ?? Date.now;
    this.sleep = options.sleep ?? sleep;
    if (options.onStateChange) this.listeners.add(options.onStateChange);
  }

  /** Changes thresholds at run time (takes effect from the next transition). */
  configure(settings: CircuitBreakerSettings): void {
    const next = { ...this.settings };
    for (const key of Object.keys(DEFAULTS) as (keyof CircuitBreakerSettings)[]) {
      if (settings[key] !== undefined) next[key] = settings[key];
    }
    assertSettings(next);
    this.settings = next;
  }

  /** The current state (an elapsed cool-down shows as half-open). */
  state(): CircuitState {
    this.tick();
    return this.current;
  }

  stats(): CircuitBreakerStats {
    this.tick();
    return {
      state: this.current,
      ...this.counters,
      consecutiveFailures: this.consecutiveFailures,
      nextProbeAt: this.current === 'open' ? this.nextProbeAt : null,
      openSince: this.openSince,
      lastFailure: this.lastFailure,
      waiting: this.queue.length,
    };
  }

  /** Subscribes to state changes; returns the unsubscribe function. */
  onStateChange(listener: (change: CircuitStateChange) => void): () => void {
    this.listeners.add(listener);
    return () => {
      this.listeners.delete(listener);
    };
  }

  /**
   * Resolves with a permit for one attempt: at once while closed; while open, when the circuit
   * closes again or this caller becomes the half-open probe. Rejects when `signal` aborts, or
   * with a NotionGatewayError (kind `unavailable`, code `circuit_open`) after `maxWaitMs`.
   */
  acquire(signal?: AbortSignal): Promise<BreakerPermit> {
    if (signal?.aborted) return Promise.reject(signal.reason);
    this.tick();
    if (this.current === 'closed' && this.queue.length === 0) return Promise.resolve(this.permit(false));
    return new Promise<BreakerPermit>((resolve, reject) => {
      const waiter: Waiter = { deadline: this.now() + this.settings.maxWaitMs, resolve, reject, signal };
      if (signal) {
        waiter.onAbort = () => {
          this.remove(waiter);
          reject(signal.reason);
          this.schedule();
        };
        signal.addEventListener('abort', waiter.onAbort, { once: true });
      }
      this.queue.push(waiter);
      this.schedule();
    });
  }

  private permit(probe: boolean): BreakerPermit {
    if (probe) {
      this.probeInFlight = true;
      this.counters.probes += 1;
    }
    return new Permit(probe, () => this.current === 'closed', (outcome, reason) => this.settle(probe, outcome, reason));
  }

  private settle(probe: boolean, outcome: 'success' | 'failure' | 'neutral', reason?: string): void {
    if (outcome === 'failure' && (probe || this.current === 'closed')) {
      this.lastFailure = reason ?? 'failure';
      this.consecutiveFailures += 1;
    }
    if (probe) {
      this.probeDone(outcome);
    } else if (this.current === 'closed') {
      // Outcomes of attempts sent before the circuit opened say nothing new once it is open.
      if (outcome === 'success') this.consecutiveFailures = 0;
      if (outcome === 'failure' && this.consecutiveFailures >= this.settings.failureThreshold) {
        this.open(this.coolDownAfter(0));
      }
    }
  }

  private probeDone(outcome: 'success' | 'failure' | 'neutral'): void {
    this.probeInFlight = false;
    if (outcome === 'success') {
      this.consecutiveFailures = 0;
      this.openSince = null;
      this.nextProbeAt = null;
      this.transition('closed');
      this.coolDown = this.settings.coolDownMs;
    } else if (outcome === 'failure') {
      this.counters.reopened += 1;
      this.failedProbes += 1;
      this.open(this.coolDownAfter(this.failedProbes));
    }
    this.schedule();
  }

  /** The cool-down after `failedProbes` failed probes: doubling from `coolDownMs` up to `maxCoolDownMs`, without jitter (one probe per token). */
  private coolDownAfter(failedProbes: number): number {
    const { coolDownMs, maxCoolDownMs } = this.settings;
    return backoffDelay(failedProbes + 1, { baseMs: coolDownMs, maxMs: maxCoolDownMs, jitter: 'none' });
  }

  private open(coolDownMs: number): void {
    const now = this.now();
    if (this.current === 'closed') {
      this.counters.opened += 1;
      this.openSince = now;
      this.failedProbes = 0;
    }
    this.coolDown = coolDownMs;
    this.nextProbeAt = now + coolDownMs;
    this.transition('open');
  }

  private transition(to: CircuitState): void {
    const from = this.current;
    if (from === to) return;
    this.current = to;
    const change: CircuitStateChange = {
      from,
      to,
      at: this.now(),
      consecutiveFailures: this.consecutiveFailures,
      coolDownMs: this.coolDown,
      nextProbeAt: to === 'open' ? this.nextProbeAt : null,
      lastFailure: this.lastFailure,
    };
    for (const listener of [...this.listeners]) {
      try {
        listener(change);
      } catch {
        // a listener's bug must not break the requests
      }
    }
  }

  /** Lazy open → half-open once the cool-down has elapsed. */
  private tick(): void {
    if (this.current === 'open' && this.nextProbeAt !== null && this.now() >= this.nextProbeAt) {
      this.transition('half_open');
    }
  }

  private remove(waiter: Waiter): void {
    const index = this.queue.indexOf(waiter);
    if (index >= 0) this.queue.splice(index, 1);
    if (waiter.signal && waiter.onAbort) waiter.signal.removeEventListener('abort', waiter.onAbort);
  }

  /** Hands out what can be handed out, expires overdue waiters, and sets a timer for the rest. */
  private schedule(): void {
    this.tick();
    if (this.current === 'closed') {
      for (const waiter of this.queue.splice(0)) {
        if (waiter.signal && waiter.onAbort) waiter.signal.removeEventListener('abort', waiter.onAbort);
        waiter.resolve(this.permit(false));
      }
      return;
    }
    const next = this.queue[0];
    if (this.current === 'half_open' && !this.probeInFlight && next) {
      this.remove(next);
      next.resolve(this.permit(true));
    }
    const now = this.now();
    for (const waiter of [...this.queue]) {
      if (waiter.deadline <= now) {
        this.remove(waiter);
        this.counters.gaveUp += 1;
        waiter.reject(this.gaveUpError());
      }
    }
    if (this.queue.length === 0) return;

    let wakeAt = Math.min(now + MAX_NAP_MS, ...this.queue.map((w) => w.deadline));
    if (this.current === 'open' && this.nextProbeAt !== null) wakeAt = Math.min(wakeAt, this.nextProbeAt);
    if (this.timerAt !== null && this.timerAt <= wakeAt) return;
    this.timerAt = wakeAt;
    void this.sleep(Math.max(0, wakeAt - now)).then(() => {
      if (this.timerAt === wakeAt) this.timerAt = null;
      this.schedule();
    });
  }

  private gaveUpError(): NotionGatewayError {
    const last = this.lastFailure ? `; last: ${this.lastFailure}` : '';
    return new NotionGatewayError({
      kind: 'unavailable',
      code: 'circuit_open',
      userMessage:
        `The Notion API kept failing (${this.consecutiveFailures} failed attempts in a row${last}), so requests ` +
        `were held back; gave up after waiting ${describeDuration(this.settings.maxWaitMs)} for it to recover. Try again later.`,
    });
  }
}

class Permit implements BreakerPermit {
  private settled = false;

  constructor(
    readonly probe: boolean,
    private readonly isClosed: () => boolean,
    private readonly onSettle: (outcome: 'success' | 'failure' | 'neutral', reason?: string) => void,
  ) {}

  get usable(): boolean {
    return !this.settled && (this.probe || this.isClosed());
  }

  success(): void {
    this.finish('success');
  }

  failure(reason: string): void {
    this.finish('failure', reason);
  }

  release(): void {
    this.finish('neutral');
  }

  private finish(outcome: 'success' | 'failure' | 'neutral', reason?: string): void {
    if (this.settled) return;
    this.settled = true;
    this.onSettle(outcome, reason);
  }
}

const REGISTRY_KEY = Symbol.for('notion-sync.notion.circuit-breakers');

type BreakerRegistry = Map<string, CircuitBreaker>;

function registry(): BreakerRegistry {
  const holder = globalThis as typeof globalThis & { [REGISTRY_KEY]?: BreakerRegistry };
  holder[REGISTRY_KEY] ??= new Map();
  return holder[REGISTRY_KEY];
}

/**
 * One breaker per integration token for the whole process, on `globalThis` like the rate
 * limiters and keyed by a sha256 of the token. Settings given for an existing breaker replace its own.
 */
export function getSharedBreaker(token: string, settings?: CircuitBreakerSettings): CircuitBreaker {
  const key = createHash('sha256').update(token).digest('hex');
  const breakers = registry();
  const existing = breakers.get(key);
  if (existing) {
    if (settings) existing.configure(settings);
    return existing;
  }
  const breaker = new CircuitBreaker(settings);
  breakers.set(key, breaker);
  return breaker;
}
