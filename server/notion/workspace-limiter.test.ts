import { afterEach, describe, expect, it } from 'vitest';
import { RateLimiter } from './rate-limiter';
import { rateLimitReasonOf } from './retrying-fetch';
import {
  getWorkspaceLimiter,
  resetWorkspaceLimiters,
  setWorkspaceBudget,
  TokenAndWorkspaceLimiter,
  UNCONFIGURED_WORKSPACE_RATE,
  WORKSPACE_LIMIT_REASON,
  workspaceBudget,
  workspaceKey,
} from './workspace-limiter';

afterEach(() => resetWorkspaceLimiters());

/** Limiters on one hand-moved clock whose naps never end by themselves: a pending turn stays pending. */
function limiters() {
  const t = 1_000_000;
  const make = (requestsPerSecond: number, burst?: number) =>
    new RateLimiter({ requestsPerSecond, burst, now: () => t, sleep: () => new Promise<void>(() => {}) });
  return { make };
}

/** Whether `promise` settled by the time the microtasks queued so far have run. */
async function settled(promise: Promise<unknown>): Promise<boolean> {
  let done = false;
  void promise.then(
    () => (done = true),
    () => (done = true),
  );
  for (let i = 0; i < 10; i++) await Promise.resolve();
  return done;
}

describe('workspace limiter', () => {
  it('a workspace-level 429 holds every token of that workspace, and no token of another', async () => {
    const { make } = limiters();
    const team = make(UNCONFIGURED_WORKSPACE_RATE, 1);
    const elsewhere = make(UNCONFIGURED_WORKSPACE_RATE, 1);
    const a = new TokenAndWorkspaceLimiter(make(3), team);
    const b = new TokenAndWorkspaceLimiter(make(3), team);
    const c = new TokenAndWorkspaceLimiter(make(3), elsewhere);
    await a.acquire();
    a.rateLimited(60_000, WORKSPACE_LIMIT_REASON);
    expect(await settled(b.acquire())).toBe(false);
    expect(await settled(c.acquire())).toBe(true);
    expect(team.stats()).toMatchObject({ rateLimited: 1, pauses: 1 });
    expect(a.token.stats().rateLimited).toBe(0);
    expect(elsewhere.stats().rateLimited).toBe(0);
  });

  it('a connection-level 429 holds that token only', async () => {
    const { make } = limiters();
    const team = make(UNCONFIGURED_WORKSPACE_RATE, 1);
    const a = new TokenAndWorkspaceLimiter(make(3), team);
    const b = new TokenAndWorkspaceLimiter(make(3), team);
    a.rateLimited(30_000, 'connection_limit');
    expect(await settled(a.acquire())).toBe(false);
    expect(await settled(b.acquire())).toBe(true);
    expect(a.token.stats().rateLimited).toBe(1);
    expect(team.stats().rateLimited).toBe(0);
    // No reason at all (a 529, or Notion saying nothing): the token's own budget.
    b.rateLimited(1_000);
    expect(b.token.stats().rateLimited).toBe(1);
  });

  it('keys a workspace by its API address and name, never showing the name', () => {
    expect(workspaceKey('https://api.notion.com', null)).toBeUndefined();
    expect(workspaceKey('https://api.notion.com', '')).toBeUndefined();
    const key = workspaceKey('https://api.notion.com/', 'Acme');
    expect(key).toBe(workspaceKey('https://api.notion.com', 'Acme'));
    expect(key).not.toBe(workspaceKey('http://127.0.0.1:4010', 'Acme'));
    expect(key).not.toContain('Acme');
  });

  it('one limiter per workspace in the process, following the configured budget', () => {
    const one = getWorkspaceLimiter('w1');
    expect(getWorkspaceLimiter('w1')).toBe(one);
    expect(getWorkspaceLimiter('w2')).not.toBe(one);
    expect(one.requestsPerSecond).toBe(UNCONFIGURED_WORKSPACE_RATE);
    setWorkspaceBudget(5);
    expect(workspaceBudget()).toBe(5);
    expect(one.requestsPerSecond).toBe(5);
    expect(getWorkspaceLimiter('w3').requestsPerSecond).toBe(5);
    setWorkspaceBudget(null);
    expect(one.requestsPerSecond).toBe(UNCONFIGURED_WORKSPACE_RATE);
  });

  it('reads which window ran out from a 429 body', () => {
    expect(rateLimitReasonOf(JSON.stringify({ code: 'rate_limited', additional_data: { rate_limit_reason: 'workspace_limit' } }))).toBe(
      'workspace_limit',
    );
    expect(rateLimitReasonOf(JSON.stringify({ code: 'rate_limited' }))).toBeUndefined();
    expect(rateLimitReasonOf(JSON.stringify({ additional_data: { rate_limit_reason: 'Not <a> reason' } }))).toBeUndefined();
    expect(rateLimitReasonOf('<html>')).toBeUndefined();
    expect(rateLimitReasonOf(undefined)).toBeUndefined();
    expect(rateLimitReasonOf('null')).toBeUndefined();
  });
});
