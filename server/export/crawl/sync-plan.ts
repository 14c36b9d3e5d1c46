/**
 * What a sync does with each item, decided from its baseline (what the last export read) and the
 * workspace's listing now. Pure: no requests, no files, no database.
 *
 * - carried: unchanged, and nothing it shows changed: recorded with the baseline's files, no request;
 * - inPlace: read again and written where it was (edited, or something it links to, lists or
 *   shows changed: a child came, went, moved or was renamed; a row of a database changed…);
 * - relocated: placed again by the walk from its (new) parent and read again: moved, renamed (its
 *   file name and the folder of its children change), new, or below such an item with changes of its own;
 * - movedAlong: below a moved or renamed item, unchanged itself: placed again by its parent's walk,
 *   its files taken from the baseline with their links made to fit the new place (no request);
 * - relinked: unchanged, in its place, but linking to items that only moved: its files taken from
 *   the baseline with those links made to point at the new places (no request);
 * - left to the walk: items search does not list (gone, restricted, linked database views) whose
 *   parent is read again: what the parent's page still shows is exported (or fails) as in a full export.
 */

/** Minute precision of `last_edited_time`, and how far Notion's clock and ours may disagree. */
export const EDIT_TIME_PRECISION_MS = 60_000;
export const CLOCK_SKEW_MS = 30_000;

export interface BaselineEntry {
  id: string;
  kind: 'page' | 'database';
  title: string;
  parentId: string | null;
  dir: string | null;
  stem: string | null;
  status: 'done' | 'failed';
  /** A linked database view: done without files, never listed by search. */
  linked: boolean;
  lastEditedTime: string | null;
  readAt: number | null;
  /** What its files link to or name; undefined when the baseline did not record it (older exports). */
  links?: readonly string[];
  shows?: readonly string[];
  holds?: readonly string[];
}

export interface ListingEntry {
  id: string;
  kind: 'page' | 'database';
  title: string;
  /** The parent item as the export knows it (a row's database, not its data source); null at the workspace's top. */
  parentId: string | null;
  /** The parent is an item of the export (page or database) or the workspace: a move can be told from it. */
  parentKnown: boolean;
  lastEditedTime: string;
  trashed: boolean;
}

export interface SyncPlan {
  carried: string[];
  /** Failures carried over as they were (not listed, their parent not read again). */
  carriedFailures: string[];
  inPlace: string[];
  relocated: string[];
  /** Unchanged items below a moved or renamed one: placed again, their files relinked, not read. */
  movedAlong: string[];
  /** Unchanged items in place whose links to moved items are rewritten, not read. */
  relinked: string[];
  /** Listed for the first time (a subset of `relocated`). */
  added: string[];
  /** In the baseline and now in the trash. */
  trashed: string[];
  /** Not needed again by the listing: left to the walk (exported if a page still shows them). */
  unlisted: string[];
  /** Items listed in the trash that the export never had (for the report). */
  trashedElsewhere: string[];
}

/** Whether an item must be read again though its `last_edited_time` is the same: the baseline read it in that same minute. */
export function readTooSoon(lastEditedTime: string, readAt: number, skewMs = CLOCK_SKEW_MS): boolean {
  const edited = Date.parse(lastEditedTime);
  return !Number.isFinite(edited) || readAt < edited + EDIT_TIME_PRECISION_MS + skewMs;
}

function isEdited(base: BaselineEntry, now: ListingEntry, skewMs: number): boolean {
  if (base.status === 'failed' || base.lastEditedTime === null || base.readAt === null) return true;
  return now.lastEditedTime !== base.lastEditedTime || readTooSoon(base.lastEditedTime, base.readAt, skewMs);
}

export function planSync(
  baseline: ReadonlyMap<string, BaselineEntry>,
  listing: ReadonlyMap<string, ListingEntry>,
  options: { skewMs?: number; childTimesShown?: boolean } = {},
): SyncPlan {
  const skewMs = options.skewMs ?? CLOCK_SKEW_MS;
  const children = new Map<string, string[]>();
  for (const item of baseline.values()) {
    if (item.parentId === null) continue;
    const list = children.get(item.parentId) ?? [];
    list.push(item.id);
    children.set(item.parentId, list);
  }
  const edited = new Set<string>();
  const relocated = new Set<string>();
  const added: string[] = [];
  const trashed: string[] = [];
  const gone = new Set<string>();
  const reread = new Set<string>();
  /** Items whose place, title or presence changed: who links to them or lists them is read again. */
  const changedPlace = new Set<string>();

  for (const base of baseline.values()) {
    const now = listing.get(base.id);
    if (!now || now.trashed) {
      if (now?.trashed) trashed.push(base.id);
      else if (base.linked || base.status === 'failed') continue; // decided once the parents are known
      else gone.add(base.id);
      changedPlace.add(base.id);
      if (base.parentId !== null) reread.add(base.parentId);
      continue;
    }
    if (base.status === 'failed') changedPlace.add(base.id);
    const moved = now.parentKnown ? now.parentId !== base.parentId : false;
    const changed = isEdited(base, now, skewMs);
    if (!changed && !moved) continue;
    edited.add(base.id);
    // A move, a new title (its file name and the folder of its children), or a move we cannot
    // see (its parent is a block inside some page): placed again by the walk.
    const renamed = changed && now.title !== base.title;
    if (moved || renamed || (!now.parentKnown && changed) || base.dir === null || base.stem === null) {
      relocated.add(base.id);
      changedPlace.add(base.id);
      if (base.parentId !== null) reread.add(base.parentId);
      if (now.parentId !== null) reread.add(now.parentId);
    } else if (base.parentId !== null) {
      // A row's properties are a line of its database's CSV; the JSON of a page keeps its child
      // pages' and databases' blocks, edit time included.
      const parentKind = baseline.get(base.parentId)?.kind;
      if (parentKind === 'database' || (parentKind === 'page' && options.childTimesShown)) reread.add(base.parentId);
    }
  }
  const trashedElsewhere: string[] = [];
  for (const now of listing.values()) {
    if (baseline.has(now.id)) continue;
    if (now.trashed) {
      trashedElsewhere.push(now.id);
      continue;
    }
    added.push(now.id);
    relocated.add(now.id);
    changedPlace.add(now.id);
    if (now.parentId !== null) reread.add(now.parentId);
  }

  // Below a relocated item every folder changes; below a removed one, the walk decides.
  const below = (id: string, visit: (child: string) => void) => {
    const stack = [...(children.get(id) ?? [])];
    for (let next = stack.pop(); next !== undefined; next = stack.pop()) {
      visit(next);
      stack.push(...(children.get(next) ?? []));
    }
  };
  // …which the walk places again; what did not change itself moves along without a request.
  const movedAlong = new Set<string>();
  for (const id of [...relocated]) {
    below(id, (child) => {
      const now = listing.get(child);
      if (!now || now.trashed || relocated.has(child)) return;
      changedPlace.add(child);
      const base = baseline.get(child);
      if (base && !edited.has(child) && isCarriable(base)) movedAlong.add(child);
      else relocated.add(child);
    });
  }
  for (const id of [...gone, ...trashed]) {
    below(id, (child) => {
      const now = listing.get(child);
      if (now && !now.trashed && !relocated.has(child)) {
        relocated.add(child);
        changedPlace.add(child);
        if (now.parentId !== null) reread.add(now.parentId);
      }
    });
  }

  // An edited database (a schema change) renders its rows again.
  for (const id of edited) {
    if (baseline.get(id)?.kind !== 'database') continue;
    for (const row of children.get(id) ?? []) reread.add(row);
  }
  // Who links to or names an item whose place, title or presence changed is read again; who
  // links only to items that moved with their title (a link's path changes, not its words) is relinked.
  const onlyMoved = (id: string) => {
    const base = baseline.get(id);
    const now = listing.get(id);
    return base !== undefined && now !== undefined && !now.trashed && now.title === base.title && (movedAlong.has(id) || relocated.has(id));
  };
  const anyChange = changedPlace.size > 0;
  const relinks = new Set<string>();
  for (const item of baseline.values()) {
    if (item.links === undefined ? anyChange : item.links.some((id) => changedPlace.has(id) && !onlyMoved(id))) reread.add(item.id);
    else if (item.links?.some((id) => changedPlace.has(id))) relinks.add(item.id);
  }
  // Pages showing a synced original held by a page that changed.
  const originals = new Set<string>();
  for (const id of [...edited, ...relocated]) for (const held of baseline.get(id)?.holds ?? []) originals.add(held);
  if (originals.size > 0) {
    for (const item of baseline.values()) if (item.shows?.some((o) => originals.has(o))) reread.add(item.id);
  }

  // Moving along is for what is neither read again nor shows something that changed.
  for (const id of movedAlong) {
    if (!reread.has(id)) continue;
    movedAlong.delete(id);
    relocated.add(id);
  }

  const carried: string[] = [];
  const carriedFailures: string[] = [];
  const inPlace: string[] = [];
  const relinked: string[] = [];
  const unlisted: string[] = [...gone];
  const trashedSet = new Set(trashed);
  const parentReread = (item: BaselineEntry) =>
    item.parentId !== null &&
    [reread, edited, relocated, movedAlong, gone, trashedSet].some((set) => set.has(item.parentId as string));
  for (const item of baseline.values()) {
    const now = listing.get(item.id);
    if (relocated.has(item.id) || movedAlong.has(item.id) || gone.has(item.id) || now?.trashed) continue;
    if (!now) {
      // Linked database views and pages that could not be read, never listed: as they were, unless their parent is read again.
      if (parentReread(item)) unlisted.push(item.id);
      else if (item.status === 'failed') carriedFailures.push(item.id);
      else carried.push(item.id);
      continue;
    }
    if (edited.has(item.id) || reread.has(item.id)) inPlace.push(item.id);
    else if (relinks.has(item.id) && isCarriable(item)) relinked.push(item.id);
    else if (relinks.has(item.id)) inPlace.push(item.id);
    else carried.push(item.id);
  }
  return {
    carried,
    carriedFailures,
    inPlace,
    relocated: [...relocated],
    movedAlong: [...movedAlong],
    relinked,
    added,
    trashed,
    unlisted,
    trashedElsewhere,
  };
}

/** An item whose files the baseline holds as they are: exported, placed, read after its last edit, not a linked view. */
function isCarriable(base: BaselineEntry): boolean {
  return base.status === 'done' && !base.linked && base.dir !== null && base.stem !== null && base.lastEditedTime !== null && base.readAt !== null;
}
