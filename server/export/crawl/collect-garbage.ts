import v8 from 'node:v8';
import vm from 'node:vm';

/**
 * How far V8's heap may grow past what the last full collection left before the keeper collects.
 * V8 itself lets the old generation grow 8 MB or more past its live size (~20 MB in an export)
 * before it marks again: at 10,000 pages that slack was most of the worker's and the CLI's
 * memory above their steady state (`npm run bench`).
 */
export const HEAP_SLACK_BYTES = 3 * 1024 * 1024;
/**
 * The slack while an export finishes: its steps read the whole export back (the archive's item
 * table, the search index's shards), and the finish is where the CLI's and the worker's memory
 * peaks; it lasts seconds, so the extra collections cost little.
 */
export const FINISH_HEAP_SLACK_BYTES = 1024 * 1024;
/** How often a held keeper looks (reading V8's heap statistics costs microseconds). */
export const HEAP_CHECK_MS = 50;

/** What the keeper measures and does (a test gives its own). */
export interface HeapProbe {
  usedHeap(): number;
  collect(): void;
}

/**
 * `--expose-gc` set at run time gives new contexts a `gc` function (not the main one), hence the
 * function is fetched from a fresh context, once. Without it (a runtime that refuses the flag),
 * collecting does nothing.
 */
let gc: (() => void) | undefined | null;
const v8Probe: HeapProbe = {
  usedHeap: () => v8.getHeapStatistics().used_heap_size,
  collect() {
    if (gc === undefined) {
      try {
        v8.setFlagsFromString('--expose-gc');
        const found: unknown = vm.runInNewContext('gc');
        gc = typeof found === 'function' ? (found as () => void) : null;
      } catch {
        gc = null;
      }
    }
    gc?.();
  },
};

/**
 * Keeps V8's heap near its live size while exports run: a full collection (a few tens of
 * milliseconds at an export's ~20 MB of live heap) whenever the heap has grown `slackBytes` past
 * what the last one left, instead of V8's own, later ones. Trades a few percent of an unthrottled
 * export's CPU for resident memory. A held keeper looks every `everyMs`; loops that only await the
 * database (whose answers come back as microtasks, before any timer can run) look themselves,
 * with `collectIfGrown`.
 */
export class HeapKeeper {
  readonly #probe: HeapProbe;
  readonly #slack: number;
  /** Slacks asked for by `tighten`, until released: the smallest applies. */
  readonly #tighter: number[] = [];
  readonly #everyMs: number;
  #floor: number;
  #holders = 0;
  #timer: NodeJS.Timeout | undefined;

  constructor(probe: HeapProbe = v8Probe, slackBytes = HEAP_SLACK_BYTES, everyMs = HEAP_CHECK_MS) {
    this.#probe = probe;
    this.#slack = slackBytes;
    this.#everyMs = everyMs;
    this.#floor = probe.usedHeap();
  }

  /** A full collection now. */
  collect(): void {
    this.#probe.collect();
    this.#floor = this.#probe.usedHeap();
  }

  /** A full collection if the heap has grown the slack since the last one. */
  collectIfGrown(): void {
    if (this.#probe.usedHeap() >= this.#floor + Math.min(this.#slack, ...this.#tighter)) this.collect();
  }

  /** A smaller slack until the returned function is called (a second call does nothing). */
  tighten(slackBytes: number): () => void {
    this.#tighter.push(slackBytes);
    let released = false;
    return () => {
      if (released) return;
      released = true;
      this.#tighter.splice(this.#tighter.indexOf(slackBytes), 1);
    };
  }

  /** Looks every `everyMs` until every holder (an export running here) has released it; a release twice counts once. */
  hold(): () => void {
    this.#holders++;
    if (!this.#timer) {
      this.#timer = setInterval(() => this.collectIfGrown(), this.#everyMs);
      this.#timer.unref();
    }
    let released = false;
    return () => {
      if (released) return;
      released = true;
      this.#holders--;
      if (this.#holders === 0) {
        clearInterval(this.#timer);
        this.#timer = undefined;
      }
    };
  }
}

/** The process's keeper: every export running here holds it. */
export const heapKeeper = new HeapKeeper();

/**
 * A full garbage collection between the bulk steps of an export's finish (links, report, archive,
 * manifest): each step reads thousands of rows, and collecting first lets it reuse the pages the
 * previous one freed. A few tens of milliseconds each, a handful of times per export.
 */
export function collectGarbage(): void {
  heapKeeper.collect();
}
