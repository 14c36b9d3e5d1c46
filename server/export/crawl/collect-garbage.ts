import v8 from 'node:v8';
import vm from 'node:vm';

/**
 * A full garbage collection between the bulk steps of an export's finish (links, report, archive,
 * manifest). Each step reads thousands of rows and lets V8 grow its heap ~8 MB past what its last
 * full collection left, so the steps, one after the other, add up to the export's memory peak
 * (`npm run bench`: the last 10 MB of the 10,000-page worker's peak, all in the last seconds).
 * Collecting first lets each step reuse the pages the previous one freed. A few tens of
 * milliseconds each, a handful of times per export.
 *
 * `--expose-gc` set at run time gives new contexts a `gc` function (not the main one), hence the
 * function is fetched from a fresh context, once.
 */
let collect: (() => void) | undefined | null;

export function collectGarbage(): void {
  if (collect === undefined) {
    try {
      v8.setFlagsFromString('--expose-gc');
      const gc: unknown = vm.runInNewContext('gc');
      collect = typeof gc === 'function' ? (gc as () => void) : null;
    } catch {
      collect = null;
    }
  }
  collect?.();
}
