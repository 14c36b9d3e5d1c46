/**
 * What a failure means, decided in one place for everything the server talks to: the Notion API
 * (the retrying fetch, the export run), file hosts (attachment downloads), the disk and the
 * database. Callers act on the class; none of them reads messages to decide.
 *
 * This module imports nothing from the project, so that db/ may use it too.
 */

export type FailureClass =
  /** Transient: the server asked to slow down (429, 529); wait for `Retry-After`, then try again. */
  | 'rate_limited'
  /** Transient: 5xx, 408, 409, a reset connection, a timeout, a DNS hiccup, SQLITE_BUSY; try again after a backoff. */
  | 'transient'
  /** Permanent for the one page, block or file it is about (400, 403, 404, …); the run goes on without it. */
  | 'item'
  /** Permanent for the run: the token was refused (401). Pause until someone fixes it. */
  | 'unauthorized'
  /** Permanent for the run: the disk is full (ENOSPC, EDQUOT). Pause until there is room. */
  | 'disk_full'
  /** Permanent for the run: the export cannot be written (EACCES, EPERM, EROFS). Fail. */
  | 'unwritable'
  /** Anything else (a bug, a bad certificate or port, an answer nobody expected): ends the run, which may be tried again. */
  | 'fatal';

/** Where a failure came from. */
export type FailureSource = 'http' | 'network' | 'disk' | 'database' | 'other';

export interface Failure {
  class: FailureClass;
  source: FailureSource;
  /** The code that decided: a system code (`ECONNRESET`, `ENOSPC`, `SQLITE_BUSY`), `timeout`, or the API's own code. */
  code?: string;
  /** The HTTP status, for answers. */
  status?: number;
  /** How long the server asked to wait (`Retry-After`), when it did. */
  retryAfterMs?: number;
  /** What went wrong, briefly, for people: `connection reset`, `HTTP 503`, `no space left on device`. */
  reason: string;
  /** The failure's own message for people (its `userMessage` when it has one). */
  message: string;
}

/** An error that knows its class (the Notion gateway's, an attachment's); `classifyError` takes its word. */
export interface Classified {
  readonly failureClass: FailureClass;
  readonly userMessage?: string;
  readonly status?: number;
  readonly code?: string;
  readonly retryAfterMs?: number;
}

const CLASSES = new Set<FailureClass>(['rate_limited', 'transient', 'item', 'unauthorized', 'disk_full', 'unwritable', 'fatal']);

/** Whether trying again (after a wait) can succeed. */
export function isTransient(failureClass: FailureClass): boolean {
  return failureClass === 'rate_limited' || failureClass === 'transient';
}

/** How far a failure reaches once retrying is over or pointless: the one item, or the whole run. */
export function scopeOf(failureClass: FailureClass): 'retry' | 'item' | 'run' {
  if (isTransient(failureClass)) return 'retry';
  return failureClass === 'item' ? 'item' : 'run';
}

/**
 * How a failure that reached the top of a run ends it: paused until someone fixes the token
 * (`auth`) or frees disk space (`disk`), or failed, and then whether running it again may work.
 * Transient failures get here only once their retries ran out, so running again may work.
 */
export function runStopOf(failureClass: FailureClass): { pause?: 'auth' | 'disk'; retryable: boolean } {
  if (failureClass === 'unauthorized') return { pause: 'auth', retryable: true };
  if (failureClass === 'disk_full') return { pause: 'disk', retryable: true };
  return { retryable: failureClass !== 'unwritable' };
}

/** API error codes that mean "slow down" whatever the status (Notion's `rate_limited` and `service_overload`). */
const RATE_LIMIT_CODES = new Set(['rate_limited', 'service_overload']);

/**
 * The class of an HTTP answer that is not a success, given its status and, when the body had
 * one, the API's error code. Rate limited: 429, 529 and the rate-limit codes. Transient: 408,
 * 409 (a conflict on a read), and 5xx except 501 and 505 (this covers Cloudflare's 52x).
 * Unauthorized: 401 or the code `unauthorized`. Everything else (400, 403, 404, 410, …) is
 * permanent for the item asked for.
 */
export function classifyStatus(status: number, apiCode?: string): FailureClass {
  if (status === 429 || status === 529 || (apiCode !== undefined && RATE_LIMIT_CODES.has(apiCode))) return 'rate_limited';
  if (status === 401 || apiCode === 'unauthorized') return 'unauthorized';
  if (status === 408 || status === 409) return 'transient';
  if (status >= 500 && status !== 501 && status !== 505) return 'transient';
  return 'item';
}

/** Reads one header from a `Headers` object or a plain record (case-insensitive). */
export function readHeader(headers: unknown, name: string): string | undefined {
  if (!headers || typeof headers !== 'object') return undefined;
  if (headers instanceof Headers) return headers.get(name) ?? undefined;
  const wanted = name.toLowerCase();
  for (const [key, value] of Object.entries(headers)) {
    if (key.toLowerCase() === wanted) return Array.isArray(value) ? String(value[0]) : String(value);
  }
  return undefined;
}

/** `Retry-After` in milliseconds: integer seconds or an HTTP date; undefined when absent or unreadable. */
export function parseRetryAfter(value: string | null | undefined, now: number = Date.now()): number | undefined {
  if (value === null || value === undefined) return undefined;
  const trimmed = value.trim();
  if (/^\d+(\.\d+)?$/.test(trimmed)) return Math.round(Number(trimmed) * 1000);
  const date = Date.parse(trimmed);
  if (Number.isNaN(date)) return undefined;
  return Math.max(0, date - now);
}

/** The failure an HTTP answer that is not a success stands for (its `Retry-After` included). */
export function classifyResponse(
  response: { status: number; headers: unknown },
  apiCode?: string,
  now: number = Date.now(),
): Failure {
  const { status } = response;
  const retryAfterMs = parseRetryAfter(readHeader(response.headers, 'retry-after'), now);
  const reason = `HTTP ${status}`;
  return {
    class: classifyStatus(status, apiCode),
    source: 'http',
    status,
    ...(apiCode === undefined ? {} : { code: apiCode }),
    ...(retryAfterMs === undefined ? {} : { retryAfterMs }),
    reason,
    message: reason,
  };
}

interface CodeRule {
  class: FailureClass;
  source: FailureSource;
  reason: string;
}

const network = (reason: string, failureClass: FailureClass = 'transient'): CodeRule => ({ class: failureClass, source: 'network', reason });
const disk = (failureClass: FailureClass, reason: string): CodeRule => ({ class: failureClass, source: 'disk', reason });

/** System and library codes whose meaning is known, with the words for them. */
const CODES: Record<string, CodeRule> = {
  ECONNREFUSED: network('connection refused'),
  ECONNRESET: network('connection reset'),
  ECONNABORTED: network('connection aborted'),
  EPIPE: network('connection closed while sending'),
  ETIMEDOUT: network('connection timed out'),
  ENOTFOUND: network('host name not found (DNS lookup failed)'),
  EAI_AGAIN: network('host name lookup failed temporarily (DNS)'),
  EHOSTUNREACH: network('host unreachable'),
  EHOSTDOWN: network('host is down'),
  ENETUNREACH: network('network unreachable'),
  ENETDOWN: network('network is down'),
  ENETRESET: network('connection reset by the network'),
  UND_ERR_CONNECT_TIMEOUT: network('connection timed out'),
  UND_ERR_HEADERS_TIMEOUT: network('no response headers in time'),
  UND_ERR_BODY_TIMEOUT: network('response body stalled'),
  UND_ERR_SOCKET: network('connection closed by the server'),
  UND_ERR_CLOSED: network('connection closed'),
  CERT_HAS_EXPIRED: network('TLS certificate has expired', 'fatal'),
  DEPTH_ZERO_SELF_SIGNED_CERT: network('TLS certificate is self-signed', 'fatal'),
  SELF_SIGNED_CERT_IN_CHAIN: network('TLS certificate chain contains a self-signed certificate', 'fatal'),
  UNABLE_TO_VERIFY_LEAF_SIGNATURE: network('TLS certificate could not be verified', 'fatal'),
  ERR_TLS_CERT_ALTNAME_INVALID: network('TLS certificate does not match the host name', 'fatal'),
  ERR_INVALID_URL: network('invalid URL', 'fatal'),
  UND_ERR_INVALID_ARG: network('invalid request', 'fatal'),
  UND_ERR_NOT_SUPPORTED: network('request not supported', 'fatal'),
  ENOSPC: disk('disk_full', 'no space left on device'),
  EDQUOT: disk('disk_full', 'disk quota exceeded'),
  EACCES: disk('unwritable', 'permission denied'),
  EPERM: disk('unwritable', 'operation not permitted'),
  EROFS: disk('unwritable', 'read-only file system'),
};

const DATABASE_LOCKED: CodeRule = { class: 'transient', source: 'database', reason: 'the database is locked by another process' };

/** The rule for a code: the table, SQLite's lock codes (`SQLITE_BUSY`, `SQLITE_LOCKED_SHAREDCACHE`, …), undici's other `UND_ERR_*`. */
function ruleFor(code: string): CodeRule | undefined {
  const known = CODES[code];
  if (known) return known;
  if (/^SQLITE_(BUSY|LOCKED)/.test(code)) return DATABASE_LOCKED;
  if (code.startsWith('UND_ERR_')) return network(`connection error (${code})`);
  return undefined;
}

/**
 * The message undici gives the error of a port fetch refuses to use (its cause); it is also the
 * `reason` of such failures.
 */
export const BAD_PORT = 'bad port';

interface ChainLink {
  codes: string[];
  name?: string;
  message?: string;
}

/** The error, its `cause` chain and AggregateError members, depth first (at most 6 deep). */
function chainOf(error: unknown, depth = 0, out: ChainLink[] = []): ChainLink[] {
  if (!error || typeof error !== 'object' || depth > 6) return out;
  const record = error as { code?: unknown; extendedCode?: unknown; name?: unknown; message?: unknown; cause?: unknown; errors?: unknown };
  out.push({
    codes: [record.code, record.extendedCode].filter((c): c is string => typeof c === 'string'),
    name: typeof record.name === 'string' ? record.name : undefined,
    message: typeof record.message === 'string' ? record.message : undefined,
  });
  chainOf(record.cause, depth + 1, out);
  if (Array.isArray(record.errors)) for (const inner of record.errors) chainOf(inner, depth + 1, out);
  return out;
}

/** The message for people an error carries (its `userMessage`, else its `message`), if any. */
function messageOf(error: unknown): string | undefined {
  if (!error || typeof error !== 'object') return undefined;
  const { userMessage, message } = error as { userMessage?: unknown; message?: unknown };
  if (typeof userMessage === 'string') return userMessage;
  return typeof message === 'string' ? message : undefined;
}

function isClassified(error: unknown): error is Classified {
  return !!error && typeof error === 'object' && CLASSES.has((error as { failureClass?: FailureClass }).failureClass as FailureClass);
}

/**
 * undici rejects a failed `fetch` with `TypeError('fetch failed', { cause })`, the cause
 * (a system error, an undici error, an AggregateError of both) saying why.
 */
function isFetchFailure(error: unknown): boolean {
  return error instanceof TypeError && error.message === 'fetch failed';
}

/**
 * The failure anything thrown (or an answer) stands for. In order: an error that knows its class
 * (`Classified`); anything carrying an HTTP error `status` (an answer, the Notion SDK's errors,
 * libSQL's remote ones); the first known code in its cause chain (network, disk, SQLite); an
 * AbortSignal timeout or abort; a failed fetch whose causes carry no known code (network trouble
 * all the same, unless fetch refused the port); otherwise `fatal`.
 */
export function classifyError(error: unknown): Failure {
  const own = messageOf(error);
  if (isClassified(error)) {
    const { failureClass, status, code, retryAfterMs } = error;
    const message = own ?? failureClass;
    return {
      class: failureClass,
      source: typeof status === 'number' ? 'http' : 'other',
      ...(typeof code === 'string' ? { code } : {}),
      ...(typeof status === 'number' ? { status } : {}),
      ...(typeof retryAfterMs === 'number' ? { retryAfterMs } : {}),
      reason: message,
      message,
    };
  }
  const answer = error as { status?: unknown; code?: unknown; headers?: unknown } | null;
  if (typeof answer?.status === 'number' && answer.status >= 400 && answer.status < 600) {
    const apiCode = typeof answer.code === 'string' ? answer.code : undefined;
    const failure = classifyResponse({ status: answer.status, headers: answer.headers }, apiCode);
    return { ...failure, message: own ?? failure.reason };
  }

  const message = own ?? String(error);
  const fetchFailure = isFetchFailure(error);
  const chain = chainOf(error);
  for (const node of chain) {
    for (const code of node.codes) {
      const rule = ruleFor(code);
      // A failed fetch is the network's doing, even with a code the disk uses too (connect EACCES).
      if (rule && !(fetchFailure && rule.source === 'disk')) {
        return { class: rule.class, source: rule.source, code, reason: rule.reason, message };
      }
    }
    if (node.name === 'TimeoutError') {
      return { class: 'transient', source: 'network', code: 'timeout', reason: 'no answer in time (timed out)', message };
    }
    if (node.name === 'AbortError') return { class: 'fatal', source: 'other', reason: 'the operation was aborted', message };
  }

  if (fetchFailure) {
    const causes = chain.slice(1);
    if (causes.some((node) => node.message === BAD_PORT)) return { class: 'fatal', source: 'network', reason: BAD_PORT, message };
    const coded = causes.find((node) => node.codes.length > 0);
    if (coded) {
      const code = coded.codes[0] as string;
      return { class: 'transient', source: 'network', code, reason: `${coded.message ?? 'network error'} (${code})`, message };
    }
    return { class: 'transient', source: 'network', reason: causes[0]?.message ?? message, message };
  }
  return { class: 'fatal', source: 'other', reason: message, message };
}
