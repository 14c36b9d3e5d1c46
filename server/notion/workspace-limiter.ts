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

/**
 * What identifies a workspace today: the API's address and the workspace's name as `users/me`
 * gave it when the connection was checked. Two workspaces of one name would share one limiter:
 * slower than need be, never over a budget. Undefined (no workspace limiter) when the name is unknown.
 */
export function workspaceKey(baseUrl: string, workspaceName: string | null | undefined): string | undefined {
  if (!workspaceName) return undefined;
  return createHash('sha256').update(`${baseUrl.replace(/\/+$/, '')}\n${workspaceName}`).digest('hex');
}

const REGISTRY_KEY = Symbol.for('notion-sync.notion.workspace-limiters');

interface WorkspaceRegistry {
  /** The configured workspace budget (null: none; learned from 429s only). */
  requestsPerSecond: number | null;
  limiters: Map<string, RateLimiter>;
}

function registry(): WorkspaceRegistry {
  const holder = globalThis as typeof globalThis & { [REGISTRY_KEY]?: WorkspaceRegistry };
  holder[REGISTRY_KEY] ??= { requestsPerSecond: null, limiters: new Map() };
  return holder[REGISTRY_KEY];
}

const rateOf = (requestsPerSecond: number | null) => requestsPerSecond ?? UNCONFIGURED_WORKSPACE_RATE;

/** One limiter per workspace for the whole process (on `globalThis`, like the tokens' limiters). */
export function getWorkspaceLimiter(key: string): RateLimiter {
  const reg = registry();
  let limiter = reg.limiters.get(key);
  if (!limiter) {
    limiter = new RateLimiter({ requestsPerSecond: rateOf(reg.requestsPerSecond), burst: 1 });
    reg.limiters.set(key, limiter);
  }
  return limiter;
}

/** Sets the budget every workspace gets (the runner follows the setting); a rate learned lower stays in force. */
export function setWorkspaceBudget(requestsPerSecond: number | null): void {
  const reg = registry();
  if (reg.requestsPerSecond === requestsPerSecond) return;
  reg.requestsPerSecond = requestsPerSecond;
  for (const limiter of reg.limiters.values()) limiter.setRate(rateOf(requestsPerSecond));
}

/** The workspace budget configured in this process (null: none). */
export function workspaceBudget(): number | null {
  return registry().requestsPerSecond;
}

/** Forgets every workspace limiter and the configured budget (tests that start afresh). */
export function resetWorkspaceLimiters(): void {
  const reg = registry();
  reg.limiters.clear();
  reg.requestsPerSecond = null;
}
