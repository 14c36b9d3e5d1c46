/**
 * The Notion twin's HTTP server (plain node:http): auth, per-token and workspace rate limiting,
 * Notion-Version check, optional latency and fault injection, request counters, hosted files and a
 * control API under `/__twin/` (control.ts).
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { handleControl } from './control';
import { serveExternal, withServedExternalUrls } from './external';
import { type ChaosOptions, type FaultOptions, FaultInjector, faultReply, type TwinFault } from './faults';
import { customEmojiImage, s3Error, serveFile } from './files';
import { type LinkedDatabaseError, matchRoute } from './handlers';
import { isRecord, readBody, send } from './http';
import { compactId, dashedId } from './ids';
import { type RateLimit, type Refusal, TwinRateLimits, type WindowLimit } from './rate-limiter';
import type { RenderContext } from './render-context';
import { apiError, type Reply } from './replies';
import { TwinCounters, type TwinRequest, type TwinStats } from './stats';
import { withoutUserInformation } from './users';
import { Workspace, type WorkspaceOptions } from './workspace';

export type { ChaosOptions, FaultOptions, NotionErrorCode, TwinFault } from './faults';
export type { RateLimit, RateLimitReason, TokenBucketLimit, WindowLimit } from './rate-limiter';
export type { TwinRequest, TwinStats } from './stats';

type RouteMatch = ReturnType<typeof matchRoute>;

export const DEFAULT_TOKEN = 'secret_twin';
export const NOTION_VERSION = '2025-09-03';
/** Versions accepted in `Notion-Version`; answers always have the 2025-09-03 shapes. */
const ACCEPTED_VERSIONS = new Set(['2025-09-03', '2026-03-11']);

export interface TwinOptions {
  /** 0 (default) picks a free port. */
  port?: number;
  /** Default 127.0.0.1. */
  host?: string;
  /** Options for the generated workspace, or a workspace built beforehand. */
  workspace?: WorkspaceOptions | Workspace;
  /** Valid integration tokens. Default `['secret_twin']`. */
  tokens?: string[];
  /**
   * Valid tokens of an integration without the "read user information" capability: `users.list` and
   * `users.retrieve` answer them 403 `restricted_resource`, and user objects in other answers are
   * bare `{ object: 'user', id }`, as in Notion (`users.me` still works).
   */
  tokensWithoutUserInformation?: string[];
  /**
   * Serves the workspace's external file URLs itself (see external.ts): answers show them as
   * `<twin>/external/<host>/<path>` — files, a web page, an oversized file. Default false (the
   * URLs stay on hosts nobody answers).
   */
  serveExternalFiles?: boolean;
  /**
   * Per-token (per-connection) limit: a token bucket `{ requestsPerSecond, burst? }` or a fixed window
   * `{ windowMs, budget }`; 429 reason `connection_limit`. null (default) = unlimited.
   */
  rateLimit?: RateLimit | null;
  /** One fixed window shared by all tokens, like Notion's per-workspace limit; 429 reason `workspace_limit`. Default none. */
  workspaceRateLimit?: WindowLimit | null;
  /** Milliseconds clock the rate limits read (default `Date.now`), so tests can move time by hand. */
  rateLimitClock?: () => number;
  /** Milliseconds clock workspace changes read when given no `atMs` (default `Date.now`; sets `workspace.clock`). */
  clock?: () => number;
  /**
   * Whether search and data source queries keep returning trashed items, flagged, as Notion's lagging
   * index does (default true; sets `workspace.trashInResults`, which `POST /__twin/trash-in-results` changes).
   */
  trashInResults?: boolean;
  /** Uniform random delay [min, max] ms before every API answer. Default none. */
  latencyMs?: [number, number] | null;
  /**
   * Lifetime of Notion-hosted file URLs (whole seconds in the URL, at least 1 s). Default 1 hour, like
   * Notion. To expire URLs without waiting, see `Twin.advanceFileClock`.
   */
  fileUrlTtlMs?: number;
  /** Milliseconds clock that signs and checks hosted file URLs (default `Date.now`), so tests can hold time still. */
  fileClock?: () => number;
  /**
   * The first N downloads of each hosted file answer 403 AccessDenied "Request has expired" even
   * though their URL is still valid: the URL a page read gave went stale before the download,
   * so an exporter must re-read the block or page for a fresh URL. Default 0.
   */
  staleFileUrls?: number;
  /** How `databases.retrieve` refuses a linked database view. Default `'no_data_sources'` (400 validation_error). */
  linkedDatabaseError?: LinkedDatabaseError;
  /** Rows one data source query may return in total before `query_result_limit_reached`. Default 10,000. */
  queryResultLimit?: number;
  /** Random faults: each API request fails with `probability`, with a fault picked from `faults` (seeded). */
  chaos?: ChaosOptions | null;
  /** Keeps a log of every API request (method, path, Notion-Version, body, status) for `Twin.requests()`. Default false. */
  recordRequests?: boolean;
}

export interface Twin {
  /** Base URL for `new Client({ baseUrl })`, e.g. `http://127.0.0.1:4100`. */
  url: string;
  port: number;
  workspace: Workspace;
  tokens: readonly string[];
  stats(): TwinStats;
  /** API requests since the start or the last `resetStats()`, in arrival order; empty unless `recordRequests`. */
  requests(): TwinRequest[];
  /** Starts the counters (and the request log) afresh. */
  resetStats(): void;
  /** Replaces the per-token limit (its counters start afresh); null removes it. */
  setRateLimit(limit: RateLimit | null): void;
  /** Replaces the workspace-wide limit (its counter starts afresh); null removes it. */
  setWorkspaceRateLimit(limit: WindowLimit | null): void;
  setLatency(range: [number, number] | null): void;
  /** Queues a fault for the next matching request(s). */
  injectFault(fault: TwinFault, opts?: FaultOptions): void;
  /**
   * Moves the clock that signs and checks hosted file URLs forward by `ms` (cumulative): URLs issued
   * before expire once the offset passes their lifetime, and URLs issued afterwards are fresh.
   */
  advanceFileClock(ms: number): void;
  clearFaults(): void;
  close(): Promise<void>;
}

/** What a running twin lets callers change and read: the handle without its address and `close`. */
export type TwinControls = Omit<Twin, 'url' | 'port' | 'tokens' | 'close'>;

export async function startTwin(opts: TwinOptions = {}): Promise<Twin> {
  const settings = resolveSettings(opts);
  const responder = new TwinResponder(settings, opts);
  const server = createServer((req, res) => responder.handle(req, res));
  server.keepAliveTimeout = 30_000;
  const port = await listen(server, settings.port, settings.host);
  responder.baseUrl = `http://${shownHost(settings.host)}:${port}`;
  return twinHandle(responder, server, port, [...settings.tokens]);
}

// ---- settings -----------------------------------------------------------------------------------

/** The options that do not change while the twin runs, checked and with their defaults. */
interface Settings {
  ws: Workspace;
  tokens: ReadonlySet<string>;
  tokensWithoutUserInformation: ReadonlySet<string>;
  serveExternalFiles: boolean;
  port: number;
  host: string;
  fileTtlMs: number;
  fileClock: () => number;
  staleFileUrls: number;
  linkedDatabaseError: LinkedDatabaseError;
  queryResultLimit: number;
}

function resolveSettings(opts: TwinOptions): Settings {
  const fileTtlMs = opts.fileUrlTtlMs ?? 3_600_000;
  if (!(fileTtlMs >= 0)) throw new RangeError(`fileUrlTtlMs must be ≥ 0, got ${fileTtlMs}`);
  return {
    ws: opts.workspace instanceof Workspace ? opts.workspace : new Workspace(opts.workspace ?? {}),
    tokens: new Set([...(opts.tokens ?? [DEFAULT_TOKEN]), ...(opts.tokensWithoutUserInformation ?? [])]),
    tokensWithoutUserInformation: new Set(opts.tokensWithoutUserInformation ?? []),
    serveExternalFiles: opts.serveExternalFiles ?? false,
    port: opts.port ?? 0,
    host: opts.host ?? '127.0.0.1',
    fileTtlMs,
    fileClock: opts.fileClock ?? Date.now,
    staleFileUrls: opts.staleFileUrls ?? 0,
    linkedDatabaseError: opts.linkedDatabaseError ?? 'no_data_sources',
    queryResultLimit: opts.queryResultLimit ?? 10_000,
  };
}

function parseLatency(range: [number, number] | null | undefined): [number, number] | null {
  if (!range) return null;
  const [min, max] = range;
  if (!(min >= 0 && max >= min)) throw new RangeError(`latencyMs must be [min, max] with 0 ≤ min ≤ max, got [${min}, ${max}]`);
  return [min, max];
}

// ---- answering requests -------------------------------------------------------------------------

/** Timers the twin waits on (latency, delay faults); `wakeAll` ends them when the twin closes. */
class Sleeper {
  private readonly sleepers = new Set<{ timer: NodeJS.Timeout; resolve: () => void }>();

  sleep(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const entry = {
        timer: setTimeout(() => {
          this.sleepers.delete(entry);
          resolve();
        }, ms),
        resolve,
      };
      this.sleepers.add(entry);
    });
  }

  wakeAll(): void {
    for (const s of this.sleepers) {
      clearTimeout(s.timer);
      s.resolve();
    }
    this.sleepers.clear();
  }
}

/** The bearer token of a request ('' when there is none). */
function bearerToken(req: IncomingMessage): string {
  const auth = req.headers.authorization ?? '';
  return auth.startsWith('Bearer ') ? auth.slice('Bearer '.length).trim() : '';
}

function rateLimited(refusal: Refusal): Reply {
  return apiError(429, 'rate_limited', 'You have been rate limited. Please try again in a few minutes.', {
    additional_data: { rate_limit_reason: refusal.reason },
    headers: { 'Retry-After': String(refusal.retryAfterSeconds) },
  });
}

/** The request's Notion-Version if the twin serves it, else Notion's 400. */
function checkVersion(version: string | string[] | undefined): { ok: true; version: string } | { ok: false; reply: Reply } {
  if (version === undefined || version === '') {
    return { ok: false, reply: apiError(400, 'missing_version', 'Notion-Version header failed validation: Notion-Version header should be defined, instead was `undefined`.') };
  }
  if (typeof version !== 'string' || !ACCEPTED_VERSIONS.has(version)) {
    const accepted = [...ACCEPTED_VERSIONS].join(', ');
    return {
      ok: false,
      reply: apiError(400, 'validation_error', `Notion-Version header failed validation: the twin serves ${NOTION_VERSION} shapes and accepts ${accepted}, instead was \`${String(version)}\`.`),
    };
  }
  return { ok: true, version };
}

function invalidUrl(req: IncomingMessage, url: URL, methodMismatch: boolean): Reply {
  const hint = methodMismatch ? ` (twin: ${req.method} ${url.pathname} is not implemented; the twin is read-only)` : '';
  return apiError(400, 'invalid_request_url', `Invalid request URL.${hint}`);
}

/** The JSON object a POST carries (`{}` when empty), or Notion's 400. */
function jsonBody(method: string | undefined, bodyText: string): { ok: true; body: Record<string, unknown> } | { ok: false; reply: Reply } {
  if (method !== 'POST' || bodyText.trim() === '') return { ok: true, body: {} };
  let parsed: unknown;
  try {
    parsed = JSON.parse(bodyText);
  } catch {
    return { ok: false, reply: apiError(400, 'invalid_json', 'Error parsing JSON body.') };
  }
  if (!isRecord(parsed)) return { ok: false, reply: apiError(400, 'validation_error', `body failed validation: body should be an object, instead was \`${JSON.stringify(parsed)}\`.`) };
  return { ok: true, body: parsed };
}

/** The twin's state while it runs, and its answers: API requests, hosted files, static images, control. */
class TwinResponder implements TwinControls {
  /** Set once the server listens; rendered into file and emoji URLs. */
  baseUrl = '';
  readonly workspace: Workspace;
  readonly sleeper = new Sleeper();
  private readonly counters: TwinCounters;
  private readonly limits: TwinRateLimits;
  private readonly faults: FaultInjector;
  private latency: [number, number] | null;
  private fileClockOffsetMs = 0;
  private readonly staleServed = new Map<string, number>();

  constructor(
    private readonly settings: Settings,
    opts: TwinOptions,
  ) {
    this.workspace = settings.ws;
    if (opts.clock) this.workspace.clock = opts.clock;
    if (opts.trashInResults !== undefined) this.workspace.trashInResults = opts.trashInResults;
    this.counters = new TwinCounters(opts.recordRequests ?? false);
    this.limits = new TwinRateLimits(opts.rateLimit, opts.workspaceRateLimit, opts.rateLimitClock ?? Date.now);
    this.faults = new FaultInjector(opts.chaos, settings.ws.options.seed);
    this.latency = parseLatency(opts.latencyMs);
  }

  // ---- controls ----

  stats = (): TwinStats => this.counters.snapshot();
  requests = (): TwinRequest[] => this.counters.requests();
  resetStats = (): void => this.counters.reset();
  setRateLimit = (limit: RateLimit | null): void => this.limits.setPerToken(limit);
  setWorkspaceRateLimit = (limit: WindowLimit | null): void => this.limits.setWorkspace(limit);
  setLatency = (range: [number, number] | null): void => {
    this.latency = parseLatency(range);
  };
  injectFault = (fault: TwinFault, options: FaultOptions = {}): void => this.faults.inject(fault, options);
  clearFaults = (): void => this.faults.clear();
  advanceFileClock = (ms: number): void => {
    if (!(ms >= 0)) throw new RangeError(`advanceFileClock: ms must be ≥ 0, got ${ms}`);
    this.fileClockOffsetMs += ms;
  };

  // ---- requests ----

  /** Routes a request by its path prefix; a failure is answered 500 (or the connection dropped). */
  handle(req: IncomingMessage, res: ServerResponse): void {
    const url = new URL(req.url ?? '/', 'http://twin.invalid');
    let work: Promise<void>;
    if (url.pathname.startsWith('/__twin/')) work = handleControl(req, res, url, this);
    else if (url.pathname.startsWith('/files/')) work = Promise.resolve(this.handleFile(req, res, url));
    else if (url.pathname.startsWith('/static/')) work = Promise.resolve(this.handleStatic(req, res, url));
    else if (url.pathname.startsWith('/external/') && this.settings.serveExternalFiles) work = Promise.resolve(serveExternal(res, url.pathname, req.method === 'HEAD'));
    else work = this.handleApi(req, res, url);
    work.catch((err: unknown) => {
      if (!res.headersSent) send(res, apiError(500, 'internal_server_error', `twin: ${err instanceof Error ? err.message : String(err)}`));
      else res.destroy();
    });
  }

  private fileNow(): number {
    return this.settings.fileClock() + this.fileClockOffsetMs;
  }

  /** An API request: counted, answered, delayed by the latency, then sent and logged. */
  private async handleApi(req: IncomingMessage, res: ServerResponse, url: URL): Promise<void> {
    const match = matchRoute(req.method ?? 'GET', url.pathname);
    const endpoint = match.route ? match.route.name : 'unknown';
    this.counters.apiRequestStarted(endpoint);
    try {
      const bodyText = await readBody(req);
      const decided = await this.answer(req, url, match, bodyText);
      const reply = this.settings.serveExternalFiles ? withServedExternalUrls(decided, this.baseUrl) : decided;
      const latency = this.latency;
      if (latency) await this.sleeper.sleep(latency[0] + Math.random() * (latency[1] - latency[0]));
      const version = req.headers['notion-version'];
      this.counters.apiReplied(
        { method: req.method ?? 'GET', path: url.pathname + url.search, endpoint, notionVersion: typeof version === 'string' ? version : null, bodyText },
        reply,
      );
      send(res, reply);
    } finally {
      this.counters.apiRequestDone();
    }
  }

  /**
   * Decides the answer to an API request, in Notion's order: token, rate limits, Notion-Version,
   * then (after any injected fault) the route, its JSON body and its handler.
   */
  private async answer(req: IncomingMessage, url: URL, match: RouteMatch, bodyText: string): Promise<Reply> {
    const token = bearerToken(req);
    if (!this.settings.tokens.has(token)) return apiError(401, 'unauthorized', 'API token is invalid.');
    const refusal = this.limits.admit(token);
    if (refusal) return rateLimited(refusal);
    const version = checkVersion(req.headers['notion-version']);
    if (!version.ok) return version.reply;
    const fault = await this.injectedFault(match.route ? match.route.name : 'unknown');
    if (fault) return fault;
    if (match.route === null) return invalidUrl(req, url, match.methodMismatch);
    const body = jsonBody(req.method, bodyText);
    if (!body.ok) return body.reply;
    const readsUsers = !this.settings.tokensWithoutUserInformation.has(token);
    if ((match.route.name === 'users.list' || match.route.name === 'users.retrieve') && !readsUsers) {
      return apiError(403, 'restricted_resource', 'Insufficient permissions for this endpoint.');
    }
    this.countObject(match.route.name, match.params[0] ?? url.searchParams.get('block_id'));
    const ctx: RenderContext = { ws: this.workspace, baseUrl: this.baseUrl, nowMs: this.fileNow(), fileTtlMs: this.settings.fileTtlMs, notionVersion: version.version };
    const { queryResultLimit, linkedDatabaseError } = this.settings;
    const reply = match.route.handler({ method: req.method ?? 'GET', params: match.params, query: url.searchParams, body: body.body, ctx, queryResultLimit, linkedDatabaseError });
    return readsUsers || match.route.name === 'users.me' ? reply : withoutUserInformation(reply);
  }

  /** The reply of a queued or random fault (after its wait, for `delay`), or null to answer normally. */
  private async injectedFault(endpoint: string): Promise<Reply | null> {
    const fault = this.faults.take(endpoint);
    if (!fault) return null;
    this.counters.faultInjected();
    if (fault.kind === 'delay') await this.sleeper.sleep(fault.ms);
    return faultReply(fault);
  }

  /** Counts a request by the object it names (`users.retrieve` ids are not counted). */
  private countObject(endpoint: string, rawId: string | null): void {
    const compact = rawId ? compactId(rawId) : null;
    if (compact && endpoint !== 'users.retrieve') this.counters.objectRequested(dashedId(compact));
  }

  /** A hosted file: its bytes while the signed URL is valid, S3's 403 XML otherwise (or while `staleFileUrls` lasts). */
  private handleFile(req: IncomingMessage, res: ServerResponse, url: URL): void {
    const stale = this.staleServed.get(url.pathname) ?? 0;
    if (stale < this.settings.staleFileUrls) {
      this.staleServed.set(url.pathname, stale + 1);
      this.counters.fileDownloaded(true);
      send(res, { type: 'raw', status: 403, body: s3Error('AccessDenied', 'Request has expired'), contentType: 'application/xml' });
      return;
    }
    this.counters.fileDownloaded(false);
    const r = serveFile(url.pathname, url.searchParams, this.fileNow());
    if (r.ok) send(res, { type: 'raw', status: 200, body: req.method === 'HEAD' ? '' : r.body, contentType: r.contentType });
    else send(res, { type: 'raw', status: r.status, body: r.body, contentType: 'application/xml' });
  }

  /** Custom emoji images: public, unsigned, never expire. */
  private handleStatic(req: IncomingMessage, res: ServerResponse, url: URL): void {
    const m = /^\/static\/custom-emoji\/([a-z0-9-]+)\.png$/.exec(url.pathname);
    if (m && this.workspace.customEmojis.some((e) => e.name === m[1])) send(res, { type: 'raw', status: 200, body: req.method === 'HEAD' ? '' : customEmojiImage(m[1]), contentType: 'image/png' });
    else send(res, { type: 'raw', status: 404, body: 'not found', contentType: 'text/plain' });
  }
}

// ---- listening and closing ----------------------------------------------------------------------

/** Listens on `port` (0: a free one) and returns the port. */
async function listen(server: Server, port: number, host: string): Promise<number> {
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  return (server.address() as AddressInfo).port; // listening on TCP, so address() is an AddressInfo
}

/** The host clients should use: a wildcard address is reached on the loopback. */
function shownHost(host: string): string {
  return host === '0.0.0.0' || host === '::' ? '127.0.0.1' : host;
}

function twinHandle(responder: TwinResponder, server: Server, port: number, tokens: readonly string[]): Twin {
  return {
    url: responder.baseUrl,
    port,
    workspace: responder.workspace,
    tokens,
    stats: responder.stats,
    requests: responder.requests,
    resetStats: responder.resetStats,
    setRateLimit: responder.setRateLimit,
    setWorkspaceRateLimit: responder.setWorkspaceRateLimit,
    setLatency: responder.setLatency,
    injectFault: responder.injectFault,
    clearFaults: responder.clearFaults,
    advanceFileClock: responder.advanceFileClock,
    close: () =>
      new Promise<void>((resolve, reject) => {
        responder.sleeper.wakeAll();
        server.close((err) => (err ? reject(err) : resolve()));
        server.closeAllConnections();
      }),
  };
}
