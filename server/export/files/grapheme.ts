import type * as UnicodeSegmenter from 'unicode-segmenter/grapheme';

/**
 * Extended grapheme clusters (UAX #29), for cutting file names without splitting what a reader
 * sees as one character: `unicode-segmenter`'s tables, not Intl's grapheme Segmenter. Creating a
 * Segmenter and segmenting once keeps ICU's break-iterator data in the process for good (~2.9 MB
 * of RSS), and the standalone worker runs close to a 100 MB budget. The library is loaded at the
 * first title that must be cut (~0.8 MB then, nothing before: most titles fit). This module and
 * `layout.ts` must not touch the Intl global; `grapheme.test.ts` checks their source and compares
 * the clusters with Intl's.
 */

let loaded: typeof UnicodeSegmenter | undefined;

function segmenter(): typeof UnicodeSegmenter {
  // A synchronous load on first use (bundled lazily by esbuild and Next).
  loaded ??= require('unicode-segmenter/grapheme') as typeof UnicodeSegmenter;
  return loaded;
}

/** The extended grapheme clusters of `text`, in order; joined, they give `text` back. */
export function* graphemes(text: string): Generator<string, void, undefined> {
  for (const { segment } of segmenter().graphemeSegments(text)) yield segment;
}
