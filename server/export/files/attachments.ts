import { createHash, randomBytes } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { mkdir, open, readdir, rename, rm, stat } from 'node:fs/promises';
import path from 'node:path';
import { withSpan } from '@/server/observability/spans';
import { backoffDelay } from '@/server/retry/backoff';
import { sleep } from '@/server/retry/sleep';
import { type Classified, classifyError, classifyResponse, isTransient } from '@/server/retry/classify';
import { TEMP_FILE_PATTERN } from './atomic-write';
import { safeAttachmentName } from './layout';
import { type AddressJudge, type AddressLookup, isPublicAddress, NonPublicAddressError, nonPublicReason } from './public-address';
import { requestPublic } from './public-request';

/** Folder (relative to the export root) that holds downloaded files. */
export const ATTACHMENTS_DIR = 'attachments';

export interface AttachmentRef {
  url: string;
  /** `file`: Notion-hosted, signed URL that expires; `external`: a link the user pasted. */
  kind: 'file' | 'external';
  /** File name if known (files property item, file block's `name`). */
  name?: string;
  /** Block or page id the URL was read from. */
  sourceId: string;
  /** `file.expiry_time` (ISO 8601). */
  expiryTime?: string;
}

export interface SavedAttachment {
  /** Relative to the export root, posix: `attachments/<16 hex of sha256>/<safe name>`. */
  path: string;
  bytes: number;
  sha256: string;
  sourceId: string;
  contentType?: string;
}

export interface AttachmentStats {
  /** Saves that wrote a new file. */
  saved: number;
  /** Saves answered by a file already in the export (same content, or the same file already downloaded). */
  deduplicated: number;
  /** Bytes of the new files. */
  bytes: number;
  /** Saves that threw an `AttachmentError` (skipped external links not included). */
  failed: number;
  /** External links not downloaded because they are no file: a web page, or larger than the cap. */
  skipped: number;
  /** Fresh URLs obtained through `refresh`. */
  refreshed: number;
}

export interface AttachmentStoreOptions {
  /** Absolute folder of the export; files go to `<root>/attachments/`. */
  root: string;
  /** Also download `external` links (default false: they stay links and `save` returns undefined). */
  downloadExternal?: boolean;
  /**
   * The largest external file downloaded (default DEFAULT_MAX_EXTERNAL_BYTES): one whose
   * Content-Length says more is not fetched, one without it is cut off there. Notion-hosted files
   * are what people uploaded and are always saved whole.
   */
  maxExternalBytes?: number;
  /**
   * External links are fetched only from public addresses, redirects included (default true; see
   * `public-address.ts`). Off only where every address is the operator's own: development and the
   * demo, whose Notion twin serves its files on the loopback.
   */
  publicAddressesOnly?: boolean;
  /** Resolves a host's addresses for that check and for the connection (default: the system's resolver). */
  lookup?: AddressLookup;
  /**
   * Which addresses count as public for that check (default: `isPublicAddress`). Only tests change
   * it, to let a server on the loopback stand in for a public host.
   */
  isPublicAddress?: AddressJudge;
  /** Downloads running at once (default 4). Its own pool: file hosts are outside the Notion API budget. */
  concurrency?: number;
  /**
   * Asks for Notion-hosted files, and for external links when `publicAddressesOnly` is off (default:
   * the global fetch). Without it, external links with `publicAddressesOnly` go through
   * `requestPublic`, which checks the address on the connection it makes; given (tests that answer
   * through it), it answers those too, each hop checked before it is asked but not on its
   * connection, since a fetch resolves names itself. The server gives none.
   */
  fetch?: typeof fetch;
  /** An attempt fails after this long without progress (no headers, or no body bytes); default 60 s. */
  timeoutMs?: number;
  /** Attempts for transient failures: 5xx, 408, 429, network errors and timeouts (default 5). */
  maxAttempts?: number;
  baseDelayMs?: number;
  maxDelayMs?: number;
  /** Re-reads the ref's block or page and returns its current URL, or undefined if it is gone. */
  refresh?: (ref: AttachmentRef) => Promise<string | undefined>;
  /** Cancels waiting and running downloads; `save` then rejects with the signal's reason. */
  signal?: AbortSignal;
  /** Backoff waits; the default rejects at once with the signal's reason when the store is aborted. */
  sleep?: (ms: number, signal?: AbortSignal) => Promise<void>;
  random?: () => number;
  now?: () => number;
}

/**
 * A download that failed for good; `message` is safe to show (URLs lose their query, which holds
 * the signature). Whatever the file host answered, only this file is lost: the class is `item`.
 */
export class AttachmentError extends Error implements Classified {
  override readonly name = 'AttachmentError';
  readonly failureClass = 'item';
  readonly ref: AttachmentRef;
  readonly status?: number;

  constructor(message: string, init: { ref: AttachmentRef; status?: number; cause?: unknown }) {
    super(message, init.cause === undefined ? undefined : { cause: init.cause });
    this.ref = init.ref;
    this.status = init.status;
  }
}

/** External files are downloaded up to this size (a video or a disk image linked from a page is not archived). */
export const DEFAULT_MAX_EXTERNAL_BYTES = 100 * 1024 * 1024;

/**
 * An external link that is not downloaded because it is not a file: a web page (a YouTube watch
 * page, an article) or a file larger than the cap. Not a failure: the page keeps the link and the
 * report says why. `message` names the URL without its query.
 */
export class AttachmentSkippedError extends AttachmentError {
  /** Why, in words: `a web page (text/html)`, `larger than 100 MB (…)`. */
  readonly reason: string;

  constructor(ref: AttachmentRef, url: string, reason: string) {
    super(`Not downloaded: ${redact(url)} is ${reason}`, { ref });
    this.reason = reason;
  }
}

/**
 * Hosts whose links are pages that play or show something (a video, a recording), never the file
 * itself: asked for nothing. Other pages are told by their Content-Type.
 */
const PAGE_HOSTS = /(^|\.)(youtube\.com|youtu\.be|youtube-nocookie\.com|vimeo\.com|loom\.com|dailymotion\.com|twitch\.tv)$/i;

/** Content types of pages rather than files. */
const PAGE_TYPES = new Set(['text/html', 'application/xhtml+xml']);

/** Redirects an external download follows, each checked as the link itself is (fetchPublic). */
const REDIRECT_STATUSES = new Set([301, 302, 303, 307, 308]);
const MAX_EXTERNAL_REDIRECTS = 5;

/** What an external link is when it is no file to download (undefined: it may be one). */
function notAFile(url: URL): string | undefined {
  if (PAGE_HOSTS.test(url.hostname)) return `a page of ${url.hostname.replace(/^www\./, '')}, not a file`;
  return undefined;
}

function byteSize(n: number): string {
  return n >= 1024 * 1024 ? `${Math.round((n / (1024 * 1024)) * 10) / 10} MB` : `${Math.round(n / 1024)} KB`;
}

/**
 * Answers from a file host that mean "this signed URL no longer works" (S3 says 403 for an expired
 * signature): for a Notion-hosted file they ask for a fresh URL instead of failing the file.
 */
const REFRESH_STATUSES = new Set([400, 403, 404, 410]);
const MAX_REFRESHES = 2;
/** A URL this close to its `expiry_time` is refreshed before the download starts (clock skew, queueing). */
const EXPIRY_MARGIN_MS = 5_000;
const ERROR_BODY_BYTES = 4096;

interface Stored {
  path: string;
  bytes: number;
  sha256: string;
  contentType?: string;
}

interface Downloaded {
  tempPath: string;
  sha256: string;
  bytes: number;
  contentType?: string;
}

type Attempt =
  | { kind: 'downloaded'; file: Downloaded }
  | { kind: 'expired' }
  | { kind: 'refresh'; status: number; detail: string }
  | { kind: 'retry'; status?: number; reason: string; retryAfterMs?: number; cause?: unknown };

/** `https://host/path` without the query (signatures) or fragment, for messages. */
function redact(url: string): string {
  try {
    const parsed = new URL(url);
    return `${parsed.origin}${parsed.pathname}`;
  } catch {
    return '(invalid URL)';
  }
}

function parseHttpUrl(ref: AttachmentRef, url: string): URL {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    throw new AttachmentError(`Attachment of ${ref.sourceId} has an invalid URL`, { ref });
  }
  if (parsed.protocol !== 'http:' && parsed.protocol !== 'https:') {
    throw new AttachmentError(`Attachment of ${ref.sourceId} is not an http(s) URL (${parsed.protocol})`, { ref });
  }
  return parsed;
}

/** The file's name: `ref.name`, else the URL's last path segment, made safe for every file system. */
function fileNameOf(ref: AttachmentRef, url: URL): string {
  if (ref.name?.trim()) return safeAttachmentName(ref.name);
  const segment = url.pathname.split('/').pop() ?? '';
  let decoded = segment;
  try {
    decoded = decodeURIComponent(segment);
  } catch {
    // keep the raw segment
  }
  return safeAttachmentName(decoded);
}

/**
 * One download per distinct file: Notion-hosted URLs are keyed without their query string, which
 * only carries the signature and changes on every read (the path holds the file's own id).
 */
function downloadKey(ref: AttachmentRef, url: URL): string {
  return ref.kind === 'file' ? `file ${url.origin}${url.pathname}` : `external ${url.href}`;
}

/** `AccessDenied: Request has expired` out of an S3 XML error body, if there is one. */
function describeErrorBody(text: string): string {
  const code = /<Code>([^<]{1,100})<\/Code>/.exec(text)?.[1];
  const message = /<Message>([^<]{1,200})<\/Message>/.exec(text)?.[1];
  return [code, message].filter(Boolean).join(': ');
}

/** A promise that rejects with the signal's reason once it aborts (never unhandled), and a way to stop listening. */
function whenAborted(signal: AbortSignal): { promise: Promise<never>; dispose: () => void } {
  let reject: (reason: unknown) => void = () => undefined;
  const promise = new Promise<never>((_resolve, rejectPromise) => {
    reject = rejectPromise;
  });
  promise.catch(() => undefined);
  const onAbort = () => reject(signal.reason);
  signal.addEventListener('abort', onAbort, { once: true });
  if (signal.aborted) onAbort();
  return { promise, dispose: () => signal.removeEventListener('abort', onAbort) };
}

/** The start of an error body (S3 explains itself in XML); gives up quietly on a stall. */
async function readErrorBody(response: Response, aborted: Promise<never>): Promise<string> {
  if (!response.body) return '';
  const reader = response.body.getReader();
  const chunks: Uint8Array[] = [];
  let size = 0;
  try {
    while (size < ERROR_BODY_BYTES) {
      const { done, value } = await Promise.race([reader.read(), aborted]);
      if (done) break;
      chunks.push(value);
      size += value.byteLength;
    }
  } catch {
    // the error body is only decoration
  } finally {
    reader.cancel().catch(() => undefined);
  }
  return Buffer.concat(chunks).toString('utf8', 0, Math.min(size, ERROR_BODY_BYTES));
}

async function hashFile(absPath: string): Promise<string> {
  const hash = createHash('sha256');
  for await (const chunk of createReadStream(absPath)) hash.update(chunk as Buffer);
  return hash.digest('hex');
}

/** A failure of the body stream (network, timeout) rather than of our disk. */
class BodyReadError extends Error {}

/** A small FIFO semaphore; a finished task hands its slot straight to the next one. */
class Pool {
  private active = 0;
  private readonly waiting: (() => void)[] = [];

  constructor(private size: number) {}

  /** A new size (the setting changed while the export runs): more start at once, or fewer as the running ones end. */
  resize(size: number): void {
    this.size = Math.max(1, size);
    while (this.active < this.size && this.waiting.length > 0) {
      this.active += 1;
      this.waiting.shift()?.();
    }
  }

  async run<T>(task: () => Promise<T>): Promise<T> {
    if (this.active < this.size) this.active += 1;
    else await new Promise<void>((resolve) => this.waiting.push(resolve));
    try {
      return await task();
    } finally {
      // The slot goes to the next in line, unless the pool has shrunk below what is running.
      const next = this.active <= this.size ? this.waiting.shift() : undefined;
      if (next) next();
      else this.active -= 1;
    }
  }
}

/**
 * Downloads the files of one export into `<root>/attachments/<first 16 hex of sha256>/<name>`.
 *
 * Each body is streamed to a temp file (`attachments/.<name>.<12 hex>.tmp`) while it is hashed,
 * then renamed into its content-addressed folder, unless a file with the same content is already
 * there (found in memory, or on disk for a resumed export), in which case the temp is deleted and
 * the existing path returned. Saves of the same file share one download. Expired or refused signed
 * URLs are refreshed through `refresh` (at most twice); 5xx, network errors and stalls are retried
 * with capped exponential backoff and full jitter. Final failures throw `AttachmentError`. No temp
 * file outlives a `save`.
 */
export class AttachmentStore {
  private readonly root: string;
  private readonly dir: string;
  private downloadExternal: boolean;
  private readonly maxExternalBytes: number;
  private readonly publicAddressesOnly: boolean;
  private readonly lookup?: AddressLookup;
  private readonly isPublic: AddressJudge;
  private readonly fetch: typeof fetch;
  /** External links with publicAddressesOnly are asked through `requestPublic` (no `fetch` given). */
  private readonly checkConnections: boolean;
  private readonly timeoutMs: number;
  private readonly maxAttempts: number;
  private readonly baseDelayMs: number;
  private readonly maxDelayMs: number;
  private readonly refresh?: (ref: AttachmentRef) => Promise<string | undefined>;
  private readonly signal?: AbortSignal;
  private readonly sleep: (ms: number, signal?: AbortSignal) => Promise<void>;
  private readonly random: () => number;
  private readonly now: () => number;
  private readonly pool: Pool;
  /** Download key → the file it produced (or is producing). */
  private readonly byKey = new Map<string, Promise<Stored>>();
  /** sha256 → the file holding that content (or being placed). */
  private readonly bySha = new Map<string, Promise<Stored>>();
  private readonly counters: AttachmentStats = { saved: 0, deduplicated: 0, bytes: 0, failed: 0, skipped: 0, refreshed: 0 };

  constructor(options: AttachmentStoreOptions) {
    this.root = path.resolve(options.root);
    this.dir = path.join(this.root, ATTACHMENTS_DIR);
    this.downloadExternal = options.downloadExternal ?? false;
    this.maxExternalBytes = options.maxExternalBytes ?? DEFAULT_MAX_EXTERNAL_BYTES;
    this.publicAddressesOnly = options.publicAddressesOnly ?? true;
    this.lookup = options.lookup;
    this.isPublic = options.isPublicAddress ?? isPublicAddress;
    this.fetch = options.fetch ?? globalThis.fetch.bind(globalThis);
    this.checkConnections = options.fetch === undefined;
    this.timeoutMs = options.timeoutMs ?? 60_000;
    this.maxAttempts = Math.max(1, options.maxAttempts ?? 5);
    this.baseDelayMs = options.baseDelayMs ?? 500;
    this.maxDelayMs = options.maxDelayMs ?? 30_000;
    this.refresh = options.refresh;
    this.signal = options.signal;
    this.sleep = options.sleep ?? sleep;
    this.random = options.random ?? Math.random;
    this.now = options.now ?? Date.now;
    this.pool = new Pool(Math.max(1, options.concurrency ?? 4));
  }

  /**
   * Follows the settings while the export runs: how many files download at once, and whether
   * external links are downloaded (the export's option, while the feature flag allows it).
   */
  tune(change: { concurrency?: number; downloadExternal?: boolean }): void {
    if (change.concurrency !== undefined) this.pool.resize(change.concurrency);
    if (change.downloadExternal !== undefined) this.downloadExternal = change.downloadExternal;
  }

  /**
   * Downloads `ref` (or finds it already downloaded). Returns undefined for an external link when
   * `downloadExternal` is off; throws `AttachmentError` when the file cannot be had, or the
   * signal's reason when the store was aborted.
   */
  async save(ref: AttachmentRef): Promise<SavedAttachment | undefined> {
    if (ref.kind === 'external' && !this.downloadExternal) return undefined;
    try {
      const url = parseHttpUrl(ref, ref.url);
      const page = ref.kind === 'external' ? notAFile(url) : undefined;
      if (page) throw new AttachmentSkippedError(ref, ref.url, page);
      const key = downloadKey(ref, url);
      let stored = this.byKey.get(key);
      const joined = stored !== undefined;
      if (!stored) {
        // Never the URL in the span: a Notion-hosted file's query is its signature.
        const attributes = () => ({ 'notion_sync.attachment.kind': ref.kind, 'server.address': url.hostname });
        const started = withSpan('attachment.download', attributes, async (span) => {
          const file = await this.download(ref, fileNameOf(ref, url));
          span.setAttribute('notion_sync.file.bytes', file.bytes);
          return file;
        });
        stored = started;
        this.byKey.set(key, started);
        // A failed download is forgotten, so a later save (with a fresh URL) tries again; a link
        // that is no file stays what it is, and is not asked for again.
        started.catch((error: unknown) => {
          if (!(error instanceof AttachmentSkippedError) && this.byKey.get(key) === started) this.byKey.delete(key);
        });
      }
      const file = await stored;
      if (joined) this.counters.deduplicated += 1;
      return { ...file, sourceId: ref.sourceId };
    } catch (error) {
      if (this.signal?.aborted) throw this.signal.reason;
      // A full or unwritable disk is the export's trouble, not this file's: it stops the run.
      const { class: failureClass } = classifyError(error);
      if (failureClass === 'disk_full' || failureClass === 'unwritable') throw error;
      if (error instanceof AttachmentSkippedError) {
        this.counters.skipped += 1;
        throw error;
      }
      this.counters.failed += 1;
      if (error instanceof AttachmentError) throw error;
      const message = error instanceof Error ? error.message : String(error);
      throw new AttachmentError(`Cannot save attachment of ${ref.sourceId} (${redact(ref.url)}): ${message}`, {
        ref,
        cause: error,
      });
    }
  }

  stats(): AttachmentStats {
    return { ...this.counters };
  }

  private async download(ref: AttachmentRef, name: string): Promise<Stored> {
    let url = ref.url;
    const expiresAt = ref.expiryTime ? Date.parse(ref.expiryTime) : Number.NaN;
    let checkExpiry = Number.isFinite(expiresAt);
    let refreshes = 0;
    let failures = 0;
    for (;;) {
      this.throwIfAborted();
      const outcome = await this.pool.run(() =>
        checkExpiry && expiresAt - EXPIRY_MARGIN_MS <= this.now()
          ? Promise.resolve<Attempt>({ kind: 'expired' })
          : this.attempt(ref, url, name),
      );
      if (outcome.kind === 'downloaded') return this.place(outcome.file, name);
      if (outcome.kind === 'retry') {
        failures += 1;
        if (failures >= this.maxAttempts) {
          throw new AttachmentError(
            `Cannot download attachment of ${ref.sourceId} (${redact(url)}): ${outcome.reason} after ${failures} attempts`,
            { ref, status: outcome.status, cause: outcome.cause },
          );
        }
        // A host that said how long to wait (429, 503 with Retry-After) is taken at its word, within the ceiling.
        const backoff = backoffDelay(failures, { baseMs: this.baseDelayMs, maxMs: this.maxDelayMs }, this.random);
        await this.sleep(outcome.retryAfterMs === undefined ? backoff : Math.min(outcome.retryAfterMs, this.maxDelayMs), this.signal);
        continue;
      }
      // The URL expired or was refused: ask for a fresh one.
      const why = outcome.kind === 'expired' ? 'its URL expired' : `the file host answered HTTP ${outcome.status}${outcome.detail ? ` (${outcome.detail})` : ''}`;
      const status = outcome.kind === 'expired' ? undefined : outcome.status;
      if (refreshes >= MAX_REFRESHES) {
        throw new AttachmentError(`Cannot download attachment of ${ref.sourceId} (${redact(url)}): ${why}, even after ${refreshes} refreshed URLs`, { ref, status });
      }
      refreshes += 1;
      checkExpiry = false; // the fresh URL's expiry is unknown; the host will tell
      url = await this.refreshUrl(ref, why, status);
    }
  }

  private async refreshUrl(ref: AttachmentRef, why: string, status: number | undefined): Promise<string> {
    const context = `Cannot download attachment of ${ref.sourceId} (${redact(ref.url)}): ${why}`;
    if (!this.refresh) throw new AttachmentError(`${context}, and there is no way to refresh it`, { ref, status });
    let fresh: string | undefined;
    try {
      fresh = await this.refresh(ref);
    } catch (error) {
      this.throwIfAborted();
      const message = error instanceof Error ? error.message : String(error);
      throw new AttachmentError(`${context}, and refreshing it failed: ${message}`, { ref, status, cause: error });
    }
    if (!fresh) {
      throw new AttachmentError(`${context}, and re-reading ${ref.sourceId} gave no new URL (deleted, unshared, or the file was removed)`, {
        ref,
        status,
      });
    }
    parseHttpUrl(ref, fresh);
    this.counters.refreshed += 1;
    return fresh;
  }

  /** One HTTP attempt, streamed to a temp file while hashing. Never leaves the temp file behind unless it returns it. */
  private async attempt(ref: AttachmentRef, url: string, name: string): Promise<Attempt> {
    this.throwIfAborted();
    const controller = new AbortController();
    let timer: ReturnType<typeof setTimeout> | undefined;
    const arm = () => {
      clearTimeout(timer);
      timer = setTimeout(
        () => controller.abort(new DOMException(`no progress for ${this.timeoutMs} ms`, 'TimeoutError')),
        this.timeoutMs,
      );
    };
    // One controller per attempt, aborted by a stall or by the store's signal (listener removed afterwards).
    const { signal } = controller;
    const storeSignal = this.signal;
    const onStoreAbort = () => controller.abort(storeSignal?.reason);
    storeSignal?.addEventListener('abort', onStoreAbort, { once: true });
    const aborted = whenAborted(signal);
    /** A failed request or body: retried when transient (a cut body always is), else the file fails. */
    const failure = (error: unknown, body: boolean): Attempt => {
      this.throwIfAborted();
      if (signal.aborted) return { kind: 'retry', reason: `timed out (${(signal.reason as Error).message})`, cause: error };
      const classified = classifyError(error);
      const reason = classified.code ? `network error ${classified.code}` : `network error (${classified.reason})`;
      if (body || isTransient(classified.class)) return { kind: 'retry', reason, cause: error };
      throw new AttachmentError(`Cannot download attachment of ${ref.sourceId} (${redact(url)}): ${reason}`, { ref, cause: error });
    };
    arm();
    try {
      let response: Response;
      try {
        response = ref.kind === 'external' && this.publicAddressesOnly ? await this.fetchPublic(ref, url, signal) : await this.fetch(url, { signal, redirect: 'follow' });
      } catch (error) {
        if (error instanceof AttachmentSkippedError) throw error;
        return failure(error, false);
      }
      const { status } = response;
      if (!response.ok) {
        const detail = describeErrorBody(await readErrorBody(response, aborted.promise));
        if (ref.kind === 'file' && REFRESH_STATUSES.has(status)) return { kind: 'refresh', status, detail };
        const answer = classifyResponse(response, undefined, this.now());
        if (isTransient(answer.class)) return { kind: 'retry', status, reason: answer.reason, retryAfterMs: answer.retryAfterMs };
        throw new AttachmentError(
          `Cannot download attachment of ${ref.sourceId} (${redact(url)}): the server answered HTTP ${status}${detail ? ` (${detail})` : ''}`,
          { ref, status },
        );
      }
      const limit = ref.kind === 'external' ? this.checkExternal(ref, url, response) : undefined;
      try {
        return { kind: 'downloaded', file: await this.streamToTemp(response, name, arm, aborted.promise, limit) };
      } catch (error) {
        if (error instanceof BodyReadError) return failure(error.cause, true);
        throw error;
      }
    } finally {
      clearTimeout(timer);
      aborted.dispose();
      storeSignal?.removeEventListener('abort', onStoreAbort);
    }
  }

  /**
   * An external link fetched from public addresses only: each hop of its redirects is checked
   * before it is asked (MAX_EXTERNAL_REDIRECTS at most), so a public URL cannot send the request
   * on to an internal one, and again on the connection the request makes (`requestPublic`), so a
   * name that resolves elsewhere the second time (DNS rebinding) cannot either. Throws
   * AttachmentSkippedError for a link that leads elsewhere: it is not a network error to retry.
   */
  private async fetchPublic(ref: AttachmentRef, url: string, signal: AbortSignal): Promise<Response> {
    let current = new URL(url);
    for (let hop = 0; ; hop++) {
      const refused = await nonPublicReason(current, this.lookup, this.isPublic);
      if (refused) throw new AttachmentSkippedError(ref, url, refused);
      let response: Response;
      try {
        response = this.checkConnections
          ? await requestPublic(current, { signal, lookup: this.lookup, isPublicAddress: this.isPublic })
          : await this.fetch(current, { signal, redirect: 'manual' });
      } catch (error) {
        if (error instanceof NonPublicAddressError) throw new AttachmentSkippedError(ref, url, error.reason);
        throw error;
      }
      const location = REDIRECT_STATUSES.has(response.status) ? response.headers.get('location') : null;
      if (location === null) return response;
      response.body?.cancel().catch(() => undefined);
      if (hop >= MAX_EXTERNAL_REDIRECTS) throw new AttachmentSkippedError(ref, url, `redirected more than ${MAX_EXTERNAL_REDIRECTS} times`);
      current = new URL(location, current);
      if (current.protocol !== 'http:' && current.protocol !== 'https:') throw new AttachmentSkippedError(ref, url, `redirected to a ${current.protocol} address`);
    }
  }

  /**
   * An external answer is downloaded only when it is a file: not a page (by its Content-Type), and
   * not larger than the cap (by its Content-Length when it gives one). Returns the cut-off for a
   * body of unknown length, which streamToTemp enforces.
   */
  private checkExternal(ref: AttachmentRef, url: string, response: Response): { ref: AttachmentRef; url: string; maxBytes: number } {
    const type = response.headers.get('content-type')?.split(';')[0]?.trim().toLowerCase();
    const length = Number(response.headers.get('content-length') ?? Number.NaN);
    let reason: string | undefined;
    if (type && PAGE_TYPES.has(type)) reason = `a web page (${type}), not a file`;
    else if (Number.isFinite(length) && length > this.maxExternalBytes) reason = `larger than ${byteSize(this.maxExternalBytes)} (${byteSize(length)})`;
    if (reason) {
      response.body?.cancel().catch(() => undefined);
      throw new AttachmentSkippedError(ref, url, reason);
    }
    return { ref, url, maxBytes: this.maxExternalBytes };
  }

  private async streamToTemp(
    response: Response,
    name: string,
    arm: () => void,
    aborted: Promise<never>,
    limit?: { ref: AttachmentRef; url: string; maxBytes: number },
  ): Promise<Downloaded> {
    await mkdir(this.dir, { recursive: true });
    const tempPath = path.join(this.dir, `.${name}.${randomBytes(6).toString('hex')}.tmp`);
    const hash = createHash('sha256');
    let bytes = 0;
    const reader = response.body?.getReader();
    let finished = !reader;
    const handle = await open(tempPath, 'wx', 0o666);
    try {
      try {
        while (reader) {
          let chunk: ReadableStreamReadResult<Uint8Array>;
          try {
            // Racing the signal ends a stalled read even if `fetch` does not tie the body to the signal.
            chunk = await Promise.race([reader.read(), aborted]);
          } catch (error) {
            throw new BodyReadError('body read failed', { cause: error });
          }
          if (chunk.done) break;
          arm();
          hash.update(chunk.value);
          bytes += chunk.value.byteLength;
          // A body of unknown length is cut off at the cap: what came so far is thrown away.
          if (limit && bytes > limit.maxBytes) {
            throw new AttachmentSkippedError(limit.ref, limit.url, `larger than ${byteSize(limit.maxBytes)} (cut off while downloading)`);
          }
          await handle.write(chunk.value);
        }
        finished = true;
        await handle.sync();
      } finally {
        if (!finished) reader?.cancel().catch(() => undefined);
        await handle.close();
      }
      const length = response.headers.get('content-length');
      if (length !== null && !response.headers.has('content-encoding') && Number(length) !== bytes) {
        throw new BodyReadError('body cut short', { cause: new Error(`got ${bytes} of ${length} bytes`) });
      }
    } catch (error) {
      await rm(tempPath, { force: true });
      throw error;
    }
    const contentType = response.headers.get('content-type') ?? undefined;
    return { tempPath, sha256: hash.digest('hex'), bytes, contentType };
  }

  /** Moves a downloaded temp file to its content-addressed place, or drops it for an existing copy. */
  private async place(file: Downloaded, name: string): Promise<Stored> {
    try {
      for (;;) {
        const pending = this.bySha.get(file.sha256);
        if (pending) {
          try {
            const existing = await pending;
            this.counters.deduplicated += 1;
            return existing;
          } catch {
            if (this.bySha.get(file.sha256) === pending) this.bySha.delete(file.sha256);
            continue;
          }
        }
        const placing = this.placeOnDisk(file, name);
        const stored = placing.then((result) => result.stored);
        this.bySha.set(file.sha256, stored);
        stored.catch(() => undefined);
        const { fresh } = await placing;
        if (fresh) {
          this.counters.saved += 1;
          this.counters.bytes += file.bytes;
        } else {
          this.counters.deduplicated += 1;
        }
        return stored;
      }
    } finally {
      await rm(file.tempPath, { force: true });
    }
  }

  private async placeOnDisk(file: Downloaded, name: string): Promise<{ stored: Stored; fresh: boolean }> {
    const folder = file.sha256.slice(0, 16);
    const folderAbs = path.join(this.dir, folder);
    const stored = (fileName: string): Stored => ({
      path: `${ATTACHMENTS_DIR}/${folder}/${fileName}`,
      bytes: file.bytes,
      sha256: file.sha256,
      ...(file.contentType ? { contentType: file.contentType } : {}),
    });
    const existing = await this.findOnDisk(folderAbs, file);
    if (existing) return { stored: stored(existing), fresh: false };
    await mkdir(folderAbs, { recursive: true });
    await rename(file.tempPath, path.join(folderAbs, name));
    return { stored: stored(name), fresh: true };
  }

  /** A file left by an earlier run of this export with the same content (checked by size, then hash). */
  private async findOnDisk(folderAbs: string, file: Downloaded): Promise<string | undefined> {
    let entries: string[];
    try {
      entries = (await readdir(folderAbs)).sort();
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
      throw error;
    }
    for (const entry of entries) {
      if (TEMP_FILE_PATTERN.test(entry)) continue;
      const absPath = path.join(folderAbs, entry);
      const info = await stat(absPath);
      if (info.isFile() && info.size === file.bytes && (await hashFile(absPath)) === file.sha256) return entry;
    }
    return undefined;
  }

  private throwIfAborted(): void {
    if (this.signal?.aborted) throw this.signal.reason;
  }
}
