/**
 * The Notion twin's HTTP server (plain node:http): auth, Notion-Version check, per-token and
 * workspace rate limiting, optional latency and fault injection, request counters, hosted files
 * and a small control API under `/__twin/`.
 */
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { customEmojiImage, s3Error, serveFile } from './files';
import { type LinkedDatabaseError, matchRoute } from './handlers';
import { compactId, dashedId, hashInts, Rng } from './ids';
import { createLimiter, type Limiter, type RateLimit, type WindowLimit, WindowLimiter } from './rate-limiter';
import type { RenderContext } from './render-context';
import { apiError, type Reply } from './replies';
import { Workspace, type WorkspaceOptions } from './workspace';

export type { RateLimit, TokenBucketLimit, WindowLimit } from './rate-limiter';

/**
 * `additional_data.rate_limit_reason` of the twin's 429s. Notion documents the field but the stored
 * copy of its docs lost the list of values, so these names are the twin's own.
 */
export type RateLimitReason = 'connection_limit' | 'workspace_limit';

type RouteMatch = ReturnType<typeof matchRoute>;

export const DEFAULT_TOKEN = 'secret_twin';
export const NOTION_VERSION = '2025-09-03';
/** Versions accepted in `Notion-Version`; answers always have the 2025-09-03 shapes. */
const ACCEPTED_VERSIONS = new Set(['2025-09-03', '2026-03-11']);

/** A failure the twin can answer with instead of the real response. */
export type TwinFault =
  /** A JSON Notion error, e.g. `{ kind: 'error', status: 503 }` or 529 with `retryAfterSeconds`. */
  | { kind: 'error'; status: number; code?: string; message?: string; retryAfterSeconds?: number }
  /** A non-JSON answer from the edge (Cloudflare-style HTML), which the SDK reports as UnknownHTTPResponseError. */
  | { kind: 'html'; status: number }
  /** The connection is destroyed without an answer (ECONNRESET / "fetch failed"). */
  | { kind: 'reset' }
  /** The answer is held back this long, then sent normally (to trip client timeouts). */
  | { kind: 'delay'; ms: number };

export interface FaultOptions {
  /** How many matching requests get the fault. Default 1. */
  times?: number;
  /** Only requests to this endpoint (SDK method name, e.g. `blocks.children.list`). */
  endpoint?: string;
}

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
   * Per-token (per-connection) limit: a token bucket `{ requestsPerSecond, burst? }` or a fixed window
   * `{ windowMs, budget }`; 429 reason `connection_limit`. null (default) = unlimited.
   */
  rateLimit?: RateLimit | null;
  /** One fixed window shared by all tokens, like Notion's per-workspace limit; 429 reason `workspace_limit`. Default none. */
  workspaceRateLimit?: WindowLimit | null;
  /** Milliseconds clock the rate limits read (default `Date.now`), so tests can move time by hand. */
  rateLimitClock?: () => number;
  /** Uniform random delay [min, max] ms before every API answer. Default none. */
  latencyMs?: [number, number] | null;
  /**
   * Lifetime of Notion-hosted file URLs (whole seconds in the URL, at least 1 s). Default 1 hour, like
   * Notion. To expire URLs without waiting, see `Twin.advanceFileClock`.
   */
  fileUrlTtlMs?: number;
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
  chaos?: { probability: number; faults: TwinFault[]; seed?: number } | null;
}

export interface TwinStats {
  /** API requests received under /v1 (every status, including 401/429). */
  requests: number;
  /** Per endpoint, by SDK method name (`search`, `pages.retrieve`, `blocks.children.list`, …; `unknown`). */
  byEndpoint: Record<string, number>;
  /** Per HTTP status answered (as strings: `"200"`, `"429"`, …). */
  byStatus: Record<string, number>;
  /** 429 rate_limited answers. */
  rateLimited: number;
  /** 401 unauthorized answers. */
  unauthorized: number;
  /** 404 object_not_found answers. */
  notFound: number;
  /** Injected faults served (including chaos). */
  faultsInjected: number;
  /** Hosted file downloads answered (any status). */
  fileDownloads: number;
  /** Downloads refused as expired by `staleFileUrls`. */
  staleFileAnswers: number;
  /** API requests per object id named in the request (path id or `block_id`), dashed. */
  byId: Record<string, number>;
  /** Highest number of API requests in flight at once. */
  maxInFlight: number;
}

export interface Twin {
  /** Base URL for `new Client({ baseUrl })`, e.g. `http://127.0.0.1:4100`. */
  url: string;
  port: number;
  workspace: Workspace;
  tokens: readonly string[];
  stats(): TwinStats;
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

const DEFAULT_ERROR_CODES: Record<number, { code: string; message: string }> = {
  409: { code: 'conflict_error', message: 'Conflict occurred while saving. Please try again.' },
  500: { code: 'internal_server_error', message: 'Unexpected error occurred.' },
  502: { code: 'internal_server_error', message: 'Bad gateway.' },
  503: {
    code: 'service_unavailable',
    message: 'Notion is unavailable. This can occur when the time to respond to a request takes longer than 60 seconds, the maximum request timeout.',
  },
  504: { code: 'gateway_timeout', message: 'Notion timed out while attempting to complete this request. Please try again later.' },
  529: { code: 'service_overload', message: 'Notion is currently overloaded. Please try again later.' },
};

function emptyStats(): TwinStats {
  return { requests: 0, byEndpoint: {}, byStatus: {}, rateLimited: 0, unauthorized: 0, notFound: 0, faultsInjected: 0, fileDownloads: 0, staleFileAnswers: 0, byId: {}, maxInFlight: 0 };
}

function readBody(req: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    req.on('error', reject);
  });
}

function isRecord(x: unknown): x is Record<string, unknown> {
  return typeof x === 'object' && x !== null && !Array.isArray(x);
}

function parseLatency(range: [number, number] | null | undefined): [number, number] | null {
  if (!range) return null;
  const [min, max] = range;
  if (!(min >= 0 && max >= min)) throw new RangeError(`latencyMs must be [min, max] with 0 ≤ min ≤ max, got [${min}, ${max}]`);
  return [min, max];
}

export async function startTwin(opts: TwinOptions = {}): Promise<Twin> {
  const ws = opts.workspace instanceof Workspace ? opts.workspace : new Workspace(opts.workspace ?? {});
  const tokens = new Set(opts.tokens ?? [DEFAULT_TOKEN]);
  const fileTtlMs = opts.fileUrlTtlMs ?? 3_600_000;
  if (!(fileTtlMs >= 0)) throw new RangeError(`fileUrlTtlMs must be ≥ 0, got ${fileTtlMs}`);
  const linkedDatabaseError = opts.linkedDatabaseError ?? 'no_data_sources';
  let fileClockOffsetMs = 0;
  const fileNow = () => Date.now() + fileClockOffsetMs;
  const queryResultLimit = opts.queryResultLimit ?? 10_000;
  const host = opts.host ?? '127.0.0.1';
  let limiter = opts.rateLimit ? createLimiter(opts.rateLimit) : null;
  let workspaceLimiter = opts.workspaceRateLimit ? new WindowLimiter(opts.workspaceRateLimit, 'workspaceRateLimit') : null;
  const rateLimitNow = opts.rateLimitClock ?? Date.now;
  let latency = parseLatency(opts.latencyMs);
  const chaos = opts.chaos && opts.chaos.probability > 0 ? { ...opts.chaos, rng: new Rng(hashInts(opts.chaos.seed ?? ws.options.seed, 0xc4a05)) } : null;
  const faults: Array<{ fault: TwinFault; remaining: number; endpoint?: string }> = [];
  let stats = emptyStats();
  let inFlight = 0;
  let baseUrl = '';
  const sleepers = new Set<{ timer: NodeJS.Timeout; resolve: () => void }>();

  const sleep = (ms: number): Promise<void> =>
    new Promise((resolve) => {
      const entry = { timer: setTimeout(() => { sleepers.delete(entry); resolve(); }, ms), resolve };
      sleepers.add(entry);
    });

  const count = (map: Record<string, number>, key: string) => {
    map[key] = (map[key] ?? 0) + 1;
  };

  const takeFault = (endpoint: string): TwinFault | null => {
    const i = faults.findIndex((f) => f.endpoint === undefined || f.endpoint === endpoint);
    if (i >= 0) {
      const rule = faults[i];
      rule.remaining--;
      if (rule.remaining <= 0) faults.splice(i, 1);
      return rule.fault;
    }
    if (chaos && chaos.faults.length > 0 && chaos.rng.chance(chaos.probability)) return chaos.rng.pick(chaos.faults);
    return null;
  };

  const faultReply = (fault: TwinFault): Reply | null => {
    switch (fault.kind) {
      case 'reset':
        return { type: 'reset' };
      case 'html':
        return {
          type: 'raw',
          status: fault.status,
          contentType: 'text/html',
          body: `<html><head><title>${fault.status}</title></head><body><center><h1>${fault.status}</h1></center><hr><center>cloudflare</center></body></html>`,
          headers: { 'cf-ray': `${hashInts(Date.now()).toString(16)}-TWN` },
        };
      case 'error': {
        const d = DEFAULT_ERROR_CODES[fault.status] ?? { code: 'internal_server_error', message: 'Unexpected error occurred.' };
        const headers = fault.retryAfterSeconds !== undefined ? { 'Retry-After': String(fault.retryAfterSeconds) } : undefined;
        return apiError(fault.status, fault.code ?? d.code, fault.message ?? d.message, { headers });
      }
      case 'delay':
        return null;
    }
  };

  /**
   * Applies the token's and the workspace's limits: a request either spends from both or, refused,
   * from neither. When both refuse, the answer names the one with the longer wait.
   */
  const admit = (token: string): Reply | null => {
    const now = rateLimitNow();
    const checks: Array<{ limiter: Limiter; key: string; reason: RateLimitReason }> = [];
    if (limiter) checks.push({ limiter, key: token, reason: 'connection_limit' });
    if (workspaceLimiter) checks.push({ limiter: workspaceLimiter, key: 'workspace', reason: 'workspace_limit' });
    let worst: { retryAfterSeconds: number; reason: RateLimitReason } | null = null;
    for (const c of checks) {
      const a = c.limiter.check(c.key, now);
      if (!a.ok && (!worst || a.retryAfterSeconds > worst.retryAfterSeconds)) worst = { retryAfterSeconds: a.retryAfterSeconds, reason: c.reason };
    }
    if (worst) {
      return apiError(429, 'rate_limited', 'You have been rate limited. Please try again in a few minutes.', {
        additional_data: { rate_limit_reason: worst.reason },
        headers: { 'Retry-After': String(worst.retryAfterSeconds) },
      });
    }
    for (const c of checks) c.limiter.spend(c.key, now);
    return null;
  };

  /** Decides the answer to an API request (everything except latency and writing). */
  const answer = async (req: IncomingMessage, url: URL, match: RouteMatch, bodyText: string): Promise<Reply> => {
    const endpoint = match.route ? match.route.name : 'unknown';
    const auth = req.headers.authorization ?? '';
    const token = auth.startsWith('Bearer ') ? auth.slice('Bearer '.length).trim() : '';
    if (!tokens.has(token)) return apiError(401, 'unauthorized', 'API token is invalid.');

    const refused = admit(token);
    if (refused) return refused;

    const version = req.headers['notion-version'];
    if (version === undefined || version === '') {
      return apiError(400, 'missing_version', 'Notion-Version header failed validation: Notion-Version header should be defined, instead was `undefined`.');
    }
    if (typeof version !== 'string' || !ACCEPTED_VERSIONS.has(version)) {
      return apiError(
        400,
        'validation_error',
        `Notion-Version header failed validation: the twin serves ${NOTION_VERSION} shapes and accepts ${[...ACCEPTED_VERSIONS].join(', ')}, instead was \`${String(version)}\`.`,
      );
    }

    const fault = takeFault(endpoint);
    if (fault) {
      stats.faultsInjected++;
      if (fault.kind === 'delay') await sleep(fault.ms);
      const r = faultReply(fault);
      if (r) return r;
    }

    if (match.route === null) {
      const hint = match.methodMismatch ? ` (twin: ${req.method} ${url.pathname} is not implemented; the twin is read-only)` : '';
      return apiError(400, 'invalid_request_url', `Invalid request URL.${hint}`);
    }

    let body: Record<string, unknown> = {};
    if (req.method === 'POST' && bodyText.trim() !== '') {
      let parsed: unknown;
      try {
        parsed = JSON.parse(bodyText);
      } catch {
        return apiError(400, 'invalid_json', 'Error parsing JSON body.');
      }
      if (!isRecord(parsed)) return apiError(400, 'validation_error', `body failed validation: body should be an object, instead was \`${JSON.stringify(parsed)}\`.`);
      body = parsed;
    }

    const idParam = match.params[0] ?? url.searchParams.get('block_id');
    const compact = idParam ? compactId(idParam) : null;
    if (compact && endpoint !== 'users.retrieve') count(stats.byId, dashedId(compact));

    const ctx: RenderContext = { ws, baseUrl, nowMs: fileNow(), fileTtlMs, notionVersion: version };
    return match.route.handler({ method: req.method ?? 'GET', params: match.params, query: url.searchParams, body, ctx, queryResultLimit, linkedDatabaseError });
  };

  const send = (res: ServerResponse, reply: Reply): void => {
    if (reply.type === 'reset') {
      res.socket?.destroy();
      return;
    }
    const payload = reply.type === 'json' ? JSON.stringify(reply.body) : reply.body;
    res.writeHead(reply.status, {
      'content-type': reply.type === 'json' ? 'application/json; charset=utf-8' : reply.contentType,
      'content-length': Buffer.byteLength(payload),
      ...reply.headers,
    });
    res.end(payload);
  };

  const handleApi = async (req: IncomingMessage, res: ServerResponse, url: URL): Promise<void> => {
    const match = matchRoute(req.method ?? 'GET', url.pathname);
    const endpoint = match.route ? match.route.name : 'unknown';
    stats.requests++;
    count(stats.byEndpoint, endpoint);
    inFlight++;
    stats.maxInFlight = Math.max(stats.maxInFlight, inFlight);
    try {
      const bodyText = await readBody(req);
      const reply = await answer(req, url, match, bodyText);
      if (latency) await sleep(latency[0] + Math.random() * (latency[1] - latency[0]));
      if (reply.type !== 'reset') {
        count(stats.byStatus, String(reply.status));
        if (reply.status === 401) stats.unauthorized++;
        else if (reply.status === 404) stats.notFound++;
        else if (reply.status === 429) stats.rateLimited++;
      }
      send(res, reply);
    } finally {
      inFlight--;
    }
  };

  const staleServed = new Map<string, number>();
  const handleFile = (req: IncomingMessage, res: ServerResponse, url: URL): void => {
    stats.fileDownloads++;
    const stale = staleServed.get(url.pathname) ?? 0;
    if (stale < (opts.staleFileUrls ?? 0)) {
      staleServed.set(url.pathname, stale + 1);
      stats.staleFileAnswers++;
      send(res, { type: 'raw', status: 403, body: s3Error('AccessDenied', 'Request has expired'), contentType: 'application/xml' });
      return;
    }
    const r = serveFile(url.pathname, url.searchParams, fileNow());
    if (r.ok) send(res, { type: 'raw', status: 200, body: req.method === 'HEAD' ? '' : r.body, contentType: r.contentType });
    else send(res, { type: 'raw', status: r.status, body: r.body, contentType: 'application/xml' });
  };

  /** Custom emoji images: public, unsigned, never expire. */
  const handleStatic = (req: IncomingMessage, res: ServerResponse, url: URL): void => {
    const m = /^\/static\/custom-emoji\/([a-z0-9-]+)\.png$/.exec(url.pathname);
    if (m && ws.customEmojis.some((e) => e.name === m[1])) send(res, { type: 'raw', status: 200, body: req.method === 'HEAD' ? '' : customEmojiImage(m[1]), contentType: 'image/png' });
    else send(res, { type: 'raw', status: 404, body: 'not found', contentType: 'text/plain' });
  };

  const handleControl = async (req: IncomingMessage, res: ServerResponse, url: URL): Promise<void> => {
    const bodyText = await readBody(req);
    let body: unknown = null;
    try {
      body = bodyText.trim() === '' ? null : JSON.parse(bodyText);
    } catch {
      send(res, { type: 'json', status: 400, body: { error: 'invalid JSON' } });
      return;
    }
    const json = (status: number, value: object) => send(res, { type: 'json', status, body: value });
    /** A limit the constructors refuse (RangeError) is the caller's mistake: 400, not 500. */
    const applyLimit = (set: () => void) => {
      try {
        set();
      } catch (err) {
        if (err instanceof RangeError) return json(400, { error: err.message });
        throw err;
      }
      return json(200, { ok: true });
    };
    const route = `${req.method} ${url.pathname}`;
    switch (route) {
      case 'GET /__twin/health':
        return json(200, { ok: true });
      case 'GET /__twin/stats':
        return json(200, twin.stats());
      case 'POST /__twin/reset-stats':
        twin.resetStats();
        return json(200, { ok: true });
      case 'GET /__twin/workspace':
        return json(200, {
          options: ws.options,
          summary: ws.summary(),
          botUserId: ws.botUserId,
          pages: ws.allPages(),
          unsharedPages: ws.unsharedPages(),
          databases: ws.allDatabases(),
          linkedDatabases: ws.linkedDatabases(),
        });
      case 'POST /__twin/rate-limit': {
        let limit: RateLimit | null;
        if (body === null) limit = null;
        else if (isRecord(body) && typeof body.windowMs === 'number' && typeof body.budget === 'number') limit = { windowMs: body.windowMs, budget: body.budget };
        else if (isRecord(body) && typeof body.requestsPerSecond === 'number') limit = { requestsPerSecond: body.requestsPerSecond, burst: typeof body.burst === 'number' ? body.burst : undefined };
        else return json(400, { error: 'expected {requestsPerSecond, burst?}, {windowMs, budget} or null' });
        return applyLimit(() => twin.setRateLimit(limit));
      }
      case 'POST /__twin/workspace-rate-limit': {
        if (body !== null && !(isRecord(body) && typeof body.windowMs === 'number' && typeof body.budget === 'number')) return json(400, { error: 'expected {windowMs, budget} or null' });
        const limit = isRecord(body) ? { windowMs: Number(body.windowMs), budget: Number(body.budget) } : null;
        return applyLimit(() => twin.setWorkspaceRateLimit(limit));
      }
      case 'POST /__twin/latency':
        if (body !== null && !(Array.isArray(body) && body.length === 2 && body.every((n) => typeof n === 'number'))) return json(400, { error: 'expected [min, max] or null' });
        twin.setLatency(Array.isArray(body) ? [Number(body[0]), Number(body[1])] : null);
        return json(200, { ok: true });
      case 'POST /__twin/faults': {
        if (!isRecord(body) || !isRecord(body.fault)) return json(400, { error: 'expected {fault, times?, endpoint?}' });
        const f = body.fault;
        let fault: TwinFault;
        if (f.kind === 'reset') fault = { kind: 'reset' };
        else if (f.kind === 'delay' && typeof f.ms === 'number') fault = { kind: 'delay', ms: f.ms };
        else if (f.kind === 'html' && typeof f.status === 'number') fault = { kind: 'html', status: f.status };
        else if (f.kind === 'error' && typeof f.status === 'number') {
          fault = {
            kind: 'error',
            status: f.status,
            code: typeof f.code === 'string' ? f.code : undefined,
            message: typeof f.message === 'string' ? f.message : undefined,
            retryAfterSeconds: typeof f.retryAfterSeconds === 'number' ? f.retryAfterSeconds : undefined,
          };
        } else return json(400, { error: 'unknown fault' });
        twin.injectFault(fault, {
          times: typeof body.times === 'number' ? body.times : undefined,
          endpoint: typeof body.endpoint === 'string' ? body.endpoint : undefined,
        });
        return json(200, { ok: true });
      }
      case 'POST /__twin/advance-file-clock':
        if (!isRecord(body) || typeof body.ms !== 'number' || !(body.ms >= 0)) return json(400, { error: 'expected {ms} (≥ 0)' });
        twin.advanceFileClock(body.ms);
        return json(200, { ok: true });
      case 'DELETE /__twin/faults':
        twin.clearFaults();
        return json(200, { ok: true });
      case 'POST /__twin/edit-page': {
        if (!isRecord(body) || typeof body.id !== 'string' || !ws.page(body.id)) return json(400, { error: 'expected {id} of a twin page' });
        return json(200, { ok: true, edits: ws.editPage(body.id) });
      }
      default:
        return json(404, { error: `unknown control route ${route}` });
    }
  };

  const server = createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://twin.invalid');
    const work = url.pathname.startsWith('/__twin/')
      ? handleControl(req, res, url)
      : url.pathname.startsWith('/files/')
        ? Promise.resolve(handleFile(req, res, url))
        : url.pathname.startsWith('/static/')
          ? Promise.resolve(handleStatic(req, res, url))
          : handleApi(req, res, url);
    work.catch((err: unknown) => {
      if (!res.headersSent) send(res, apiError(500, 'internal_server_error', `twin: ${err instanceof Error ? err.message : String(err)}`));
      else res.destroy();
    });
  });
  server.keepAliveTimeout = 30_000;

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(opts.port ?? 0, host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const port = (server.address() as AddressInfo).port; // listening on TCP, so address() is an AddressInfo
  const shownHost = host === '0.0.0.0' || host === '::' ? '127.0.0.1' : host;
  baseUrl = `http://${shownHost}:${port}`;

  const twin: Twin = {
    url: baseUrl,
    port,
    workspace: ws,
    tokens: [...tokens],
    stats: () => structuredClone(stats),
    resetStats: () => {
      stats = emptyStats();
    },
    setRateLimit: (limit) => {
      limiter = limit ? createLimiter(limit) : null;
    },
    setWorkspaceRateLimit: (limit) => {
      workspaceLimiter = limit ? new WindowLimiter(limit, 'workspaceRateLimit') : null;
    },
    setLatency: (range) => {
      latency = parseLatency(range);
    },
    injectFault: (fault, o = {}) => {
      faults.push({ fault, remaining: o.times ?? 1, endpoint: o.endpoint });
    },
    clearFaults: () => {
      faults.length = 0;
    },
    advanceFileClock: (ms) => {
      if (!(ms >= 0)) throw new RangeError(`advanceFileClock: ms must be ≥ 0, got ${ms}`);
      fileClockOffsetMs += ms;
    },
    close: () =>
      new Promise<void>((resolve, reject) => {
        for (const s of sleepers) {
          clearTimeout(s.timer);
          s.resolve();
        }
        sleepers.clear();
        server.close((err) => (err ? reject(err) : resolve()));
        server.closeAllConnections();
      }),
  };
  return twin;
}
