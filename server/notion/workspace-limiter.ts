import { createHash } from 'node:crypto';
import { RateLimiter } from './rate-limiter';

/**
 * Notion limits requests twice: per connection (each integration token has its own budget) and
 * per workspace (one budget shared by every integration into it). Each token keeps its own
 * adaptive limiter (`getSharedLimiter`); every token into one workspace also passes that
 * workspace's limiter, so two tokens of one workspace never sum past what it allows, and a
 * workspace-level 429 (`rate_limit_reason: workspace_limit`) pauses and slows every token of that
 * workspace while the tokens of other workspaces go on at their own pace.
 */

/** What `retrying-fetch` needs of a limiter: a turn, and the news of a 429/529 with its reason. */
export interface RequestLimiter {
  acquire(signal?: AbortSignal): Promise<void>;
  /** `reason`: Notion's `additional_data.rate_limit_reason` (`workspace_limit`, `connection_limit`), when the answer had one. */
  rateLimited(retryAfterMs: number, reason?: string): void;
}

/** The reason a workspace-level 429 carries. */
export const WORKSPACE_LIMIT_REASON = 'workspace_limit';

/**
 * The workspace's pace while nobody configured its budget: far above any token's, so that it
 * holds nobody back until Notion says the workspace's budget ran out; from that answer on, it
 * paces at what the workspace accepted (see `RateLimiter.rateLimited`).
 */
export const UNCONFIGURED_WORKSPACE_RATE = 1000;

/**
 * A token's turn, then its workspace's. The workspace's bucket holds one request (burst 1): its
 * budget is a window shared by several tokens, and a burst of each would add up past it.
 */
export class TokenAndWorkspaceLimiter implements RequestLimiter {
  constructor(
    readonly token: RateLimiter,
    readonly workspace: RateLimiter,
  ) {}

  async acquire(signal?: AbortSignal): Promise<void> {
    await this.token.acquire(signal);
    await this.workspace.acquire(signal);
  }

  rateLimited(retryAfterMs: number, reason?: string): void {
    if (reason === WORKSPACE_LIMIT_REASON) this.workspace.rateLimited(retryAfterMs);
    else this.token.rateLimited(retryAfterMs);
  }
}

/** What `users/me` told of a connection's workspace (`bot.workspace_id`, `bot.workspace_name`). */
export interface WorkspaceIdentity {
  workspaceId?: string | null;
  workspaceName?: string | null;
}

/**
 * What identifies a workspace: the API's address and the workspace's id from `users/me`, or, for
 * a connection not checked since ids were stored, its name (two workspaces of one name would then
 * share one limiter: slower than need be, never over a budget). A hash, so that neither shows.
 * Undefined (no workspace limiter) when neither is known.
 */
export function workspaceKey(baseUrl: string, workspace: WorkspaceIdentity): string | undefined {
  const which = workspace.workspaceId ? `id\n${workspace.workspaceId}` : workspace.workspaceName ? `name\n${workspace.workspaceName}` : undefined;
  if (!which) return undefined;
  return createHash('sha256').update(`${baseUrl.replace(/\/+$/, '')}\n${which}`).digest('hex');
}

const REGISTRY_KEY = Symbol.for('notion-sync.notion.workspace-limiters');

interface WorkspaceRegistry {
  /** The configured workspace budget (null: none; learned from 429s only). */
  requestsPerSecond: number | null;
  /** Per workspace: how many runners (processes) share its budget now (absent: this one alone). */
  sharedBy: Map<string, number>;
  limiters: Map<string, RateLimiter>;
}

function registry(): WorkspaceRegistry {
  const holder = globalThis as typeof globalThis & { [REGISTRY_KEY]?: WorkspaceRegistry };
  holder[REGISTRY_KEY] ??= { requestsPerSecond: null, sharedBy: new Map(), limiters: new Map() };
  holder[REGISTRY_KEY].sharedBy ??= new Map();
  return holder[REGISTRY_KEY];
}

/** This process's share of a workspace's budget: the budget divided by the runners that use it. */
function rateOf(reg: WorkspaceRegistry, key: string): number {
  if (reg.requestsPerSecond === null) return UNCONFIGURED_WORKSPACE_RATE;
  return reg.requestsPerSecond / Math.max(1, reg.sharedBy.get(key) ?? 1);
}

/** One limiter per workspace for the whole process (on `globalThis`, like the tokens' limiters). */
export function getWorkspaceLimiter(key: string): RateLimiter {
  const reg = registry();
  let limiter = reg.limiters.get(key);
  if (!limiter) {
    limiter = new RateLimiter({ requestsPerSecond: rateOf(reg, key), burst: 1 });
    reg.limiters.set(key, limiter);
  }
  return limiter;
}

/** Sets the budget every workspace gets (the runner follows the setting); a rate learned lower stays in force. */
export function setWorkspaceBudget(requestsPerSecond: number | null): void {
  const reg = registry();
  if (reg.requestsPerSecond === requestsPerSecond) return;
  reg.requestsPerSecond = requestsPerSecond;
  for (const [key, limiter] of reg.limiters) limiter.setRate(rateOf(reg, key));
}

/**
 * How many runners (each process has one) hold live leases on exports into each workspace: each
 * process paces its share, the budget divided by them, so that two workers (or the dashboard and
 * a worker) exporting connections of one workspace never sum past its budget. A workspace not
 * named is used by this process alone. The runner reads the leases every few seconds.
 */
export function setWorkspaceSharing(runnersByWorkspace: ReadonlyMap<string, number>): void {
  const reg = registry();
  const changed = new Set([...reg.sharedBy.keys(), ...runnersByWorkspace.keys()]);
  reg.sharedBy = new Map([...runnersByWorkspace].filter(([, runners]) => runners > 1));
  for (const key of changed) reg.limiters.get(key)?.setRate(rateOf(reg, key));
}

/** What the System view shows of a workspace in this process. */
export interface WorkspaceRates {
  /** The configured workspace budget, for every process together (null: none; learned from 429s only). */
  budgetPerSecond: number | null;
  /** The runners that share it now (1: this process alone). */
  sharedBy: number;
  /** This process's share of the budget (null without a budget). */
  sharePerSecond: number | null;
  /** The rate this process's limiter of the workspace paces at (null: no budget and nothing learned). */
  pacedPerSecond: number | null;
}

export function workspaceRates(key: string): WorkspaceRates {
  const reg = registry();
  const sharedBy = Math.max(1, reg.sharedBy.get(key) ?? 1);
  const share = reg.requestsPerSecond === null ? null : reg.requestsPerSecond / sharedBy;
  const paced = reg.limiters.get(key)?.learned().effective;
  return {
    budgetPerSecond: reg.requestsPerSecond,
    sharedBy,
    sharePerSecond: share,
    pacedPerSecond: paced === undefined || (share === null && paced >= UNCONFIGURED_WORKSPACE_RATE) ? null : paced,
  };
}

/** The workspace budget configured in this process (null: none). */
export function workspaceBudget(): number | null {
  return registry().requestsPerSecond;
}

/** Forgets every workspace limiter and the configured budget (tests that start afresh). */
export function resetWorkspaceLimiters(): void {
  const reg = registry();
  reg.limiters.clear();
  reg.sharedBy.clear();
  reg.requestsPerSecond = null;
}
