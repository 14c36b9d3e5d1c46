'use client';

import { useEffect, useRef, useState } from 'react';

interface Sample {
  at: number;
  requests: number;
  handled: number;
}

export interface LiveRate {
  /** Notion requests per second over the last half minute. */
  requestsPerSecond: number | null;
  /** Estimated seconds until every discovered page is handled, from the measured page rate. */
  etaSeconds: number | null;
}

const WINDOW_MS = 30_000;

/** Measures the request rate and the ETA from the progress updates a running export streams. */
export function useLiveRate(running: boolean, requests: number, handled: number, total: number): LiveRate {
  const samples = useRef<Sample[]>([]);
  const [rate, setRate] = useState<LiveRate>({ requestsPerSecond: null, etaSeconds: null });
  useEffect(() => {
    if (!running) {
      samples.current = [];
      setRate({ requestsPerSecond: null, etaSeconds: null });
      return;
    }
    const now = Date.now();
    samples.current = [...samples.current.filter((s) => now - s.at <= WINDOW_MS), { at: now, requests, handled }];
    const first = samples.current[0]!;
    const seconds = (now - first.at) / 1000;
    if (seconds < 2) return;
    const rps = (requests - first.requests) / seconds;
    const pagesPerSecond = (handled - first.handled) / seconds;
    setRate({
      requestsPerSecond: rps,
      etaSeconds: pagesPerSecond > 0 ? Math.max(0, (total - handled) / pagesPerSecond) : null,
    });
  }, [running, requests, handled, total]);
  return rate;
}
