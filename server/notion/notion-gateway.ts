import { Client, DEFAULT_BASE_URL, LogLevel } from '@notionhq/client';
import { notionRequestMetrics } from '@/server/observability/notion-metrics';
import { type CircuitBreaker, type CircuitBreakerSettings, getSharedBreaker } from './circuit-breaker';
import { toGatewayError } from './errors';
import { getSharedLimiter, type RateLimiter } from './rate-limiter';
import { createRetryingFetch, type FetchLike, type RetryEvent } from './retrying-fetch';
import { getWorkspaceLimiter, TokenAndWorkspaceLimiter, WORKSPACE_LIMIT_REASON, workspaceRates } from './workspace-limiter';

export interface NotionGatewayOptions {
  token: string;
  /** e.g. the twin's `http://127.0.0.1:4010`; undefined = the real API. */
  baseUrl?: string;
  /** Used when the token has no limiter yet, or to change the shared one. Default 3. */
  requestsPerSecond?: number;
  /** The window of Notion's budget the token's limiter learns from, when it has none yet. Default 60 s. */
  rateWindowMs?: number;
  maxAttempts?: number;
  /** Per HTTP attempt (headers and body). Default 60 s. */
  timeoutMs?: number;
  baseDelayMs?: number;
  maxDelayMs?: number;
  fetch?: FetchLike;
  /** Overrides the process-wide limiter for the token (tests). */
  limiter?: RateLimiter;
  /**
   * The workspace the token belongs to (`workspaceKey`, by its id): every token of it shares one workspace
   * limiter in this process. Undefined: the token's own limiter only.
   */
  workspace?: string;
  /** Overrides the process-wide limiter of the workspace (tests). */
  workspaceLimiter?: RateLimiter;
  /** Settings for the token's shared circuit breaker (they replace the breaker's current ones). */
  circuitBreaker?: CircuitBreakerSettings;
  /** Overrides the process-wide circuit breaker for the token (tests). */
  breaker?: CircuitBreaker;
  /**
   * Aborts every wait (breaker, limiter, backoff) and attempt of this gateway's requests, e.g.
   * when the export is cancelled. The Notion SDK does not pass a signal of its own.
   */
  signal?: AbortSignal;
  onEvent?: (event: RetryEvent) => void;
  /** The connection the token belongs to: labels the request metrics (none while a token is being checked). */
  connectionId?: string;
  /** Injectable for tests: backoff sleeps, clock and jitter of the retry loop. */
  sleep?: (ms: number) => Promise<void>;
  now?: () => number;
  random?: () => number;
}

export interface NotionGatewayStats {
  /** HTTP attempts sent. */
  requests: number;
  /** 429/529 answers received. */
  rateLimited: number;
  /** Of them, the answers that said the workspace's shared budget ran out. */
  workspaceRateLimited: number;
  /** Retries after 5xx, network errors or timeouts. */
  retries: number;
  /** Time spent waiting for the circuit breaker and the limiter, plus backoff sleeps. */
  waitedMs: number;
}

export interface NotionGateway {
  client: Client;
  limiter: RateLimiter;
  /** The limiter shared by every token of the token's workspace (undefined: its workspace is not known). */
  workspaceLimiter?: RateLimiter;
  /** The token's circuit breaker (shared by every gateway of the token in this process). */
  breaker: CircuitBreaker;
  /** The API origin requests go to, e.g. `https://api.notion.com`. */
  baseUrl: string;
  stats(): NotionGatewayStats;
}

export interface ConnectionInfo {
  botId: string;
  botName: string | null;
  workspaceName: string | null;
  /** The workspace's id (`bot.workspace_id`): tokens into one workspace share its request limit. */
  workspaceId: string | null;
}

/** The SDK's own timeout wraps our whole retry loop, so it is set to the largest timer value. */
const SDK_TIMEOUT_MS = 2_147_483_647;

const silentLogger = () => {};

/**
 * The Notion SDK client wired to the shared per-token circuit breaker and rate limiter and our
 * retrying fetch. The SDK's retry is off so that every HTTP attempt passes through the breaker,
 * the limiter and the counters.
 */
export function createNotionGateway(options: NotionGatewayOptions): NotionGateway {
  const baseUrl = (options.baseUrl ?? DEFAULT_BASE_URL).replace(/\/+$/, '');
  const limiter = options.limiter ?? getSharedLimiter(options.token, options.requestsPerSecond ?? 3, options.rateWindowMs);
  const breaker = options.breaker ?? getSharedBreaker(options.token, options.circuitBreaker);
  const workspaceLimiter = options.workspaceLimiter ?? (options.workspace ? getWorkspaceLimiter(options.workspace) : undefined);
  const counters: NotionGatewayStats = { requests: 0, rateLimited: 0, workspaceRateLimited: 0, retries: 0, waitedMs: 0 };
  // The System view shows the workspace's limit as this process applies it (the process-wide limiter's).
  const watchedWorkspace = options.workspace && !options.workspaceLimiter ? { key: options.workspace, rates: () => workspaceRates(options.workspace as string) } : undefined;
  const metrics = notionRequestMetrics(options.connectionId, { limiter, breaker, ...(watchedWorkspace ? { workspace: watchedWorkspace } : {}) });

  const fetch = createRetryingFetch({
    limiter: workspaceLimiter ? new TokenAndWorkspaceLimiter(limiter, workspaceLimiter) : limiter,
    breaker,
    signal: options.signal,
    sleep: options.sleep,
    now: options.now,
    random: options.random,
    maxAttempts: options.maxAttempts,
    timeoutMs: options.timeoutMs,
    baseDelayMs: options.baseDelayMs,
    maxDelayMs: options.maxDelayMs,
    fetch: options.fetch,
    onAttempt: (attempt) => metrics.attempt(attempt),
    onEvent: (event) => {
      if (event.type === 'request') {
        counters.requests += 1;
        counters.waitedMs += event.waitMs ?? 0;
        metrics.waited(event.waitMs ?? 0);
      } else if (event.type === 'rate_limited') {
        counters.rateLimited += 1;
        if (event.reason === WORKSPACE_LIMIT_REASON) counters.workspaceRateLimited += 1;
      } else {
        counters.retries += 1;
        counters.waitedMs += event.waitMs ?? 0;
      }
      options.onEvent?.(event);
    },
  });

  const client = new Client({
    auth: options.token,
    baseUrl: options.baseUrl === undefined ? undefined : baseUrl,
    retry: false,
    fetch,
    timeoutMs: SDK_TIMEOUT_MS,
    logLevel: LogLevel.ERROR,
    logger: silentLogger,
  });

  return { client, limiter, workspaceLimiter, breaker, baseUrl, stats: () => ({ ...counters }) };
}

/** Checks the token with `users.me`; throws a NotionGatewayError with a clear message on failure. */
export async function checkConnection(gateway: NotionGateway): Promise<ConnectionInfo> {
  try {
    const me = await gateway.client.users.me({});
    const bot = me.type === 'bot' && 'workspace_name' in me.bot ? me.bot : undefined;
    return { botId: me.id, botName: me.name ?? null, workspaceName: bot?.workspace_name ?? null, workspaceId: bot?.workspace_id ?? null };
  } catch (err) {
    throw toGatewayError(err, { baseUrl: gateway.baseUrl });
  }
}
