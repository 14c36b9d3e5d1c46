import { describe, expect, it } from 'vitest';
import {
  canCompare,
  compareHref,
  describeChanges,
  describeDisk,
  describeItems,
  describeKind,
  historyHref,
  previousComparable,
  togglePick,
} from './snapshot-words';

const snapshot = (id: string, day: number, ready = true) => ({
  id,
  finishedAt: ready ? `2026-11-0${day}T08:00:00.000Z` : null,
  requestedAt: `2026-11-0${day}T07:00:00.000Z`,
  downloadable: ready,
  available: ready,
});

describe('snapshot words', () => {
  it('names how a snapshot was made', () => {
    expect(describeKind('schedule', 'sync')).toBe('Scheduled sync');
    expect(describeKind('manual', 'full')).toBe('Manual full export');
    expect(describeKind('cli', 'sync')).toBe('CLI sync');
  });

  it('sums up what a sync changed, or says nothing changed, or nothing for a full export', () => {
    expect(describeChanges({ added: 2, updated: 1_500, moved: 0, removed: 1 })).toBe('2 added · 1,500 edited · 1 removed');
    expect(describeChanges({ added: 0, updated: 0, moved: 3, removed: 0 })).toBe('3 moved');
    expect(describeChanges({ added: 0, updated: 0, moved: 0, removed: 0 })).toBe('No changes');
    expect(describeChanges(null)).toBeNull();
  });

  it('tells own from shared bytes, a lower bound when the walk stopped, and a folder that is gone', () => {
    expect(describeDisk({ ownBytes: 2048, sharedBytes: 5 * 1024 * 1024, complete: true })).toBe('2.0 KB own · 5.0 MB shared');
    expect(describeDisk({ ownBytes: 10, sharedBytes: 0, complete: false })).toBe('at least 10 B own · 0 B shared');
    expect(describeDisk(null)).toBe('Files no longer on this server');
    expect(describeItems({ pages: 1, databases: 0 })).toBe('1 page');
    expect(describeItems({ pages: 3, databases: 2 })).toBe('3 pages · 2 databases');
  });

  it('links a comparison older first, whichever was picked first, and a history by item', () => {
    expect(compareHref('c 1', snapshot('new', 3), snapshot('old', 1))).toBe('/connections/c%201/snapshots/compare?from=old&to=new');
    expect(compareHref('c1', snapshot('old', 1), snapshot('new', 3))).toBe('/connections/c1/snapshots/compare?from=old&to=new');
    expect(historyHref('c1', 'a&b')).toBe('/connections/c1/snapshots/history?item=a%26b');
  });

  it('finds the snapshot before that can be compared, skipping unfinished and gone ones', () => {
    const list = [snapshot('s4', 4), snapshot('s3', 3, false), snapshot('s2', 2), snapshot('s1', 1)];
    expect(previousComparable(list, 0)?.id).toBe('s2');
    expect(previousComparable(list, 3)).toBeUndefined();
    expect(canCompare(list[1] as ReturnType<typeof snapshot>)).toBe(false);
  });

  it('keeps at most two picks, letting go of the first, and unpicks on a second click', () => {
    expect(togglePick([], 'a')).toEqual(['a']);
    expect(togglePick(['a'], 'b')).toEqual(['a', 'b']);
    expect(togglePick(['a', 'b'], 'c')).toEqual(['b', 'c']);
    expect(togglePick(['a', 'b'], 'a')).toEqual(['b']);
  });
});
