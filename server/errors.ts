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
