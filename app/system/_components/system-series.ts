import type { RouterOutputs } from '@/app/_trpc/types';
import type { TimeColumns } from '@/components/time-series';

type Yielded<T> = T extends AsyncIterable<infer Value> ? Value : never;

/** One sample of `system.onSamples` as the browser receives it (tracked: `id` is its time). */
export type SystemSample = Yielded<RouterOutputs['system']['onSamples']>['data'];
export type SystemStatus = RouterOutputs['system']['status'];

/** What the view keeps: the server's window (10 minutes of a sample every 2 s). */
export const SAMPLE_WINDOW_MS = 10 * 60_000;
export const MAX_SAMPLES = 300;
/** Samples further apart than this were not streamed in between: the charts break their lines. */
export const SAMPLE_GAP_MS = 3 * 2_000;

/**
 * The samples with `sample` added: one the view already has (a resumed stream's overlap) is
 * ignored, and only the last window (at most MAX_SAMPLES) is kept.
 */
export function addSample(samples: readonly SystemSample[], sample: SystemSample): SystemSample[] {
  const last = samples.at(-1);
  if (last && sample.at <= last.at) return samples as SystemSample[];
  return [...samples, sample].filter((s) => s.at >= sample.at - SAMPLE_WINDOW_MS).slice(-MAX_SAMPLES);
}

/** One column per `pick`, aligned on the samples' times; a pick's undefined is a gap. */
export function columnsOf(samples: readonly SystemSample[], picks: ((sample: SystemSample) => number | null | undefined)[]): TimeColumns {
  return {
    times: samples.map((s) => s.at),
    values: picks.map((pick) => samples.map((s) => pick(s) ?? null)),
  };
}

/** The connections that sent requests in the samples, busiest first. */
export function busyConnections(samples: readonly SystemSample[]): string[] {
  const requests = new Map<string, number>();
  for (const sample of samples) {
    for (const c of sample.connections) requests.set(c.connectionId, (requests.get(c.connectionId) ?? 0) + c.requests);
  }
  return [...requests]
    .filter(([, n]) => n > 0)
    .sort((a, b) => b[1] - a[1] || a[0].localeCompare(b[0]))
    .map(([id]) => id);
}

/** A connection's requests per second, its budget and its 429s per second. */
export function requestColumns(samples: readonly SystemSample[], connectionId: string): TimeColumns {
  const of = (s: SystemSample) => s.connections.find((c) => c.connectionId === connectionId);
  return columnsOf(samples, [
    (s) => of(s)?.requestsPerSecond ?? 0,
    (s) => of(s)?.budgetPerSecond,
    (s) => of(s)?.rateLimitedPerSecond ?? 0,
  ]);
}

/** Every connection's requests and 429s per second together (the chart while none is busy). */
export function allRequestColumns(samples: readonly SystemSample[]): TimeColumns {
  const sum = (s: SystemSample, pick: (c: SystemSample['connections'][number]) => number) => s.connections.reduce((total, c) => total + pick(c), 0);
  return columnsOf(samples, [(s) => sum(s, (c) => c.requestsPerSecond), (s) => sum(s, (c) => c.rateLimitedPerSecond)]);
}

export type WorkspaceSample = SystemSample['workspaces'][number];

/** The workspaces whose connections sent requests in the samples, busiest first. */
export function busyWorkspaces(samples: readonly SystemSample[]): string[] {
  const requests = new Map<string, number>();
  for (const sample of samples) {
    for (const w of sample.workspaces) requests.set(w.key, (requests.get(w.key) ?? 0) + w.requests);
  }
  return [...requests]
    .filter(([, n]) => n > 0)
    .sort((a, b) => b[1] - a[1] || a[0].localeCompare(b[0]))
    .map(([key]) => key);
}

/** The limit a workspace's requests from this process are held to: its share of the budget, or the pace learned without one. */
export function workspaceLimit(w: WorkspaceSample): number | null {
  return w.sharePerSecond ?? w.pacedPerSecond;
}

/** A workspace's requests per second (all its connections here), the limit this process keeps to, and its workspace 429s per second. */
export function workspaceColumns(samples: readonly SystemSample[], key: string): TimeColumns {
  const of = (s: SystemSample) => s.workspaces.find((w) => w.key === key);
  return columnsOf(samples, [
    (s) => of(s)?.requestsPerSecond ?? 0,
    (s) => {
      const w = of(s);
      return w ? workspaceLimit(w) : null;
    },
    (s) => of(s)?.rateLimitedPerSecond ?? 0,
  ]);
}

/**
 * What the view calls a workspace: the workspace name of its connections (from the status), or
 * their names while Notion's is not known; and who else uses its budget, as the newest sample says.
 */
export function workspaceTitle(
  samples: readonly SystemSample[],
  key: string,
  connections: readonly { id: string; name: string; workspaceName: string | null }[] | undefined,
): { name: string; connections: string[]; sharedBy: number; budgetPerSecond: number | null } {
  const latest = [...samples].reverse().find((s) => s.workspaces.some((w) => w.key === key))?.workspaces.find((w) => w.key === key);
  const ids = new Set<string>();
  for (const s of samples) for (const w of s.workspaces) if (w.key === key) for (const id of w.connectionIds) ids.add(id);
  const known = [...ids].map((id) => connections?.find((c) => c.id === id)).filter((c) => c !== undefined);
  const names = known.map((c) => c.name);
  const workspaceName = known.find((c) => c.workspaceName)?.workspaceName;
  return {
    name: workspaceName ?? (names.length > 0 ? names.join(', ') : 'a workspace'),
    connections: names.length > 0 ? names : [...ids],
    sharedBy: latest?.sharedBy ?? 1,
    budgetPerSecond: latest?.budgetPerSecond ?? null,
  };
}
