import type { ProgressBatch } from '@/server/export/domain/decide';
import type { DiscoveredItem, ExportedItem, FailedItem, RequestStats } from '@/server/export/domain/export';

/**
 * Collects finished pages and what they revealed, and records them many at a time: one
 * transaction per batch instead of one per page. A page and the children it revealed always
 * land in the same batch, so a crash can never lose a child of a finished page.
 */
export class ProgressBuffer {
  #discovered: DiscoveredItem[] = [];
  #exported: ExportedItem[] = [];
  #failed: FailedItem[] = [];
  #flushing: Promise<void> = Promise.resolve();
  #timer?: NodeJS.Timeout;
  /** Ids handed to the buffer whose batch is not committed yet. */
  readonly unflushed = new Set<string>();

  constructor(
    private readonly record: (batch: ProgressBatch) => Promise<void>,
    private readonly stats: () => RequestStats,
    private readonly options: { maxItems: number; maxDelayMs: number } = { maxItems: 50, maxDelayMs: 500 },
  ) {}

  get size(): number {
    return this.#exported.length + this.#failed.length;
  }

  addDiscovered(items: DiscoveredItem[]): void {
    this.#discovered.push(...items);
    if (this.#discovered.length >= 1000) void this.flush();
    else this.#schedule();
  }

  addExported(item: ExportedItem, discovered: DiscoveredItem[] = []): void {
    this.unflushed.add(item.id);
    this.#discovered.push(...discovered);
    this.#exported.push(item);
    this.#afterAdd();
  }

  addFailed(item: FailedItem): void {
    this.unflushed.add(item.id);
    this.#failed.push(item);
    this.#afterAdd();
  }

  #afterAdd(): void {
    if (this.size >= this.options.maxItems) void this.flush();
    else this.#schedule();
  }

  #schedule(): void {
    if (this.#timer) return;
    this.#timer = setTimeout(() => {
      this.#timer = undefined;
      void this.flush().catch(() => {
        /* the next explicit flush reports it */
      });
    }, this.options.maxDelayMs);
    this.#timer.unref?.();
  }

  /** Records everything buffered so far; flushes run one after another. */
  flush(): Promise<void> {
    const run = this.#flushing.then(async () => {
      if (this.#timer) {
        clearTimeout(this.#timer);
        this.#timer = undefined;
      }
      if (this.#discovered.length === 0 && this.#exported.length === 0 && this.#failed.length === 0) return;
      const batch: ProgressBatch = {
        discovered: this.#discovered,
        exported: this.#exported,
        failed: this.#failed,
        stats: this.stats(),
      };
      this.#discovered = [];
      this.#exported = [];
      this.#failed = [];
      try {
        await this.record(batch);
      } catch (error) {
        // Put the batch back so nothing is lost; the caller decides what to do.
        this.#discovered.unshift(...batch.discovered);
        this.#exported.unshift(...batch.exported);
        this.#failed.unshift(...batch.failed);
        throw error;
      }
      for (const e of batch.exported) this.unflushed.delete(e.id);
      for (const f of batch.failed) this.unflushed.delete(f.id);
    });
    this.#flushing = run.catch(() => undefined);
    return run;
  }

  dispose(): void {
    if (this.#timer) clearTimeout(this.#timer);
    this.#timer = undefined;
  }
}
