/**
 * Failures the twin answers with instead of the real response: queued faults (each for the next N
 * matching requests) and random ones (chaos, seeded). Error bodies have Notion's shape and codes.
 */
import { APIErrorCode } from '@notionhq/client';
import { hashInts, Rng } from './ids';
import { apiError, type Reply } from './replies';

/** A `code` of Notion's error bodies, as the SDK's `APIErrorCode` lists them. */
export type NotionErrorCode = `${APIErrorCode}`;

/** A failure the twin can answer with instead of the real response. */
export type TwinFault =
  /**
   * A JSON Notion error, e.g. `{ kind: 'error', status: 503 }`, or 429/529 with `retryAfterSeconds`
   * (sent as `Retry-After`). `code` and `message` default to what Notion sends with that status.
   */
  | { kind: 'error'; status: number; code?: NotionErrorCode; message?: string; retryAfterSeconds?: number }
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

/** Random faults: each API request fails with `probability`, with a fault picked from `faults`. */
export interface ChaosOptions {
  probability: number;
  faults: TwinFault[];
  /** Seed of the picks. Default: the workspace's seed. */
  seed?: number;
}

/** The code and message Notion sends with each error status. */
const NOTION_ERRORS: Record<number, { code: APIErrorCode; message: string }> = {
  400: { code: APIErrorCode.ValidationError, message: 'The request body does not match the schema for the expected parameters.' },
  401: { code: APIErrorCode.Unauthorized, message: 'API token is invalid.' },
  403: { code: APIErrorCode.RestrictedResource, message: 'Insufficient permissions for this endpoint.' },
  404: {
    code: APIErrorCode.ObjectNotFound,
    message: 'Could not find the requested object. Make sure the relevant pages and databases are shared with your integration.',
  },
  409: { code: APIErrorCode.ConflictError, message: 'Conflict occurred while saving. Please try again.' },
  429: { code: APIErrorCode.RateLimited, message: 'You have been rate limited. Please try again in a few minutes.' },
  500: { code: APIErrorCode.InternalServerError, message: 'Unexpected error occurred.' },
  502: { code: APIErrorCode.InternalServerError, message: 'Bad gateway.' },
  503: {
    code: APIErrorCode.ServiceUnavailable,
    message: 'Notion is unavailable. This can occur when the time to respond to a request takes longer than 60 seconds, the maximum request timeout.',
  },
  504: { code: APIErrorCode.GatewayTimeout, message: 'Notion timed out while attempting to complete this request. Please try again later.' },
  529: { code: APIErrorCode.ServiceOverload, message: 'Notion is currently overloaded. Please try again later.' },
};

const UNEXPECTED = NOTION_ERRORS[500];

const ERROR_CODES: ReadonlySet<string> = new Set(Object.values(APIErrorCode));

export function isNotionErrorCode(code: unknown): code is NotionErrorCode {
  return typeof code === 'string' && ERROR_CODES.has(code);
}

/** The message Notion sends with `code`: the one of `status` when it has that code, else the code's usual one. */
function messageFor(status: number, code: NotionErrorCode): string {
  if (NOTION_ERRORS[status]?.code === code) return NOTION_ERRORS[status].message;
  return Object.values(NOTION_ERRORS).find((e) => e.code === code)?.message ?? UNEXPECTED.message;
}

/** The reply a fault stands for; null for `delay` (the real answer follows, late). */
export function faultReply(fault: TwinFault): Reply | null {
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
      const code = fault.code ?? NOTION_ERRORS[fault.status]?.code ?? UNEXPECTED.code;
      const headers = fault.retryAfterSeconds !== undefined ? { 'Retry-After': String(fault.retryAfterSeconds) } : undefined;
      return apiError(fault.status, code, fault.message ?? messageFor(fault.status, code), { headers });
    }
    case 'delay':
      return null;
  }
}

/**
 * A fault from JSON (the control API's `fault`), or a message saying what is wrong with it.
 */
export function parseFault(f: Record<string, unknown>): TwinFault | string {
  if (f.kind === 'reset') return { kind: 'reset' };
  if (f.kind === 'delay' && typeof f.ms === 'number') return { kind: 'delay', ms: f.ms };
  if (f.kind === 'html' && typeof f.status === 'number') return { kind: 'html', status: f.status };
  if (f.kind === 'error' && typeof f.status === 'number') {
    const code = f.code === undefined || isNotionErrorCode(f.code) ? f.code : null;
    if (code === null) return `unknown error code ${JSON.stringify(f.code)} (expected one of ${[...ERROR_CODES].join(', ')})`;
    return {
      kind: 'error',
      status: f.status,
      code,
      message: typeof f.message === 'string' ? f.message : undefined,
      retryAfterSeconds: typeof f.retryAfterSeconds === 'number' ? f.retryAfterSeconds : undefined,
    };
  }
  return 'unknown fault';
}

/** The queued faults, served in order to the requests they match, then chaos. */
export class FaultInjector {
  private readonly queue: Array<{ fault: TwinFault; remaining: number; endpoint?: string }> = [];
  private readonly chaos: (ChaosOptions & { rng: Rng }) | null;

  constructor(chaos: ChaosOptions | null | undefined, workspaceSeed: number) {
    this.chaos = chaos && chaos.probability > 0 ? { ...chaos, rng: new Rng(hashInts(chaos.seed ?? workspaceSeed, 0xc4a05)) } : null;
  }

  inject(fault: TwinFault, options: FaultOptions = {}): void {
    this.queue.push({ fault, remaining: options.times ?? 1, endpoint: options.endpoint });
  }

  clear(): void {
    this.queue.length = 0;
  }

  /** The fault for a request to `endpoint`, if any (spends one of its `times`). */
  take(endpoint: string): TwinFault | null {
    const i = this.queue.findIndex((f) => f.endpoint === undefined || f.endpoint === endpoint);
    if (i >= 0) {
      const rule = this.queue[i];
      rule.remaining--;
      if (rule.remaining <= 0) this.queue.splice(i, 1);
      return rule.fault;
    }
    const chaos = this.chaos;
    if (chaos && chaos.faults.length > 0 && chaos.rng.chance(chaos.probability)) return chaos.rng.pick(chaos.faults);
    return null;
  }
}
