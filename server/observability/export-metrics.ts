import { metricsRecorded, metricsState } from './metrics';

/** The `format` label of a written file: by its extension; files under `attachments/` are counted by `recordAttachments`. */
const FORMAT_OF_EXTENSION: Record<string, string> = { '.md': 'markdown', '.html': 'html', '.json': 'json', '.csv': 'csv' };
const ATTACHMENTS_PREFIX = 'attachments/';

function formatOf(path: string): string {
  const dot = path.lastIndexOf('.');
  return (dot >= 0 && FORMAT_OF_EXTENSION[path.slice(dot)]) || 'other';
}

/** A page or database was exported: counts it, and its files and bytes by format (attachments apart). */
export function recordItemExported(kind: 'page' | 'database', files: readonly { path: string; bytes: number }[]): void {
  if (!metricsRecorded()) return;
  const { process } = metricsState();
  process.exportItems.inc({ kind, outcome: 'exported' });
  for (const file of files) {
    if (file.path.startsWith(ATTACHMENTS_PREFIX)) continue;
    const format = formatOf(file.path);
    process.exportFiles.inc({ format });
    process.exportBytes.inc({ format }, file.bytes);
  }
}

/** A page or database could not be exported (a dead letter: recorded with its reason, retried by hand). */
export function recordItemFailed(kind: 'page' | 'database'): void {
  if (!metricsRecorded()) return;
  metricsState().process.exportItems.inc({ kind, outcome: 'failed' });
}

/** The counters of an export's attachment store (server/export/files/attachments.ts), structurally. */
export interface AttachmentCounts {
  saved: number;
  deduplicated: number;
  failed: number;
  bytes: number;
}

const REPORTED_KEY = Symbol.for('notion-sync.observability.attachments-reported');

/**
 * Adds what an attachment store did since it was last reported: new files (and their bytes),
 * saves answered by a file already there, failures. Called after each page's saves have settled,
 * so every save is reported once, by the first report after it.
 */
export function recordAttachments(store: { stats(): AttachmentCounts }): void {
  if (!metricsRecorded()) return;
  const holder = globalThis as typeof globalThis & { [REPORTED_KEY]?: WeakMap<object, AttachmentCounts> };
  holder[REPORTED_KEY] ??= new WeakMap();
  const reported = holder[REPORTED_KEY];
  const now = store.stats();
  const before = reported.get(store) ?? { saved: 0, deduplicated: 0, failed: 0, bytes: 0 };
  reported.set(store, now);
  const { process } = metricsState();
  if (now.saved > before.saved) {
    process.attachments.inc({ outcome: 'downloaded' }, now.saved - before.saved);
    process.exportFiles.inc({ format: 'attachment' }, now.saved - before.saved);
  }
  if (now.bytes > before.bytes) process.exportBytes.inc({ format: 'attachment' }, now.bytes - before.bytes);
  if (now.deduplicated > before.deduplicated) process.attachments.inc({ outcome: 'deduplicated' }, now.deduplicated - before.deduplicated);
  if (now.failed > before.failed) process.attachments.inc({ outcome: 'failed' }, now.failed - before.failed);
}

export type ZipDownloadOutcome = 'completed' | 'aborted' | 'failed';

/**
 * A zip download of an export ended: `completed` (the whole zip sent), `aborted` (the client went
 * away), or `failed` (an error while zipping); `bytes` is what was sent.
 */
export function recordZipDownload(download: { outcome: ZipDownloadOutcome; bytes: number }): void {
  if (!metricsRecorded()) return;
  const { process } = metricsState();
  process.zipDownloads.inc({ outcome: download.outcome });
  if (download.bytes > 0) process.zipBytes.inc(download.bytes);
}

/**
 * `body` as sent to the client, counted: when it ends, the client goes away or zipping fails, the
 * download is recorded (`recordZipDownload`) with the bytes that went out.
 */
export function countZipDownload(body: ReadableStream<Uint8Array>): ReadableStream<Uint8Array> {
  const reader = body.getReader();
  let bytes = 0;
  let recorded = false;
  const record = (outcome: ZipDownloadOutcome) => {
    if (recorded) return;
    recorded = true;
    recordZipDownload({ outcome, bytes });
  };
  return new ReadableStream<Uint8Array>({
    async pull(controller) {
      try {
        const { done, value } = await reader.read();
        if (done) {
          record('completed');
          controller.close();
          return;
        }
        bytes += value.byteLength;
        controller.enqueue(value);
      } catch (error) {
        record('failed');
        controller.error(error);
      }
    },
    async cancel(reason) {
      record('aborted');
      await reader.cancel(reason);
    },
  });
}
