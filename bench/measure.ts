/**
 * Measuring instruments for the benchmark: a recorder of every API request a twin receives
 * (timestamps and statuses, taken from Node's built-in HTTP server diagnostics channels, so the
 * twin is not modified), and a sampler of another process's memory and CPU from /proc.
 */
import diagnostics from 'node:diagnostics_channel';
import { readFileSync } from 'node:fs';
import type { IncomingMessage, ServerResponse } from 'node:http';

/** One API request as the twin saw it: arrival time (ms since the epoch, sub-ms) and HTTP status. */
export interface RecordedRequest {
  at: number;
  status: number;
}

const now = () => performance.timeOrigin + performance.now();

const recorders = new Map<number, RequestRecorder>();
const pendingIndex = new WeakMap<IncomingMessage, { recorder: RequestRecorder; index: number }>();
let subscribed = false;

function subscribe(): void {
  if (subscribed) return;
  subscribed = true;
  diagnostics.subscribe('http.server.request.start', (message) => {
    const { request } = message as { request: IncomingMessage };
    const recorder = recorders.get(request.socket.localPort ?? -1);
    if (!recorder || !request.url?.startsWith('/v1/')) return;
    const index = recorder.requests.push({ at: now(), status: 0 }) - 1;
    pendingIndex.set(request, { recorder, index });
  });
  diagnostics.subscribe('http.server.response.finish', (message) => {
    const { request, response } = message as { request: IncomingMessage; response: ServerResponse };
    const entry = pendingIndex.get(request);
    if (entry) entry.recorder.requests[entry.index].status = response.statusCode;
  });
}

/** Records the `/v1/…` requests received by the HTTP server listening on `port` (in this process). */
export class RequestRecorder {
  requests: RecordedRequest[] = [];

  constructor(readonly port: number) {
    subscribe();
    recorders.set(port, this);
  }

  reset(): void {
    this.requests = [];
  }

  stop(): void {
    recorders.delete(this.port);
  }
}

export interface Utilisation {
  /** Requests answered (any status). */
  requests: number;
  /** Requests answered 429. */
  rateLimited: number;
  /** First request to last request, seconds. */
  spanSec: number;
  /** Requests per second over the span (all statuses). */
  requestsPerSec: number;
  /** (requests − 429s) / (span × limit): the share of the allowed budget that did useful work. */
  utilisation: number;
  /** Per window of `windowSec` from the first request: accepted requests / (window × limit). The last, partial window is left out. */
  windows: { fromSec: number; accepted: number; rateLimited: number; utilisation: number }[];
  windowSec: number;
  /** The longest pauses between consecutive requests (seconds from the first request, and length). */
  longestGaps: { atSec: number; gapSec: number }[];
  /** Total time in gaps longer than 3 intervals of the limit (where the budget was plainly left unused). */
  idleSec: number;
}

/** How well a run used a budget of `limit` requests per second. */
export function utilisation(requests: readonly RecordedRequest[], limit: number, windowSec = 10): Utilisation {
  const sorted = [...requests].sort((a, b) => a.at - b.at);
  const n = sorted.length;
  const rateLimited = sorted.filter((r) => r.status === 429).length;
  if (n < 2) {
    return { requests: n, rateLimited, spanSec: 0, requestsPerSec: 0, utilisation: 0, windows: [], windowSec, longestGaps: [], idleSec: 0 };
  }
  const first = sorted[0].at;
  const spanSec = (sorted[n - 1].at - first) / 1000;
  const windows: Utilisation['windows'] = [];
  const full = Math.floor(spanSec / windowSec);
  for (let w = 0; w < full; w++) windows.push({ fromSec: w * windowSec, accepted: 0, rateLimited: 0, utilisation: 0 });
  const gaps: { atSec: number; gapSec: number }[] = [];
  let idleSec = 0;
  const interval = 1 / limit;
  for (let i = 0; i < n; i++) {
    const t = (sorted[i].at - first) / 1000;
    const w = Math.floor(t / windowSec);
    if (w < full) {
      if (sorted[i].status === 429) windows[w].rateLimited++;
      else windows[w].accepted++;
    }
    if (i > 0) {
      const gap = (sorted[i].at - sorted[i - 1].at) / 1000;
      gaps.push({ atSec: round((sorted[i - 1].at - first) / 1000, 2), gapSec: round(gap, 3) });
      if (gap > 3 * interval) idleSec += gap - interval;
    }
  }
  for (const w of windows) w.utilisation = round(w.accepted / (windowSec * limit), 3);
  gaps.sort((a, b) => b.gapSec - a.gapSec);
  return {
    requests: n,
    rateLimited,
    spanSec: round(spanSec, 2),
    requestsPerSec: round(n / spanSec, 3),
    utilisation: round((n - rateLimited) / (spanSec * limit), 4),
    windows,
    windowSec,
    longestGaps: gaps.slice(0, 8),
    idleSec: round(idleSec, 1),
  };
}

export interface ProcessSample {
  /** ms since the sampler started. */
  t: number;
  rssMb: number;
}

export interface ProcessUsage {
  /** Peak resident set size, from the kernel's high-water mark (VmHWM), MB. */
  peakRssMb: number;
  /** Highest VmRSS seen by the 100 ms polling, MB (≤ peakRssMb). */
  polledPeakRssMb: number;
  /** User + system CPU seconds of the process. */
  cpuSec: number;
  /** RSS every `everyMs`, downsampled to at most ~300 points. */
  samples: ProcessSample[];
}

const CLOCK_TICKS = 100; // USER_HZ on Linux

function readStatus(pid: number): { rssKb: number; hwmKb: number } | null {
  try {
    const text = readFileSync(`/proc/${pid}/status`, 'utf8');
    const kb = (key: string) => Number(new RegExp(`^${key}:\\s+(\\d+)\\s+kB`, 'm').exec(text)?.[1] ?? 0);
    return { rssKb: kb('VmRSS'), hwmKb: kb('VmHWM') };
  } catch {
    return null;
  }
}

function readCpuSec(pid: number): number {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // Fields after the command name (which may contain spaces) start after the last ')'.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return (Number(fields[11]) + Number(fields[12])) / CLOCK_TICKS; // utime, stime (fields 14 and 15)
  } catch {
    return 0;
  }
}

const mb = (kb: number) => round(kb / 1024, 1);

/** Polls /proc/<pid>/status every `everyMs`; `finish()` (call it while the process is still alive) returns the peak. */
export class ProcessSampler {
  readonly #pid: number;
  readonly #started = Date.now();
  readonly #timer: NodeJS.Timeout;
  readonly #samples: ProcessSample[] = [];
  #polledPeakKb = 0;
  #hwmKb = 0;
  #cpuSec = 0;

  constructor(pid: number, everyMs = 100) {
    this.#pid = pid;
    this.#timer = setInterval(() => this.#poll(), everyMs);
    this.#poll();
  }

  #poll(): void {
    const s = readStatus(this.#pid);
    if (!s) return;
    this.#polledPeakKb = Math.max(this.#polledPeakKb, s.rssKb);
    this.#hwmKb = Math.max(this.#hwmKb, s.hwmKb);
    this.#cpuSec = Math.max(this.#cpuSec, readCpuSec(this.#pid));
    this.#samples.push({ t: Date.now() - this.#started, rssMb: mb(s.rssKb) });
  }

  finish(): ProcessUsage {
    this.#poll();
    clearInterval(this.#timer);
    const step = Math.max(1, Math.ceil(this.#samples.length / 300));
    return {
      peakRssMb: mb(Math.max(this.#hwmKb, this.#polledPeakKb)),
      polledPeakRssMb: mb(this.#polledPeakKb),
      cpuSec: round(this.#cpuSec, 2),
      samples: this.#samples.filter((_, i) => i % step === 0),
    };
  }
}

export function round(x: number, digits: number): number {
  const f = 10 ** digits;
  return Math.round(x * f) / f;
}
