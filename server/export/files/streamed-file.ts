import { createHash, randomBytes } from 'node:crypto';
import { createWriteStream, type WriteStream } from 'node:fs';
import { mkdir, open, rename, unlink } from 'node:fs/promises';
import path from 'node:path';
import { once } from 'node:events';
import { failpoint } from '@/server/failpoints';
import { withSpan } from '@/server/observability/spans';
import type { AtomicWriteResult } from './atomic-write';

/**
 * A file written piece by piece (a CSV of many thousand rows) without holding it in memory, and
 * still atomically: the pieces go to a temp file next to the target (named like
 * writeFileAtomic's, so a resumed export sweeps it), which is fsynced and renamed over the
 * target by `finish()`.
 */
export class StreamedFile {
  readonly #hash = createHash('sha256');
  readonly #temp: string;
  #stream?: WriteStream;
  #bytes = 0;

  constructor(private readonly absPath: string) {
    this.#temp = path.join(path.dirname(absPath), `.${path.basename(absPath)}.${randomBytes(6).toString('hex')}.tmp`);
  }

  /** The temp file's stream, created (with its folder) on first use. */
  async #opened(): Promise<WriteStream> {
    if (!this.#stream) {
      await mkdir(path.dirname(this.absPath), { recursive: true });
      this.#stream = createWriteStream(this.#temp, { flags: 'wx' });
    }
    return this.#stream;
  }

  async write(chunk: string | Uint8Array): Promise<void> {
    const stream = await this.#opened();
    const buffer = typeof chunk === 'string' ? Buffer.from(chunk, 'utf8') : chunk;
    this.#hash.update(buffer);
    this.#bytes += buffer.byteLength;
    if (!stream.write(buffer)) await once(stream, 'drain');
  }

  /** Ends the file and makes it visible: in a `file.write` span (the pieces were written in their callers' spans). */
  /**
   * `keep`: told the finished file's size and checksum, true when the file already in place has
   * them; then the temp file is dropped and the one in place left as it is.
   */
  finish(beforeRename?: () => Promise<void>, keep?: (result: AtomicWriteResult) => Promise<boolean>): Promise<AtomicWriteResult> {
    const attributes = () => ({ 'notion_sync.file.bytes': this.#bytes, 'notion_sync.file.extension': path.extname(this.absPath), 'notion_sync.file.streamed': true });
    return withSpan('file.write', attributes, () => this.#finish(beforeRename, keep));
  }

  async #finish(beforeRename?: () => Promise<void>, keep?: (result: AtomicWriteResult) => Promise<boolean>): Promise<AtomicWriteResult> {
    const stream = await this.#opened();
    await new Promise<void>((resolve, reject) => stream.end((error?: Error | null) => (error ? reject(error) : resolve())));
    if (keep) {
      const result = { bytes: this.#bytes, sha256: this.#hash.copy().digest('hex') };
      if (await keep(result)) {
        await unlink(this.#temp);
        return result;
      }
    }
    const handle = await open(this.#temp, 'r+');
    try {
      await handle.sync();
    } finally {
      await handle.close();
    }
    failpoint('after-temp-write');
    await beforeRename?.();
    await rename(this.#temp, this.absPath);
    failpoint('after-rename');
    return { bytes: this.#bytes, sha256: this.#hash.digest('hex') };
  }

  /** Drops the temp file (after a failure). */
  async abort(): Promise<void> {
    const stream = this.#stream;
    if (stream && !stream.closed) {
      const closed = once(stream, 'close').catch(() => undefined);
      stream.destroy();
      await closed;
    }
    await unlink(this.#temp).catch(() => undefined);
  }
}
