import { describe, expect, it } from 'vitest';
import { type BaselineEntry, CLOCK_SKEW_MS, type ListingEntry, planSync, readTooSoon } from './sync-plan';

const T0 = '2025-01-01T10:00:00.000Z';
const T1 = '2025-02-01T10:00:00.000Z';
const LONG_AFTER = Date.parse(T0) + 3_600_000;

function base(id: string, parentId: string | null, more: Partial<BaselineEntry> = {}): BaselineEntry {
  return {
    id,
    kind: 'page',
    title: `T ${id}`,
    parentId,
    dir: parentId ? `d-${parentId}` : '',
    stem: `S ${id}`,
    status: 'done',
    linked: false,
    lastEditedTime: T0,
    readAt: LONG_AFTER,
    links: [],
    shows: [],
    holds: [],
    ...more,
  };
}

function listed(entry: BaselineEntry, more: Partial<ListingEntry> = {}): ListingEntry {
  return { id: entry.id, kind: entry.kind, title: entry.title, parentId: entry.parentId, parentKnown: true, lastEditedTime: T0, trashed: false, ...more };
}

/** root ─ a ─ a1, a2; root ─ b; db (a database under root) ─ r1, r2 */
function workspace(over: Record<string, Partial<BaselineEntry>> = {}) {
  const entries = [
    base('root', null),
    base('a', 'root'),
    base('a1', 'a'),
    base('a2', 'a'),
    base('b', 'root'),
    base('db', 'root', { kind: 'database' }),
    base('r1', 'db'),
    base('r2', 'db'),
  ].map((e) => ({ ...e, ...over[e.id] }));
  return new Map(entries.map((e) => [e.id, e]));
}

const listingOf = (baseline: Map<string, BaselineEntry>, over: Record<string, Partial<ListingEntry> | null> = {}) => {
  const out = new Map<string, ListingEntry>();
  for (const e of baseline.values()) if (over[e.id] !== null) out.set(e.id, listed(e, over[e.id] ?? {}));
  return out;
};

const sorted = (ids: string[]) => [...ids].sort();

describe('planSync', () => {
  it('carries everything over when nothing changed', () => {
    const baseline = workspace();
    const plan = planSync(baseline, listingOf(baseline));
    expect(sorted(plan.carried)).toEqual(sorted([...baseline.keys()]));
    expect([...plan.inPlace, ...plan.relocated, ...plan.added, ...plan.trashed, ...plan.unlisted]).toEqual([]);
  });

  it('reads an edited page again in place, alone (its parent only when its JSON shows child edit times)', () => {
    const baseline = workspace();
    const listing = listingOf(baseline, { a1: { lastEditedTime: T1 } });
    expect(planSync(baseline, listing).inPlace).toEqual(['a1']);
    expect(sorted(planSync(baseline, listing, { childTimesShown: true }).inPlace)).toEqual(['a', 'a1']);
  });

  it('reads a row’s database again with the row (its CSV line)', () => {
    const baseline = workspace();
    expect(sorted(planSync(baseline, listingOf(baseline, { r1: { lastEditedTime: T1 } })).inPlace)).toEqual(['db', 'r1']);
  });

  it('reads every row of a database whose schema changed', () => {
    const baseline = workspace();
    expect(sorted(planSync(baseline, listingOf(baseline, { db: { lastEditedTime: T1 } })).inPlace)).toEqual(['db', 'r1', 'r2']);
  });

  it('places a renamed or moved page again, and reads it; what is below moves along unread; both parents are read again', () => {
    const baseline = workspace({ a: { links: ['a1', 'a2'] } });
    const renamed = planSync(baseline, listingOf(baseline, { a: { lastEditedTime: T1, title: 'New' } }));
    expect(renamed.relocated).toEqual(['a']);
    expect(sorted(renamed.movedAlong)).toEqual(['a1', 'a2']);
    expect(renamed.inPlace).toEqual(['root']);
    const moved = planSync(baseline, listingOf(baseline, { a: { lastEditedTime: T1, parentId: 'b' } }));
    expect(moved.relocated).toEqual(['a']);
    expect(sorted(moved.movedAlong)).toEqual(['a1', 'a2']);
    expect(sorted(moved.inPlace)).toEqual(['b', 'root']);
  });

  it('reads again what is below a moved page when it changed itself or shows what changed', () => {
    const baseline = workspace({ a1: { links: ['x'] }, x: { title: 'X' } } as Record<string, Partial<BaselineEntry>>);
    baseline.set('x', base('x', 'b'));
    baseline.set('a1', { ...baseline.get('a1')!, links: ['x'] });
    const listing = listingOf(baseline, { a: { lastEditedTime: T1, parentId: 'b' }, a2: { lastEditedTime: T1 }, x: { lastEditedTime: T1, title: 'Renamed' } });
    const plan = planSync(baseline, listing);
    expect(sorted(plan.relocated)).toEqual(['a', 'a1', 'a2', 'x']);
    expect(plan.movedAlong).toEqual([]);
  });

  it('relinks, without reading them, pages in place that link to pages that only moved', () => {
    const baseline = workspace({ b: { links: ['a1'] }, r1: { links: ['a1', 'b'] }, db: { links: ['a1'] } });
    const plan = planSync(baseline, listingOf(baseline, { a1: { lastEditedTime: T1, parentId: 'root' } }));
    expect(sorted(plan.relinked)).toEqual(['b', 'db', 'r1']);
    expect(sorted(plan.inPlace)).toEqual(['a', 'root']);
    const renamed = planSync(baseline, listingOf(baseline, { a1: { lastEditedTime: T1, title: 'New' } }));
    expect(sorted(renamed.inPlace)).toEqual(['a', 'b', 'db', 'r1']);
    expect(renamed.relinked).toEqual([]);
  });

  it('adds new items under a parent read again; the trashed are removed, their parent read again', () => {
    const baseline = workspace();
    const listing = listingOf(baseline, { a2: { trashed: true } });
    listing.set('n', { id: 'n', kind: 'page', title: 'New', parentId: 'b', parentKnown: true, lastEditedTime: T1, trashed: false });
    listing.set('old', { id: 'old', kind: 'page', title: 'Old', parentId: 'b', parentKnown: true, lastEditedTime: T0, trashed: true });
    const plan = planSync(baseline, listing);
    expect(plan.added).toEqual(['n']);
    expect(plan.relocated).toEqual(['n']);
    expect(plan.trashed).toEqual(['a2']);
    expect(plan.trashedElsewhere).toEqual(['old']);
    expect(sorted(plan.inPlace)).toEqual(['a', 'b']);
  });

  it('leaves a page gone from the listing to its parent’s walk, and places what was below it again', () => {
    const baseline = workspace();
    const plan = planSync(baseline, listingOf(baseline, { a: null }));
    expect(plan.unlisted).toEqual(['a']);
    expect(sorted(plan.relocated)).toEqual(['a1', 'a2']);
    expect(plan.inPlace).toEqual(['root']);
  });

  it('reads again who links to an item whose place or title changed, and who shows a synced original that changed', () => {
    const baseline = workspace({ b: { links: ['a2'] }, r1: { shows: ['blk'] }, a1: { holds: ['blk'] } });
    const moved = planSync(baseline, listingOf(baseline, { a2: { lastEditedTime: T1, parentId: 'root', title: 'New' } }));
    expect(moved.inPlace).toContain('b');
    const synced = planSync(baseline, listingOf(baseline, { a1: { lastEditedTime: T1 } }));
    // The row shows the original in its body, not in its database's CSV.
    expect(sorted(synced.inPlace)).toEqual(['a1', 'r1']);
  });

  it('reads again, once anything moved, items whose links the baseline did not record', () => {
    const baseline = workspace({ b: { links: undefined } });
    expect(planSync(baseline, listingOf(baseline)).carried).toContain('b');
    expect(planSync(baseline, listingOf(baseline, { a2: { lastEditedTime: T1, title: 'x' } })).inPlace).toContain('b');
  });

  it('carries linked database views and failures over unless their parent is read again; retries a failure search lists', () => {
    const baseline = workspace({ a1: { status: 'failed', lastEditedTime: null }, a2: { kind: 'database', linked: true, lastEditedTime: null } });
    const quiet = planSync(baseline, listingOf(baseline, { a1: null, a2: null }));
    expect(quiet.carriedFailures).toEqual(['a1']);
    expect(quiet.carried).toContain('a2');
    const parentEdited = planSync(baseline, listingOf(baseline, { a1: null, a2: null, a: { lastEditedTime: T1 } }));
    expect(sorted(parentEdited.unlisted)).toEqual(['a1', 'a2']);
    const listedAgain = planSync(baseline, listingOf(baseline, { a2: null }));
    expect(listedAgain.inPlace).toContain('a1');
  });

  it('reads a page again when the baseline read it in the minute of its edit time (or a little after)', () => {
    const edited = Date.parse(T0);
    const baseline = workspace({ b: { readAt: edited + 20_000 } });
    expect(planSync(baseline, listingOf(baseline)).inPlace).toEqual(['b']);
    expect(readTooSoon(T0, edited + 59_999)).toBe(true);
    expect(readTooSoon(T0, edited + 60_000 + CLOCK_SKEW_MS - 1)).toBe(true);
    expect(readTooSoon(T0, edited + 60_000 + CLOCK_SKEW_MS)).toBe(false);
    expect(readTooSoon('not a time', LONG_AFTER)).toBe(true);
  });

  it('places again a page whose parent is a block (a move there cannot be seen) once it was edited', () => {
    const baseline = workspace();
    const plan = planSync(baseline, listingOf(baseline, { a1: { lastEditedTime: T1, parentKnown: false, parentId: 'block' } }));
    expect(plan.relocated).toEqual(['a1']);
  });
});
