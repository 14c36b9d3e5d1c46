import { readFileSync } from 'node:fs';
import path from 'node:path';
import {
  APIErrorCode,
  APIResponseError,
  InvalidPathParameterError,
  RequestTimeoutError,
  UnknownHTTPResponseError,
} from '@notionhq/client';
import { describe, expect, it } from 'vitest';
import { REAL_API_SAMPLES } from '@/e2e/notion-twin/real-api-samples';
import { classifyError, scopeOf } from '@/server/retry/classify';
import { NotionGatewayError, toGatewayError } from './errors';

const samples = REAL_API_SAMPLES;
const sample = (file: string) =>
  JSON.parse(readFileSync(path.join(samples, file), 'utf8')) as {
    status: number;
    code: APIErrorCode;
    message: string;
    request_id?: string;
  };

function apiError(status: number, code: APIErrorCode, message: string, headers: Record<string, string> = {}) {
  return new APIResponseError({
    status,
    code,
    message,
    headers: new Headers(headers),
    rawBodyText: JSON.stringify({ object: 'error', status, code, message }),
    additional_data: undefined,
    request_id: 'req-1',
  });
}

function fetchFailed(cause: unknown) {
  return new TypeError('fetch failed', { cause });
}

function systemError(code: string, message = code) {
  return Object.assign(new Error(message), { code });
}

const local = { baseUrl: 'http://127.0.0.1:9' };

describe('toGatewayError', () => {
  it('explains a rejected token (recorded 401 body)', () => {
    const body = sample('v2025-09-03_error-401_unauthorized.json');
    const err = toGatewayError(apiError(body.status, body.code, body.message));
    expect(err).toBeInstanceOf(NotionGatewayError);
    expect(err.kind).toBe('unauthorized');
    expect(err.status).toBe(401);
    expect(err.code).toBe('unauthorized');
    expect(err.requestId).toBe('req-1');
    expect(err.retryable).toBe(false);
    expect(err.userMessage).toBe(
      'Notion rejected the integration token (401 unauthorized). Check the token in the connection settings.',
    );
    expect(err.message).toBe(err.userMessage);
  });

  it('names the unshared object from the recorded 404 message', () => {
    const body = sample('v2025-09-03_error-404_object_not_found.json');
    const err = toGatewayError(apiError(body.status, body.code, body.message));
    expect(err.kind).toBe('not_found');
    expect(err.objectId).toBe('00000000-0000-0000-0000-000000000000');
    expect(err.userMessage).toMatch(
      /^Page 00000000-0000-0000-0000-000000000000 is not shared with the integration \(404 object_not_found\)\./,
    );
  });

  it('prefers the object named by the caller, and copes without any id', () => {
    const err = toGatewayError(apiError(404, APIErrorCode.ObjectNotFound, 'Not found.'), {
      baseUrl: 'https://api.notion.com',
      objectId: '1234abcd-0000-0000-0000-000000000000',
      objectKind: 'database',
    });
    expect(err.userMessage).toMatch(/^Database 1234abcd-0000-0000-0000-000000000000 is not shared/);
    expect(err.objectId).toBe('1234abcd-0000-0000-0000-000000000000');
    const anonymous = toGatewayError(apiError(404, APIErrorCode.ObjectNotFound, 'Not found.'));
    expect(anonymous.objectId).toBeUndefined();
    expect(anonymous.userMessage).toMatch(/does not exist or is not shared with the integration/);
  });

  it('explains missing capabilities (403 restricted_resource)', () => {
    const err = toGatewayError(
      apiError(403, APIErrorCode.RestrictedResource, 'Insufficient permissions for this endpoint'),
    );
    expect(err.kind).toBe('forbidden');
    expect(err.userMessage).toBe(
      "The integration is not allowed to do this (403 restricted_resource). Check its capabilities in Notion's integration settings: Insufficient permissions for this endpoint.",
    );
  });

  it('recognises a 403 from the edge proxy', () => {
    const err = toGatewayError(
      new UnknownHTTPResponseError({
        status: 403,
        message: undefined,
        headers: new Headers({ 'cf-ray': 'abc123', 'content-type': 'text/html' }),
        rawBodyText: '<html>blocked</html>',
      }),
      { baseUrl: 'https://api.notion.com' },
    );
    expect(err.kind).toBe('forbidden');
    expect(err.userMessage).toBe(
      "Notion's edge proxy refused the request to https://api.notion.com/ (403, Cloudflare ray abc123).",
    );
  });

  it('reports bad requests with Notion’s own explanation', () => {
    const err = toGatewayError(apiError(400, APIErrorCode.ValidationError, 'body.filter should be an object'));
    expect(err.kind).toBe('bad_request');
    expect(err.userMessage).toBe('Notion rejected the request (400 validation_error): body.filter should be an object.');
    const bare = toGatewayError(apiError(400, APIErrorCode.InvalidJSON, ''));
    expect(bare.userMessage).toBe('Notion rejected the request (400 invalid_json).');
  });

  it('carries Retry-After on rate limits', () => {
    const err = toGatewayError(apiError(429, APIErrorCode.RateLimited, 'Rate limited', { 'Retry-After': '30' }));
    expect(err.kind).toBe('rate_limited');
    expect(err.retryAfterMs).toBe(30_000);
    expect(err.retryable).toBe(true);
    expect(err.userMessage).toMatch(/^Notion rate limit reached \(429 rate_limited\).*wait 30 s\.$/);
    const overload = toGatewayError(apiError(529, APIErrorCode.ServiceOverload, 'Overloaded'));
    expect(overload.kind).toBe('rate_limited');
    expect(overload.retryAfterMs).toBeUndefined();
    expect(overload.userMessage).toMatch(/^Notion is overloaded \(529 service_overload\)/);
  });

  it('reports outages as unavailable', () => {
    const err = toGatewayError(apiError(503, APIErrorCode.ServiceUnavailable, 'Notion is unavailable'));
    expect(err.kind).toBe('unavailable');
    expect(err.retryable).toBe(true);
    expect(err.userMessage).toBe(
      'The Notion API is temporarily unavailable (503 service_unavailable). Try again later: Notion is unavailable.',
    );
    const html = toGatewayError(
      new UnknownHTTPResponseError({
        status: 502,
        message: undefined,
        headers: {},
        rawBodyText: '<html>Bad gateway</html>',
      }),
      { baseUrl: 'https://example.test/notion/' },
    );
    expect(html.kind).toBe('unavailable');
    expect(html.userMessage).toBe(
      'The Notion API at https://example.test/notion/ answered HTTP 502 with an unexpected (non-JSON) body. Try again later.',
    );
  });

  it('treats other odd statuses as bad requests', () => {
    const err = toGatewayError(
      new UnknownHTTPResponseError({ status: 418, message: undefined, headers: {}, rawBodyText: 'teapot' }),
    );
    expect(err.kind).toBe('bad_request');
    expect(err.userMessage).toBe('The Notion API at https://api.notion.com/ answered HTTP 418 with an unexpected body.');
  });

  it('explains timeouts and client-side refusals', () => {
    const timeout = toGatewayError(new RequestTimeoutError(), local);
    expect(timeout.kind).toBe('network');
    expect(timeout.userMessage).toBe('The Notion API at http://127.0.0.1:9/ did not answer in time (request timed out).');
    const path = toGatewayError(new InvalidPathParameterError());
    expect(path.kind).toBe('bad_request');
    expect(path.userMessage).toMatch(/^The request to Notion was refused before it was sent: Path parameter/);
  });

  it.each([
    [fetchFailed(systemError('ECONNREFUSED', 'connect ECONNREFUSED 127.0.0.1:9')), 'connection refused'],
    [fetchFailed(systemError('ENOTFOUND', 'getaddrinfo ENOTFOUND x')), 'host name not found (DNS lookup failed)'],
    [fetchFailed(new Error('bad port')), 'port 9 is blocked by fetch ("bad port"); use another port'],
    [
      fetchFailed(Object.assign(new AggregateError([systemError('ECONNREFUSED')]), { message: 'x' })),
      'connection refused',
    ],
    [systemError('ECONNRESET', 'read ECONNRESET'), 'connection reset'],
    [fetchFailed(systemError('EWEIRD', 'something odd')), 'something odd (EWEIRD)'],
    [fetchFailed(new Error('other socket trouble')), 'other socket trouble'],
    [fetchFailed(undefined), 'fetch failed'],
    [new DOMException('This operation was aborted', 'AbortError'), 'the request was aborted'],
  ])('explains network failures (%#)', (error, reason) => {
    const err = toGatewayError(error, local);
    expect(err.kind).toBe('network');
    expect(err.retryable).toBe(true);
    expect(err.userMessage).toBe(`Cannot reach the Notion API at http://127.0.0.1:9/: ${reason}.`);
    expect(err.cause).toBe(error);
  });

  it('maps anything else to unavailable and passes gateway errors through', () => {
    const err = toGatewayError(new SyntaxError('Unexpected token < in JSON'));
    expect(err.kind).toBe('unavailable');
    expect(err.userMessage).toBe(
      'Unexpected answer from the Notion API at https://api.notion.com/: Unexpected token < in JSON',
    );
    expect(toGatewayError('boom').userMessage).toMatch(/: boom$/);
    expect(toGatewayError(err)).toBe(err);
    expect(toGatewayError(new Error('x'), { baseUrl: 'not a url' }).userMessage).toMatch(/at not a url:/);
  });
});

describe('NotionGatewayError.failureClass', () => {
  it.each([
    [apiError(401, APIErrorCode.Unauthorized, 'API token is invalid.'), 'unauthorized', 'run'],
    [apiError(404, APIErrorCode.ObjectNotFound, 'Not found.'), 'item', 'item'],
    [apiError(403, APIErrorCode.RestrictedResource, 'No.'), 'item', 'item'],
    [apiError(400, APIErrorCode.ValidationError, 'Bad.'), 'item', 'item'],
    [apiError(429, APIErrorCode.RateLimited, 'Slow down.'), 'rate_limited', 'retry'],
    [apiError(503, APIErrorCode.ServiceUnavailable, 'Down.'), 'transient', 'retry'],
    [fetchFailed(systemError('ECONNRESET')), 'transient', 'retry'],
  ] as const)('classifies %s as %s (reaching the %s)', (error, failureClass, scope) => {
    const err = toGatewayError(error, local);
    expect(err.failureClass).toBe(failureClass);
    expect(scopeOf(err.failureClass)).toBe(scope);
    // The shared classification takes the gateway's word for it, message included.
    expect(classifyError(err)).toMatchObject({ class: failureClass, message: err.userMessage });
  });
});
