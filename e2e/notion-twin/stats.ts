/** What the twin counts about the requests it answers, and its optional log of API requests. */
import type { Reply } from './replies';

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

/** One API request as the twin received and answered it (kept with `TwinOptions.recordRequests`). */
export interface TwinRequest {
  method: string;
  /** Path and query string as sent, e.g. `/v1/blocks/…/children?page_size=100`. */
  path: string;
  /** SDK method name of the route (`unknown` when none matched). */
  endpoint: string;
  /** The `Notion-Version` header, or null when it was missing. */
  notionVersion: string | null;
  /** The request body: parsed JSON, the text when it is not JSON, null when empty. */
  body: unknown;
  /** The status answered; null when the connection was dropped without an answer. */
  status: number | null;
}

function emptyStats(): TwinStats {
  return { requests: 0, byEndpoint: {}, byStatus: {}, rateLimited: 0, unauthorized: 0, notFound: 0, faultsInjected: 0, fileDownloads: 0, staleFileAnswers: 0, byId: {}, maxInFlight: 0 };
}

function count(map: Record<string, number>, key: string): void {
  map[key] = (map[key] ?? 0) + 1;
}

function parsedBody(text: string): unknown {
  if (text.trim() === '') return null;
  try {
    return JSON.parse(text);
  } catch {
    return text;
  }
}

export class TwinCounters {
  private stats = emptyStats();
  private log: TwinRequest[] = [];
  private inFlight = 0;

  constructor(private readonly recordRequests: boolean) {}

  snapshot(): TwinStats {
    return structuredClone(this.stats);
  }

  requests(): TwinRequest[] {
    return structuredClone(this.log);
  }

  /** Starts the counters and the log afresh. */
  reset(): void {
    this.stats = emptyStats();
    this.log = [];
  }

  /** An API request arrived (it stays in flight until `apiRequestDone`). */
  apiRequestStarted(endpoint: string): void {
    this.stats.requests++;
    count(this.stats.byEndpoint, endpoint);
    this.inFlight++;
    this.stats.maxInFlight = Math.max(this.stats.maxInFlight, this.inFlight);
  }

  apiRequestDone(): void {
    this.inFlight--;
  }

  /** An API request named this object (dashed id). */
  objectRequested(id: string): void {
    count(this.stats.byId, id);
  }

  faultInjected(): void {
    this.stats.faultsInjected++;
  }

  /** The answer to an API request, counted by status and logged when requests are recorded. */
  apiReplied(request: Omit<TwinRequest, 'body' | 'status'> & { bodyText: string }, reply: Reply): void {
    const status = reply.type === 'reset' ? null : reply.status;
    if (status !== null) {
      count(this.stats.byStatus, String(status));
      if (status === 401) this.stats.unauthorized++;
      else if (status === 404) this.stats.notFound++;
      else if (status === 429) this.stats.rateLimited++;
    }
    if (this.recordRequests) {
      const { bodyText, ...rest } = request;
      this.log.push({ ...rest, body: parsedBody(bodyText), status });
    }
  }

  fileDownloaded(stale: boolean): void {
    this.stats.fileDownloads++;
    if (stale) this.stats.staleFileAnswers++;
  }
}
