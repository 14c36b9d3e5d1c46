import { graphemeSegments } from 'unicode-segmenter/grapheme';

/**
 * Extended grapheme clusters (UAX #29), for cutting file names without splitting what a reader
 * sees as one character: `unicode-segmenter`'s tables, not Intl's grapheme Segmenter. Creating a
 * Segmenter and segmenting once keeps ICU's break-iterator data in the process for good (~2.9 MB
 * of RSS; the library costs ~0.7 MB, loaded with the module), and the standalone worker runs
 * close to a 100 MB budget. This module and `layout.ts` must not touch the Intl global;
 * `grapheme.test.ts` checks their source and compares the clusters with Intl's.
 */

/** The extended grapheme clusters of `text`, in order; joined, they give `text` back. */
export function* graphemes(text: string): Generator<string, void, undefined> {
  for (const { segment } of graphemeSegments(text)) yield segment;
}
