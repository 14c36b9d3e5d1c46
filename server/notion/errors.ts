import {
  APIErrorCode,
  APIResponseError,
  ClientErrorCode,
  DEFAULT_BASE_URL,
  isNotionClientError,
  UnknownHTTPResponseError,
} from '@notionhq/client';
import {
  BAD_PORT,
  type Classified,
  classifyError,
  classifyStatus,
  type FailureClass,
  isTransient,
  parseRetryAfter,
  readHeader,
} from '@/server/retry/classify';

/**
 * Set by our retrying fetch on the answer it hands back once the retry budget ran out: how many
 * attempts were made. `toGatewayError` puts the number in its message.
 */
export const ATTEMPTS_HEADER = 'x-notion-sync-attempts';

export type NotionGatewayErrorKind =
  | 'unauthorized'
  | 'not_found'
  | 'forbidden'
  | 'bad_request'
  | 'rate_limited'
  | 'unavailable'
  | 'network';

export interface NotionGatewayErrorInit {
  kind: NotionGatewayErrorKind;
  userMessage: string;
  status?: number;
  code?: string;
  objectId?: string;
  requestId?: string;
  retryAfterMs?: number;
  /** HTTP attempts made before giving up (when the retry budget ran out). */
  attempts?: number;
  cause?: unknown;
}

/** The class of each kind (see server/retry/classify.ts). */
const KIND_CLASS: Record<NotionGatewayErrorKind, FailureClass> = {
  unauthorized: 'unauthorized',
  not_found: 'item',
  forbidden: 'item',
  bad_request: 'item',
  rate_limited: 'rate_limited',
  unavailable: 'transient',
  network: 'transient',
};

/** A Notion API failure with a message a person can act on. */
export class NotionGatewayError extends Error implements Classified {
  override readonly name = 'NotionGatewayError';
  readonly kind: NotionGatewayErrorKind;
  readonly status?: number;
  readonly code?: string;
  readonly objectId?: string;
  readonly requestId?: string;
  /** From `Retry-After` on 429/529 answers. */
  readonly retryAfterMs?: number;
  /** HTTP attempts made before giving up, when the retry budget ran out. */
  readonly attempts?: number;
  readonly userMessage: string;

  constructor(init: NotionGatewayErrorInit) {
    super(init.userMessage, init.cause === undefined ? undefined : { cause: init.cause });
    this.kind = init.kind;
    this.userMessage = init.userMessage;
    this.status = init.status;
    this.code = init.code;
    this.objectId = init.objectId;
    this.requestId = init.requestId;
    this.retryAfterMs = init.retryAfterMs;
    this.attempts = init.attempts;
  }

  /** Unauthorized: the run stops; not found, forbidden, bad request: the one object fails; the rest are transient. */
  get failureClass(): FailureClass {
    return KIND_CLASS[this.kind];
  }

  /** Whether trying again later can succeed (rate limits, outages, network trouble). */
  get retryable(): boolean {
    return isTransient(this.failureClass);
  }
}

export interface GatewayErrorContext {
  baseUrl: string;
  objectId?: string;
  /** Names the object in messages, e.g. 'page', 'database', 'data source', 'block'. */
  objectKind?: string;
}

function displayUrl(baseUrl: string): string {
  try {
    return new URL(baseUrl).href;
  } catch {
    return baseUrl;
  }
}

const NOT_FOUND_PATTERN = /Could not find (\w+(?: \w+)?) with ID:? ([0-9a-fA-F-]{32,36})/;

function capitalise(text: string): string {
  return text.charAt(0).toUpperCase() + text.slice(1);
}

function notFoundMessage(apiMessage: string, context: GatewayErrorContext | undefined): { text: string; id?: string } {
  const match = NOT_FOUND_PATTERN.exec(apiMessage);
  const id = context?.objectId ?? match?.[2];
  const kind = context?.objectKind ?? match?.[1] ?? 'object';
  if (!id) {
    return {
      text: 'The requested Notion object does not exist or is not shared with the integration (404 object_not_found). Share it with the integration in Notion (••• → Connections).',
    };
  }
  return {
    id,
    text: `${capitalise(kind)} ${id} is not shared with the integration (404 object_not_found). Share it with the integration in Notion (••• → Connections), or check that it still exists.`,
  };
}

function withApiMessage(prefix: string, apiMessage: string): string {
  const detail = apiMessage.trim();
  if (!detail) return `${prefix}.`;
  return `${prefix}: ${detail.endsWith('.') ? detail : `${detail}.`}`;
}

function fromHttpError(err: APIResponseError | UnknownHTTPResponseError, context: GatewayErrorContext | undefined) {
  const base = displayUrl(context?.baseUrl ?? DEFAULT_BASE_URL);
  const status = err.status;
  const isApi = APIResponseError.isAPIResponseError(err);
  const code: string | undefined = isApi ? err.code : undefined;
  const apiMessage = isApi ? err.message : '';
  const label = `${status}${code ? ` ${code}` : ''}`;
  const attemptsHeader = Number(readHeader(err.headers, ATTEMPTS_HEADER));
  const attempts = Number.isInteger(attemptsHeader) && attemptsHeader > 0 ? attemptsHeader : undefined;
  const common = { status, code, requestId: err.request_id, objectId: context?.objectId, attempts, cause: err };
  const retryAfterMs = parseRetryAfter(readHeader(err.headers, 'retry-after'));
  const gaveUp = attempts === undefined ? '' : `; gave up after ${attempts} attempts`;

  if (status === 401 || code === APIErrorCode.Unauthorized) {
    return new NotionGatewayError({
      ...common,
      kind: 'unauthorized',
      userMessage: `Notion rejected the integration token (${label}). Check the token in the connection settings.`,
    });
  }
  if (status === 404 || code === APIErrorCode.ObjectNotFound) {
    const { text, id } = notFoundMessage(apiMessage, context);
    return new NotionGatewayError({ ...common, objectId: id, kind: 'not_found', userMessage: text });
  }
  if (status === 403) {
    const userMessage = isApi
      ? withApiMessage(
          `The integration is not allowed to do this (${label}). Check its capabilities in Notion's integration settings`,
          apiMessage,
        )
      : `Notion's edge proxy refused the request to ${base} (403${err.ray_id ? `, Cloudflare ray ${err.ray_id}` : ''}).`;
    return new NotionGatewayError({ ...common, kind: 'forbidden', userMessage });
  }
  const failureClass = classifyStatus(status, code);
  if (failureClass === 'rate_limited') {
    const wait = retryAfterMs === undefined ? '' : ` Notion asked to wait ${Math.ceil(retryAfterMs / 1000)} s.`;
    const what =
      status === 529 || code === APIErrorCode.ServiceOverload ? 'Notion is overloaded' : 'Notion rate limit reached';
    return new NotionGatewayError({
      ...common,
      retryAfterMs,
      kind: 'rate_limited',
      userMessage: `${what} (${label}); requests were retried until the retry budget ran out${attempts === undefined ? '' : ` (${attempts} attempts)`}.${wait}`,
    });
  }
  if (failureClass === 'transient') {
    const userMessage = isApi
      ? withApiMessage(`The Notion API is temporarily unavailable (${label})${gaveUp}. Try again later`, apiMessage)
      : `The Notion API at ${base} answered HTTP ${status} with an unexpected (non-JSON) body${err.ray_id ? ` (Cloudflare ray ${err.ray_id})` : ''}${gaveUp}. Try again later.`;
    return new NotionGatewayError({ ...common, kind: 'unavailable', userMessage });
  }
  const userMessage = isApi
    ? withApiMessage(`Notion rejected the request (${label})`, apiMessage)
    : `The Notion API at ${base} answered HTTP ${status} with an unexpected body.`;
  return new NotionGatewayError({ ...common, kind: 'bad_request', userMessage });
}

/** Why a Notion call could not reach the API, in words, from the classified `reason`. */
function networkReason(err: unknown, reason: string, baseUrl: string): string {
  if (reason === BAD_PORT) {
    let port = '';
    try {
      port = ` ${new URL(baseUrl).port}`;
    } catch {
      // keep the generic wording
    }
    return `port${port} is blocked by fetch ("bad port"); use another port`;
  }
  if (err instanceof Error && err.name === 'AbortError') return 'the request was aborted';
  return reason;
}

/** Turns anything a Notion call can throw into a NotionGatewayError with a clear, human message. */
export function toGatewayError(err: unknown, context?: GatewayErrorContext): NotionGatewayError {
  if (err instanceof NotionGatewayError) return err;
  const baseUrl = context?.baseUrl ?? DEFAULT_BASE_URL;
  const base = displayUrl(baseUrl);
  if (isNotionClientError(err)) {
    if (APIResponseError.isAPIResponseError(err) || UnknownHTTPResponseError.isUnknownHTTPResponseError(err)) {
      return fromHttpError(err, context);
    }
    if (err.code === ClientErrorCode.RequestTimeout) {
      return new NotionGatewayError({
        kind: 'network',
        code: err.code,
        objectId: context?.objectId,
        cause: err,
        userMessage: `The Notion API at ${base} did not answer in time (request timed out).`,
      });
    }
    return new NotionGatewayError({
      kind: 'bad_request',
      code: err.code,
      objectId: context?.objectId,
      cause: err,
      userMessage: withApiMessage('The request to Notion was refused before it was sent', err.message),
    });
  }
  const failure = classifyError(err);
  const aborted = err instanceof Error && err.name === 'AbortError';
  if (failure.source === 'network' || aborted) {
    return new NotionGatewayError({
      kind: 'network',
      code: failure.code,
      objectId: context?.objectId,
      cause: err,
      userMessage: `Cannot reach the Notion API at ${base}: ${networkReason(err, failure.reason, baseUrl)}.`,
    });
  }
  const message = err instanceof Error ? err.message : String(err);
  return new NotionGatewayError({
    kind: 'unavailable',
    objectId: context?.objectId,
    cause: err,
    userMessage: `Unexpected answer from the Notion API at ${base}: ${message}`,
  });
}
