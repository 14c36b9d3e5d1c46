import { NotionGatewayError } from '@/server/notion/errors';

export type DomainErrorCode = 'NOT_FOUND' | 'CONFLICT' | 'INVALID_STATE' | 'UPSTREAM' | 'BAD_INPUT';

/** The one error type the API maps to a response; `message` is meant for people. */
export class DomainError extends Error {
  constructor(
    readonly code: DomainErrorCode,
    message: string,
  ) {
    super(message);
    this.name = 'DomainError';
  }

  static fromUpstream(error: unknown): DomainError {
    if (error instanceof DomainError) return error;
    if (error instanceof NotionGatewayError) return new DomainError('UPSTREAM', error.userMessage);
    return new DomainError('UPSTREAM', error instanceof Error ? error.message : String(error));
  }
}

const HTTP_STATUS: Record<DomainErrorCode, number> = {
  NOT_FOUND: 404,
  CONFLICT: 409,
  INVALID_STATE: 409,
  UPSTREAM: 502,
  BAD_INPUT: 400,
};

/** The answer of a route handler (download, health…) to a DomainError; other errors are rethrown. */
export function domainErrorResponse(error: unknown): Response {
  if (!(error instanceof DomainError)) throw error;
  return Response.json({ error: error.message }, { status: HTTP_STATUS[error.code] });
}
