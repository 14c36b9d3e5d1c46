import { describe, expect, it } from 'vitest';
import {
  addSample,
  allRequestColumns,
  busyConnections,
  busyWorkspaces,
  columnsOf,
  MAX_SAMPLES,
  requestColumns,
  SAMPLE_WINDOW_MS,
  type SystemSample,
  type WorkspaceSample,
  workspaceColumns,
  workspaceTitle,
} from './system-series';

function sample(
  at: number,
  connections: { id: string; requests: number; rateLimited?: number; budget?: number }[] = [],
  workspaces: (Partial<WorkspaceSample> & { key: string })[] = [],
): SystemSample {
  return {
    workspaces: workspaces.map((w) => ({
      connectionIds: [],
      requests: 0,
      requestsPerSecond: 0,
      rateLimited: 0,
      rateLimitedPerSecond: 0,
      budgetPerSecond: null,
      sharedBy: 1,
      sharePerSecond: null,
      pacedPerSecond: null,
      ...w,
    })),
    at,
    seconds: 2,
    pagesPerSecond: 1,
    memory: { rssBytes: 1, heapUsedBytes: 1 },
    eventLoopLagMs: 2,
    connections: connections.map((c) => ({
      connectionId: c.id,
      requests: c.requests,
      requestsPerSecond: c.requests / 2,
      rateLimited: c.rateLimited ?? 0,
      rateLimitedPerSecond: (c.rateLimited ?? 0) / 2,
      outcomes: { ok: c.requests, rateLimited: 0, overloaded: 0, tokenRefused: 0, refused: 0, serverError: 0, noAnswer: 0 },
      ...(c.budget === undefined ? {} : { budgetPerSecond: c.budget }),
    })),
  };
}

describe('addSample', () => {
  it('adds newer samples once, and keeps the last 10 minutes', () => {
    let samples = addSample([], sample(1000));
    samples = addSample(samples, sample(3000));
    expect(addSample(samples, sample(3000))).toBe(samples);
    expect(addSample(samples, sample(2000))).toBe(samples);
    expect(addSample(samples, sample(1000 + SAMPLE_WINDOW_MS + 1)).map((s) => s.at)).toEqual([3000, 1000 + SAMPLE_WINDOW_MS + 1]);
  });

  it(`keeps at most ${MAX_SAMPLES} samples`, () => {
    let samples: SystemSample[] = [];
    for (let i = 1; i <= MAX_SAMPLES + 5; i++) samples = addSample(samples, sample(i * 100));
    expect(samples).toHaveLength(MAX_SAMPLES);
    expect(samples[0]?.at).toBe(600);
  });
});

describe('columns', () => {
  const samples = [
    sample(2000, [{ id: 'c1', requests: 4, budget: 3 }]),
    sample(4000, [
      { id: 'c1', requests: 6, rateLimited: 2, budget: 3 },
      { id: 'c2', requests: 20 },
    ]),
    sample(6000, [{ id: 'c3', requests: 0 }]),
  ];

  it("gives a connection's requests, budget and 429s per second, zero where it sent nothing and no budget where none is known", () => {
    expect(requestColumns(samples, 'c1')).toEqual({ times: [2000, 4000, 6000], values: [[2, 3, 0], [3, 3, null], [0, 1, 0]] });
    expect(allRequestColumns(samples).values).toEqual([
      [2, 13, 0],
      [0, 1, 0],
    ]);
  });

  it('lists the connections that sent requests, busiest first', () => {
    expect(busyConnections(samples)).toEqual(['c2', 'c1']);
  });

  it('aligns any pick on the times, undefined as a gap', () => {
    expect(columnsOf(samples, [(s) => s.queue?.due, (s) => s.eventLoopLagMs])).toEqual({ times: [2000, 4000, 6000], values: [[null, null, null], [2, 2, 2]] });
  });
});

describe('workspaces', () => {
  const samples = [
    sample(2000, [], [{ key: 'team', connectionIds: ['c1', 'c2'], requests: 8, requestsPerSecond: 4, budgetPerSecond: 9, sharePerSecond: 9, pacedPerSecond: 9 }]),
    sample(4000, [], [
      { key: 'team', connectionIds: ['c1', 'c2'], requests: 9, requestsPerSecond: 4.5, rateLimited: 1, rateLimitedPerSecond: 0.5, budgetPerSecond: 9, sharedBy: 2, sharePerSecond: 4.5, pacedPerSecond: 4.5 },
      { key: 'solo', connectionIds: ['c3'], requests: 20, requestsPerSecond: 10, pacedPerSecond: 7 },
      { key: 'idle', connectionIds: ['c4'] },
    ]),
    sample(6000),
  ];

  it('lists the workspaces whose connections sent requests, busiest first', () => {
    expect(busyWorkspaces(samples)).toEqual(['solo', 'team']);
  });

  it("gives a workspace's requests, the limit this process keeps to (its share, or the learned pace without a budget) and its 429s", () => {
    expect(workspaceColumns(samples, 'team')).toEqual({ times: [2000, 4000, 6000], values: [[4, 4.5, 0], [9, 4.5, null], [0, 0.5, 0]] });
    expect(workspaceColumns(samples, 'solo').values[1]).toEqual([null, 7, null]);
  });

  it('names a workspace by its connections’ workspace name, else their names; says who shares it now', () => {
    const names = [
      { id: 'c1', name: 'Marketing', workspaceName: null },
      { id: 'c2', name: 'Sales', workspaceName: 'Acme' },
      { id: 'c3', name: 'Solo', workspaceName: null },
    ];
    expect(workspaceTitle(samples, 'team', names)).toEqual({ name: 'Acme', connections: ['Marketing', 'Sales'], sharedBy: 2, budgetPerSecond: 9 });
    expect(workspaceTitle(samples, 'solo', names)).toEqual({ name: 'Solo', connections: ['Solo'], sharedBy: 1, budgetPerSecond: null });
    expect(workspaceTitle(samples, 'solo', undefined)).toEqual({ name: 'a workspace', connections: ['c3'], sharedBy: 1, budgetPerSecond: null });
  });
});
