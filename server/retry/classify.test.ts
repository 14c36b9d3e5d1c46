import { describe, expect, it } from 'vitest';
import {
  BAD_PORT,
  type Classified,
  classifyError,
  classifyResponse,
  classifyStatus,
  type FailureClass,
  isTransient,
  parseRetryAfter,
  readHeader,
  runStopOf,
  scopeOf,
} from './classify';

const systemError = (code: string, message = `${code} happened`) => Object.assign(new Error(message), { code });
/** How undici reports a failed fetch. */
const fetchFailed = (cause?: unknown) => new TypeError('fetch failed', { cause });

describe('classifyStatus', () => {
  it.each([
    [429, undefined, 'rate_limited'],
    [529, undefined, 'rate_limited'],
    [503, 'service_overload', 'rate_limited'],
    [400, 'rate_limited', 'rate_limited'],
    [500, undefined, 'transient'],
    [502, undefined, 'transient'],
    [503, undefined, 'transient'],
    [503, 'database_connection_unavailable', 'transient'],
    [504, undefined, 'transient'],
    [522, undefined, 'transient'],
    [408, undefined, 'transient'],
    [409, 'conflict_error', 'transient'],
    [401, undefined, 'unauthorized'],
    [400, 'unauthorized', 'unauthorized'],
    [400, 'validation_error', 'item'],
    [403, undefined, 'item'],
    [404, 'object_not_found', 'item'],
    [410, undefined, 'item'],
    [418, undefined, 'item'],
    [501, undefined, 'item'],
    [505, undefined, 'item'],
  ] as const)('%i %s is %s', (status, code, expected) => {
    expect(classifyStatus(status, code)).toBe(expected);
  });
});

describe('classifyResponse', () => {
  it('reads Retry-After and keeps the API code', () => {
    const answer = new Response('{}', { status: 429, headers: { 'Retry-After': '30' } });
    expect(classifyResponse(answer, 'rate_limited')).toEqual({
      class: 'rate_limited',
      source: 'http',
      status: 429,
      code: 'rate_limited',
      retryAfterMs: 30_000,
      reason: 'HTTP 429',
      message: 'HTTP 429',
    });
    expect(classifyResponse({ status: 403, headers: {} })).toEqual({ class: 'item', source: 'http', status: 403, reason: 'HTTP 403', message: 'HTTP 403' });
  });
});

describe('classifyError', () => {
  it.each<[string, unknown, FailureClass, string | undefined, string | undefined]>([
    // network: by the code of the cause, however deep, not by the message
    ['reset, inside a failed fetch', fetchFailed(systemError('ECONNRESET')), 'transient', 'ECONNRESET', 'connection reset'],
    ['refused', fetchFailed(systemError('ECONNREFUSED')), 'transient', 'ECONNREFUSED', 'connection refused'],
    ['refused, in an AggregateError', fetchFailed(new AggregateError([systemError('ECONNREFUSED')])), 'transient', 'ECONNREFUSED', 'connection refused'],
    ['DNS', fetchFailed(systemError('ENOTFOUND')), 'transient', 'ENOTFOUND', 'host name not found (DNS lookup failed)'],
    ['DNS, temporarily', fetchFailed(systemError('EAI_AGAIN')), 'transient', 'EAI_AGAIN', 'host name lookup failed temporarily (DNS)'],
    ['undici socket', fetchFailed(systemError('UND_ERR_SOCKET')), 'transient', 'UND_ERR_SOCKET', 'connection closed by the server'],
    ['undici headers timeout', fetchFailed(systemError('UND_ERR_HEADERS_TIMEOUT')), 'transient', 'UND_ERR_HEADERS_TIMEOUT', 'no response headers in time'],
    ['another undici error', fetchFailed(systemError('UND_ERR_RES_CONTENT_LENGTH_MISMATCH')), 'transient', 'UND_ERR_RES_CONTENT_LENGTH_MISMATCH', 'connection error (UND_ERR_RES_CONTENT_LENGTH_MISMATCH)'],
    ['a bare reset', systemError('ECONNRESET', 'read ECONNRESET'), 'transient', 'ECONNRESET', 'connection reset'],
    ['an unknown code of a failed fetch', fetchFailed(systemError('EWEIRD', 'something odd')), 'transient', 'EWEIRD', 'something odd (EWEIRD)'],
    ['a failed fetch without a code', fetchFailed(new Error('other socket trouble')), 'transient', undefined, 'other socket trouble'],
    ['a failed fetch without a cause', new TypeError('fetch failed'), 'transient', undefined, 'fetch failed'],
    ['connect EACCES is the network’s', fetchFailed(systemError('EACCES')), 'transient', 'EACCES', 'EACCES happened (EACCES)'],
    ['an AbortSignal timeout', new DOMException('The operation timed out.', 'TimeoutError'), 'transient', 'timeout', 'no answer in time (timed out)'],
    ['a timeout behind a failed fetch', fetchFailed(new DOMException('late', 'TimeoutError')), 'transient', 'timeout', 'no answer in time (timed out)'],
    // database
    ['SQLITE_BUSY', Object.assign(new Error('database is locked'), { code: 'SQLITE_BUSY' }), 'transient', 'SQLITE_BUSY', 'the database is locked by another process'],
    ['SQLITE_LOCKED behind a query error', new Error('Failed query', { cause: systemError('SQLITE_LOCKED') }), 'transient', 'SQLITE_LOCKED', 'the database is locked by another process'],
    ['an extended busy code', Object.assign(new Error('x'), { extendedCode: 'SQLITE_BUSY_SNAPSHOT' }), 'transient', 'SQLITE_BUSY_SNAPSHOT', 'the database is locked by another process'],
    ['a constraint', systemError('SQLITE_CONSTRAINT'), 'fatal', undefined, 'SQLITE_CONSTRAINT happened'],
    // the disk
    ['ENOSPC', systemError('ENOSPC'), 'disk_full', 'ENOSPC', 'no space left on device'],
    ['EDQUOT', systemError('EDQUOT'), 'disk_full', 'EDQUOT', 'disk quota exceeded'],
    ['EACCES', systemError('EACCES'), 'unwritable', 'EACCES', 'permission denied'],
    ['EPERM', systemError('EPERM'), 'unwritable', 'EPERM', 'operation not permitted'],
    ['EROFS', systemError('EROFS'), 'unwritable', 'EROFS', 'read-only file system'],
    // what retrying cannot fix
    ['bad port', fetchFailed(new Error('bad port')), 'fatal', undefined, BAD_PORT],
    ['an invalid URL', new TypeError('Invalid URL', { cause: systemError('ERR_INVALID_URL') }), 'fatal', 'ERR_INVALID_URL', 'invalid URL'],
    ['an expired certificate', fetchFailed(systemError('CERT_HAS_EXPIRED')), 'fatal', 'CERT_HAS_EXPIRED', 'TLS certificate has expired'],
    ['an abort', new DOMException('This operation was aborted', 'AbortError'), 'fatal', undefined, 'the operation was aborted'],
    ['a bug that mentions fetch', new TypeError('fetchAll is not a function'), 'fatal', undefined, 'fetchAll is not a function'],
    ['an unknown system code', systemError('ENOENT'), 'fatal', undefined, 'ENOENT happened'],
    ['a string', 'boom', 'fatal', undefined, 'boom'],
    ['nothing', undefined, 'fatal', undefined, 'undefined'],
  ])('%s', (_name, error, expected, code, reason) => {
    const failure = classifyError(error);
    expect(failure.class).toBe(expected);
    expect(failure.code).toBe(code);
    expect(failure.reason).toBe(reason);
  });

  it('names the source', () => {
    expect(classifyError(fetchFailed(systemError('ECONNRESET'))).source).toBe('network');
    expect(classifyError(systemError('ENOSPC')).source).toBe('disk');
    expect(classifyError(systemError('SQLITE_BUSY')).source).toBe('database');
    expect(classifyError(new Error('bug')).source).toBe('other');
  });

  it('reads the status of HTTP errors, with the API code and Retry-After', () => {
    const sdkError = Object.assign(new Error('Rate limited'), { status: 429, code: 'rate_limited', headers: { 'retry-after': '2' } });
    expect(classifyError(sdkError)).toMatchObject({ class: 'rate_limited', source: 'http', status: 429, retryAfterMs: 2000, message: 'Rate limited' });
    expect(classifyError(Object.assign(new Error('Unauthorized'), { status: 401 }))).toMatchObject({ class: 'unauthorized', status: 401 });
    expect(classifyError(Object.assign(new Error('Not found'), { status: 404, code: 'object_not_found' })).class).toBe('item');
    expect(classifyError(new Response('', { status: 502 }))).toMatchObject({ class: 'transient', status: 502, message: 'HTTP 502' });
    // Only error statuses count.
    expect(classifyError(Object.assign(new Error('odd'), { status: 200 })).class).toBe('fatal');
  });

  it('takes the word of an error that knows its class, over its status and its causes', () => {
    const attachment: Error & Classified = Object.assign(new Error('Cannot download attachment: HTTP 401', { cause: systemError('ENOSPC') }), {
      failureClass: 'item' as const,
      status: 401,
    });
    expect(classifyError(attachment)).toEqual({
      class: 'item',
      source: 'http',
      status: 401,
      reason: 'Cannot download attachment: HTTP 401',
      message: 'Cannot download attachment: HTTP 401',
    });
    const gateway = { failureClass: 'rate_limited' as const, userMessage: 'Notion rate limit reached', code: 'rate_limited', retryAfterMs: 5000 };
    expect(classifyError(gateway)).toMatchObject({ class: 'rate_limited', source: 'other', code: 'rate_limited', retryAfterMs: 5000, message: 'Notion rate limit reached' });
    expect(classifyError({ failureClass: 'not a class', code: 'ENOSPC' }).class).toBe('disk_full');
  });

  it('gives up on cause chains that are too deep or circular', () => {
    let deep: unknown = systemError('ENOSPC');
    for (let i = 0; i < 10; i++) deep = new Error(`level ${i}`, { cause: deep });
    expect(classifyError(deep).class).toBe('fatal');
    const circular = new Error('loop') as Error & { cause?: unknown };
    circular.cause = circular;
    expect(classifyError(circular).class).toBe('fatal');
  });
});

describe('what a class means', () => {
  it.each<[FailureClass, boolean, 'retry' | 'item' | 'run', ReturnType<typeof runStopOf>]>([
    ['rate_limited', true, 'retry', { retryable: true }],
    ['transient', true, 'retry', { retryable: true }],
    ['item', false, 'item', { retryable: true }],
    ['unauthorized', false, 'run', { pause: 'auth', retryable: true }],
    ['disk_full', false, 'run', { pause: 'disk', retryable: true }],
    ['unwritable', false, 'run', { retryable: false }],
    ['fatal', false, 'run', { retryable: true }],
  ])('%s: transient %s, reaches the %s, stops a run as %o', (failureClass, transient, scope, stop) => {
    expect(isTransient(failureClass)).toBe(transient);
    expect(scopeOf(failureClass)).toBe(scope);
    expect(runStopOf(failureClass)).toEqual(stop);
  });
});

describe('HTTP helpers', () => {
  it('parseRetryAfter reads seconds and HTTP dates', () => {
    expect(parseRetryAfter('1')).toBe(1000);
    expect(parseRetryAfter(' 120 ')).toBe(120_000);
    expect(parseRetryAfter('1.5')).toBe(1500);
    const now = Date.parse('2026-01-01T00:00:00Z');
    expect(parseRetryAfter('Thu, 01 Jan 2026 00:01:30 GMT', now)).toBe(90_000);
    expect(parseRetryAfter('Wed, 31 Dec 2025 00:00:00 GMT', now)).toBe(0);
    expect(parseRetryAfter('soon')).toBeUndefined();
    expect(parseRetryAfter(null)).toBeUndefined();
    expect(parseRetryAfter(undefined)).toBeUndefined();
  });

  it('readHeader reads Headers and plain records case-insensitively', () => {
    expect(readHeader(new Headers({ 'Retry-After': '3' }), 'retry-after')).toBe('3');
    expect(readHeader({ 'Retry-After': '4' }, 'retry-after')).toBe('4');
    expect(readHeader({ 'retry-after': ['5', '6'] }, 'Retry-After')).toBe('5');
    expect(readHeader({}, 'retry-after')).toBeUndefined();
    expect(readHeader(new Headers(), 'retry-after')).toBeUndefined();
    expect(readHeader(undefined, 'retry-after')).toBeUndefined();
  });
});
