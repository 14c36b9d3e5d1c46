/** One reading of a running export's counters, at `at` (ms since the epoch). */
export interface RateSample {
  at: number;
  requests: number;
  /** Pages and databases done or failed. */
  handled: number;
}

export interface LiveRate {
  /** Notion requests per second over the last half minute. */
  requestsPerSecond: number | null;
  /** Estimated seconds until every discovered page is handled, from the measured page rate. */
  etaSeconds: number | null;
}

export const NO_RATE: LiveRate = { requestsPerSecond: null, etaSeconds: null };

/** Samples older than this are dropped: the rate is the recent one. */
export const RATE_WINDOW_MS = 30_000;
/** Below this span of samples a rate says little; the previous one is kept. */
export const MIN_SPAN_MS = 2_000;

/**
 * Adds `sample` to the window (the samples of the last RATE_WINDOW_MS) and measures the rates
 * between the window's oldest sample and this one.
 * `rate` is undefined while the window spans less than MIN_SPAN_MS (keep the previous rate).
 */
export function measureRate(
  samples: readonly RateSample[],
  sample: RateSample,
  total: number,
): { samples: RateSample[]; rate: LiveRate | undefined } {
  const next = [...samples.filter((s) => sample.at - s.at <= RATE_WINDOW_MS), sample];
  const first = next[0] ?? sample;
  const spanMs = sample.at - first.at;
  if (spanMs < MIN_SPAN_MS) return { samples: next, rate: undefined };
  const seconds = spanMs / 1000;
  const pagesPerSecond = (sample.handled - first.handled) / seconds;
  return {
    samples: next,
    rate: {
      requestsPerSecond: (sample.requests - first.requests) / seconds,
      etaSeconds: pagesPerSecond > 0 ? Math.max(0, (total - sample.handled) / pagesPerSecond) : null,
    },
  };
}
