'use client';

import { useEffect, useRef, useState } from 'react';
import { type LiveRate, measureRate, NO_RATE, type RateSample } from './live-rate';

/** Measures the request rate and the ETA from the progress updates a running export streams. */
export function useLiveRate(running: boolean, requests: number, handled: number, total: number): LiveRate {
  const samples = useRef<RateSample[]>([]);
  const [rate, setRate] = useState<LiveRate>(NO_RATE);
  useEffect(() => {
    if (!running) {
      samples.current = [];
      setRate(NO_RATE);
      return;
    }
    const measured = measureRate(samples.current, { at: Date.now(), requests, handled }, total);
    samples.current = measured.samples;
    if (measured.rate) setRate(measured.rate);
  }, [running, requests, handled, total]);
  return rate;
}
