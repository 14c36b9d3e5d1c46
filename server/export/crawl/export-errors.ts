import { DEFAULT_BASE_URL, isNotionClientError } from '@notionhq/client';
import { NotionGatewayError, toGatewayError } from '@/server/notion/errors';
import { classifyError, runStopOf } from '@/server/retry/classify';

/**
 * What a failure means for an export, on top of the shared classification
 * (server/retry/classify.ts): one item fails and the export goes on, or the whole export stops.
 */

/** An error that ends the whole export (as opposed to one page that cannot be read). */
export class FatalExportError extends Error {
  constructor(
    message: string,
    readonly retryable: boolean,
    /** Pause instead of failing: someone has to fix the token or free disk space first. */
    readonly pause?: 'auth' | 'disk',
  ) {
    super(message);
  }
}

/**
 * The Notion error behind a failed Notion call, with the message it deserves: the SDK's errors
 * and the network failures its fetch rethrows (recognised by their codes and causes).
 */
function notionError(error: unknown, baseUrl: string | undefined, objectId?: string): NotionGatewayError | undefined {
  if (error instanceof NotionGatewayError) return error;
  if (isNotionClientError(error) || classifyError(error).source === 'network') {
    return toGatewayError(error, { baseUrl: baseUrl ?? DEFAULT_BASE_URL, objectId });
  }
  return undefined;
}

/**
 * The Notion error that makes one item fail while the export goes on (not found, not shared,
 * refused), or undefined when `error` must stop the export instead.
 */
export function itemFailure(error: unknown, baseUrl: string | undefined, itemId: string): NotionGatewayError | undefined {
  const notion = notionError(error, baseUrl, itemId);
  return notion?.failureClass === 'item' ? notion : undefined;
}

/**
 * How an error that stopped the export ends it, with the message to show: paused for a refused
 * token or a full disk, failed for good when the export cannot be written, otherwise failed in a
 * way that can be retried.
 */
export function fatalFrom(input: unknown, baseUrl: string | undefined): FatalExportError {
  if (input instanceof FatalExportError) return input;
  const failure = classifyError(notionError(input, baseUrl) ?? input);
  const { pause, retryable } = runStopOf(failure.class);
  switch (failure.class) {
    case 'unauthorized':
      return new FatalExportError(`${failure.message} The export is paused; it resumes once the connection works again.`, retryable, pause);
    case 'disk_full':
      return new FatalExportError(
        `The disk is full (${failure.message}). The export is paused and nothing written so far is lost; free some space, then resume it.`,
        retryable,
        pause,
      );
    case 'unwritable':
      return new FatalExportError(`Cannot write the export: ${failure.message}`, retryable);
    default:
      return new FatalExportError(failure.message, retryable);
  }
}
