import { APIErrorCode, APIResponseError } from '@notionhq/client';
import { describe, expect, it } from 'vitest';
import { NotionGatewayError } from '@/server/notion/errors';
import { FatalExportError, fatalFrom, itemFailure } from './export-errors';

const BASE = 'http://127.0.0.1:9';
const PAGE = '1234abcd-0000-0000-0000-000000000000';

function apiError(status: number, code: APIErrorCode, message: string) {
  return new APIResponseError({
    status,
    code,
    message,
    headers: new Headers(),
    rawBodyText: JSON.stringify({ object: 'error', status, code, message }),
    additional_data: undefined,
    request_id: 'req-1',
  });
}
const systemError = (code: string, message: string) => Object.assign(new Error(message), { code });
const fetchFailed = (code: string) => new TypeError('fetch failed', { cause: systemError(code, `connect ${code}`) });

describe('itemFailure', () => {
  it.each([
    ['404 object_not_found', apiError(404, APIErrorCode.ObjectNotFound, 'Could not find page.'), 'object_not_found'],
    ['403 restricted_resource', apiError(403, APIErrorCode.RestrictedResource, 'No access.'), 'restricted_resource'],
    ['400 validation_error', apiError(400, APIErrorCode.ValidationError, 'Bad block.'), 'validation_error'],
  ])('fails only the item on %s, naming it', (_name, error, code) => {
    const failure = itemFailure(error, BASE, PAGE);
    expect(failure).toBeInstanceOf(NotionGatewayError);
    expect(failure?.code).toBe(code);
    expect(failure?.objectId).toBe(PAGE);
  });

  it.each([
    ['a refused token', apiError(401, APIErrorCode.Unauthorized, 'API token is invalid.')],
    ['an outage', apiError(503, APIErrorCode.ServiceUnavailable, 'Down.')],
    ['a network failure', fetchFailed('ECONNRESET')],
    ['a full disk', systemError('ENOSPC', 'ENOSPC: no space left on device')],
    ['a bug', new TypeError('fetchAll is not a function')],
  ])('lets %s stop the export', (_name, error) => {
    expect(itemFailure(error, BASE, PAGE)).toBeUndefined();
  });
});

describe('fatalFrom', () => {
  it.each([
    [
      'a refused token pauses for the token',
      apiError(401, APIErrorCode.Unauthorized, 'API token is invalid.'),
      { pause: 'auth', retryable: true },
      'Notion rejected the integration token (401 unauthorized). Check the token in the connection settings. The export is paused; it resumes once the connection works again.',
    ],
    [
      'a full disk pauses for the disk',
      systemError('ENOSPC', "ENOSPC: no space left on device, write '/x'"),
      { pause: 'disk', retryable: true },
      "The disk is full (ENOSPC: no space left on device, write '/x'). The export is paused and nothing written so far is lost; free some space, then resume it.",
    ],
    [
      'an exceeded quota pauses for the disk',
      systemError('EDQUOT', 'EDQUOT: disk quota exceeded'),
      { pause: 'disk', retryable: true },
      'The disk is full (EDQUOT: disk quota exceeded). The export is paused and nothing written so far is lost; free some space, then resume it.',
    ],
    [
      'a read-only folder fails for good',
      systemError('EROFS', "EROFS: read-only file system, open '/x'"),
      { pause: undefined, retryable: false },
      "Cannot write the export: EROFS: read-only file system, open '/x'",
    ],
    [
      'a refused write fails for good',
      systemError('EACCES', "EACCES: permission denied, open '/x'"),
      { pause: undefined, retryable: false },
      "Cannot write the export: EACCES: permission denied, open '/x'",
    ],
    [
      'a network failure fails, retryably, saying where',
      fetchFailed('ECONNREFUSED'),
      { pause: undefined, retryable: true },
      'Cannot reach the Notion API at http://127.0.0.1:9/: connection refused.',
    ],
    [
      'an outage fails, retryably',
      apiError(503, APIErrorCode.ServiceUnavailable, 'Down'),
      { pause: undefined, retryable: true },
      'The Notion API is temporarily unavailable (503 service_unavailable). Try again later: Down.',
    ],
    [
      'an unshared root fails, retryably',
      apiError(404, APIErrorCode.ObjectNotFound, 'Not found.'),
      { pause: undefined, retryable: true },
      'The requested Notion object does not exist or is not shared with the integration (404 object_not_found). Share it with the integration in Notion (••• → Connections).',
    ],
    ['a bug fails, retryably, with its message', new RangeError('index out of range'), { pause: undefined, retryable: true }, 'index out of range'],
    ['a thrown string', 'boom', { pause: undefined, retryable: true }, 'boom'],
  ])('%s', (_name, error, expected, message) => {
    const fatal = fatalFrom(error, BASE);
    expect({ pause: fatal.pause, retryable: fatal.retryable }).toEqual(expected);
    expect(fatal.message).toBe(message);
  });

  it('keeps a decision already made', () => {
    const decided = new FatalExportError('stop', false);
    expect(fatalFrom(decided, BASE)).toBe(decided);
  });

  it('names the real API when the connection had no base URL yet', () => {
    expect(fatalFrom(fetchFailed('ECONNRESET'), undefined).message).toBe('Cannot reach the Notion API at https://api.notion.com/: connection reset.');
  });
});
