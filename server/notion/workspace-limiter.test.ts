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
  workspaceRates,
  setWorkspaceSharing,
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

  it('keys a workspace by its API address and id (its name while the id is not known), showing neither', () => {
    expect(workspaceKey('https://api.notion.com', {})).toBeUndefined();
    expect(workspaceKey('https://api.notion.com', { workspaceId: null, workspaceName: '' })).toBeUndefined();
    const byName = workspaceKey('https://api.notion.com/', { workspaceName: 'Acme' });
    expect(byName).toBe(workspaceKey('https://api.notion.com', { workspaceId: null, workspaceName: 'Acme' }));
    expect(byName).not.toBe(workspaceKey('http://127.0.0.1:4010', { workspaceName: 'Acme' }));
    expect(byName).not.toContain('Acme');
    // The id wins over the name: two workspaces of one name are two, one renamed stays one.
    const byId = workspaceKey('https://api.notion.com', { workspaceId: 'w-1', workspaceName: 'Acme' });
    expect(byId).toBe(workspaceKey('https://api.notion.com', { workspaceId: 'w-1', workspaceName: 'Acme Inc' }));
    expect(byId).not.toBe(workspaceKey('https://api.notion.com', { workspaceId: 'w-2', workspaceName: 'Acme' }));
    expect(byId).not.toBe(byName);
    // An id that reads like a name is not mistaken for it.
    expect(workspaceKey('https://api.notion.com', { workspaceId: 'Acme' })).not.toBe(byName);
  });

  it('divides a workspace budget between the runners that share it, per workspace', () => {
    setWorkspaceBudget(6);
    const team = getWorkspaceLimiter('team');
    const other = getWorkspaceLimiter('other');
    expect(workspaceRates('team')).toEqual({ budgetPerSecond: 6, sharedBy: 1, sharePerSecond: 6, pacedPerSecond: 6 });
    setWorkspaceSharing(new Map([['team', 3], ['other', 1]]));
    expect(team.requestsPerSecond).toBe(2);
    expect(other.requestsPerSecond).toBe(6);
    // A limiter made while shared starts at the share; the budget changing keeps the division.
    setWorkspaceSharing(new Map([['team', 3], ['late', 2]]));
    expect(getWorkspaceLimiter('late').requestsPerSecond).toBe(3);
    setWorkspaceBudget(9);
    expect(team.requestsPerSecond).toBe(3);
    expect(workspaceRates('team')).toEqual({ budgetPerSecond: 9, sharedBy: 3, sharePerSecond: 3, pacedPerSecond: 3 });
    // The others left: the whole budget again.
    setWorkspaceSharing(new Map());
    expect(team.requestsPerSecond).toBe(9);
    expect(getWorkspaceLimiter('late').requestsPerSecond).toBe(9);
  });

  it('shows no workspace rates without a budget until a rate is learned', () => {
    expect(workspaceRates('unknown')).toEqual({ budgetPerSecond: null, sharedBy: 1, sharePerSecond: null, pacedPerSecond: null });
    const limiter = getWorkspaceLimiter('team');
    expect(workspaceRates('team').pacedPerSecond).toBeNull();
    limiter.rateLimited(30_000);
    expect(workspaceRates('team').pacedPerSecond).toBeLessThan(UNCONFIGURED_WORKSPACE_RATE);
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
