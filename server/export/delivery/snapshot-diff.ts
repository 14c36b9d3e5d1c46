import path from 'node:path';
import { structuredPatch } from 'diff';
import type { ItemKind } from '@/db/schema';
import type { AppContext } from '@/server/app-context';
import { DomainError } from '@/server/errors';
import { withoutVolatileParts } from '@/server/export/files/volatile-parts';
import { openExportFile } from './export-file';
import { loadSnapshot, type Snapshot, type SnapshotFile, type SnapshotItem } from './snapshot-source';

/**
 * "What changed" between two snapshots A → B of one connection: the items added, removed, moved
 * (same id, another parent or folder) and edited (a file of the item changed), and for one
 * edited page a line diff of its Markdown. Both snapshots must be finished exports of the same
 * connection whose folders are still here.
 */

/** The order in which an item's own document is chosen: the one a person reads first. */
const DOCUMENT_EXTENSIONS = ['.md', '.csv', '.html', '.json'] as const;

/** One item's files in one snapshot, keyed so that a move or a rename does not look like new files. */
export interface ItemFiles {
  id: string;
  item: SnapshotItem | undefined;
  /** Its own document (`dir/stem.md`…), when it has one. */
  main: string | null;
  /** `dir/stem`, shared by its documents; files under it are keyed by their extension. */
  prefix: string | null;
  /** File key (`.md`, or the path for others such as attachments) → file. */
  files: Map<string, SnapshotFile>;
}

const extensionOf = (p: string) => path.posix.extname(p).toLowerCase();

function prefixOf(item: SnapshotItem | undefined, files: readonly SnapshotFile[]): string | null {
  if (item?.stem) return item.dir ? `${item.dir}/${item.stem}` : item.stem;
  for (const ext of DOCUMENT_EXTENSIONS) {
    const doc = files.find((f) => extensionOf(f.path) === ext && !f.path.startsWith('attachments/'));
    if (doc) return doc.path.slice(0, -ext.length);
  }
  return null;
}

/** The key of `file` among its item's: its extension for the item's own documents, else its path. */
export function fileKey(prefix: string | null, file: string): string {
  if (prefix !== null && file.startsWith(`${prefix}.`)) {
    const rest = file.slice(prefix.length);
    if (!rest.includes('/')) return rest;
  }
  return file;
}

/** Every item of a snapshot with its files: those it exported, and those that name it as their source. */
export function itemsOf(snapshot: Pick<Snapshot, 'files' | 'items'>): Map<string, ItemFiles> {
  const bySource = new Map<string, SnapshotFile[]>();
  for (const file of snapshot.files) {
    const list = bySource.get(file.sourceId);
    if (list) list.push(file);
    else bySource.set(file.sourceId, [file]);
  }
  const ids = new Set([...snapshot.items.keys(), ...bySource.keys()]);
  const out = new Map<string, ItemFiles>();
  for (const id of ids) {
    const item = snapshot.items.get(id);
    const files = bySource.get(id) ?? [];
    const prefix = prefixOf(item, files);
    const keyed = new Map(files.map((f) => [fileKey(prefix, f.path), f]));
    const main = prefix === null ? null : (DOCUMENT_EXTENSIONS.map((ext) => keyed.get(ext)?.path).find((p) => p !== undefined) ?? null);
    out.set(id, { id, item, main, prefix, files: keyed });
  }
  return out;
}

/** An item as the comparison names it. */
export interface ChangedEntry {
  id: string;
  kind: ItemKind;
  title: string;
  /** Its own document in the later snapshot (the earlier one for a removed item); null when it has none. */
  path: string | null;
}

export interface MovedEntry extends ChangedEntry {
  /** The folder it was in and is in now (`''`: the top of the export). */
  fromFolder: string;
  toFolder: string;
  /** The titles of its former and new parent, when known. */
  fromParent: string | null;
  toParent: string | null;
}

export interface EditedEntry extends ChangedEntry {
  /** Its title in the earlier snapshot, when it was renamed. */
  renamedFrom: string | null;
  /** The files that differ, as they are named in the later snapshot (the earlier one for a removed file). */
  files: { path: string; change: 'added' | 'removed' | 'changed' }[];
  /** Whether it has a document a line diff can be shown for. */
  diffable: boolean;
}

export interface SnapshotDiff {
  from: { id: string; at: Date };
  to: { id: string; at: Date };
  counts: { added: number; removed: number; moved: number; edited: number };
  added: ChangedEntry[];
  removed: ChangedEntry[];
  moved: MovedEntry[];
  edited: EditedEntry[];
  /** Whether a list was cut at MAX_LISTED (the counts are whole). */
  truncated: boolean;
}

/** Items listed per kind of change at most; the counts say how many there are. */
export const MAX_LISTED = 500;

function titleOf(id: string, ...sides: (ItemFiles | undefined)[]): string {
  for (const side of sides) if (side?.item?.title) return side.item.title;
  for (const side of sides) if (side?.main) return path.posix.basename(side.main, path.posix.extname(side.main));
  return id;
}

function kindOf(...sides: (ItemFiles | undefined)[]): ItemKind {
  for (const side of sides) if (side?.item) return side.item.kind;
  return sides.some((s) => s?.main?.endsWith('.csv')) ? 'database' : 'page';
}

function folderOf(side: ItemFiles): string {
  if (side.item?.dir != null) return side.item.dir;
  const anchor = side.main ?? side.prefix;
  if (anchor === null) return '';
  const dir = path.posix.dirname(anchor);
  return dir === '.' ? '' : dir;
}

/** Moved: another parent when both snapshots know it, else another folder. */
function wasMoved(a: ItemFiles, b: ItemFiles): boolean {
  if (a.item && b.item) return a.item.parentId !== b.item.parentId;
  return folderOf(a) !== folderOf(b);
}

/** A changed file, with its path in the earlier snapshot (another one when its item moved or was renamed). */
type FileChange = EditedEntry['files'][number] & { earlier?: string };

function fileChanges(a: ItemFiles, b: ItemFiles): FileChange[] {
  const changes: FileChange[] = [];
  for (const [key, file] of b.files) {
    const before = a.files.get(key);
    if (!before) changes.push({ path: file.path, change: 'added' });
    else if (before.sha256 !== file.sha256) changes.push({ path: file.path, change: 'changed', earlier: before.path });
  }
  for (const [key, file] of a.files) if (!b.files.has(key)) changes.push({ path: file.path, change: 'removed' });
  return changes.sort((x, y) => x.path.localeCompare(y.path));
}

const documentKey = (a: ItemFiles | undefined, b: ItemFiles | undefined): string | undefined =>
  DOCUMENT_EXTENSIONS.find((ext) => a?.files.has(ext) || b?.files.has(ext));

/** The changes of each kind, whole (before MAX_LISTED). */
interface Changes {
  added: ChangedEntry[];
  removed: ChangedEntry[];
  moved: MovedEntry[];
  edited: EditedEntry[];
}

function listChanges(a: Snapshot, b: Snapshot): Changes {
  const before = itemsOf(a);
  const after = itemsOf(b);
  const entry = (id: string, side: ItemFiles, other?: ItemFiles): ChangedEntry => ({
    id,
    kind: kindOf(side, other),
    title: titleOf(id, side, other),
    path: side.main,
  });
  const changes: Changes = { added: [], removed: [], moved: [], edited: [] };
  for (const [id, now] of after) {
    const then = before.get(id);
    if (!then) {
      changes.added.push(entry(id, now));
      continue;
    }
    if (wasMoved(then, now)) {
      const parentTitle = (side: Map<string, ItemFiles>, parentId: string | null | undefined) =>
        parentId ? titleOf(parentId, side.get(parentId), after.get(parentId), before.get(parentId)) : null;
      changes.moved.push({
        ...entry(id, now, then),
        fromFolder: folderOf(then),
        toFolder: folderOf(now),
        fromParent: parentTitle(before, then.item?.parentId),
        toParent: parentTitle(after, now.item?.parentId),
      });
    }
    const files = fileChanges(then, now);
    const renamedFrom = then.item && now.item && then.item.title !== now.item.title ? then.item.title : null;
    if (files.length > 0 || renamedFrom !== null) {
      changes.edited.push({ ...entry(id, now, then), renamedFrom, files, diffable: documentKey(then, now) !== undefined });
    }
  }
  for (const [id, then] of before) if (!after.has(id)) changes.removed.push(entry(id, then));
  return changes;
}

function bounded(a: Snapshot, b: Snapshot, changes: Changes): SnapshotDiff {
  const byTitle = (x: ChangedEntry, y: ChangedEntry) => x.title.localeCompare(y.title) || x.id.localeCompare(y.id);
  for (const list of Object.values(changes)) list.sort(byTitle);
  const { added, removed, moved, edited } = changes;
  return {
    from: { id: a.id, at: a.at },
    to: { id: b.id, at: b.at },
    counts: { added: added.length, removed: removed.length, moved: moved.length, edited: edited.length },
    added: added.slice(0, MAX_LISTED),
    removed: removed.slice(0, MAX_LISTED),
    moved: moved.slice(0, MAX_LISTED),
    edited: edited.slice(0, MAX_LISTED).map((e) => ({ ...e, files: e.files.map(({ path, change }) => ({ path, change })) })),
    truncated: Object.values(changes).some((list) => list.length > MAX_LISTED),
  };
}

/** Compares two loaded snapshots by their files' checksums alone (pure: no disk, no database). */
export function compareSnapshots(a: Snapshot, b: Snapshot): SnapshotDiff {
  return bounded(a, b, listChanges(a, b));
}

/** JSON files compared by content at most per comparison; past it, a changed checksum counts as a change. */
export const MAX_CONFIRMED_FILES = 2_000;

/**
 * The edits left once JSON files that differ only where every read differs (the signature and
 * expiry of Notion's file URLs, request ids: the JSON keeps the API's objects as they came) are
 * taken out. Two full exports of an unchanged page write such files; a sync keeps the old ones.
 */
async function withoutVolatileChanges(ctx: AppContext, a: Snapshot, b: Snapshot, edited: EditedEntry[]): Promise<EditedEntry[]> {
  let budget = MAX_CONFIRMED_FILES;
  const out: EditedEntry[] = [];
  for (const entry of edited) {
    const files: EditedEntry['files'] = [];
    for (const { earlier, ...file } of entry.files as FileChange[]) {
      const confirm = file.change === 'changed' && earlier !== undefined && extensionOf(file.path) === '.json' && budget > 0;
      if (confirm) {
        budget--;
        if (await differsOnlyWhereReadsDo(ctx, a.id, earlier, b.id, file.path)) continue;
      }
      files.push(file);
    }
    if (files.length > 0 || entry.renamedFrom !== null) out.push({ ...entry, files });
  }
  return out;
}

/** Whether two JSON files of an item are the same once what differs at every read is left out (false when either cannot be read). */
export async function differsOnlyWhereReadsDo(ctx: AppContext, fromId: string, fromPath: string, toId: string, toPath: string): Promise<boolean> {
  const [before, after] = await Promise.all([readDocument(ctx, fromId, fromPath), readDocument(ctx, toId, toPath)]);
  return typeof before === 'string' && typeof after === 'string' && withoutVolatileParts(before) === withoutVolatileParts(after);
}

/** Loads both snapshots, checked to be finished exports of one connection (`connectionId` when given). */
async function loadPair(ctx: AppContext, fromId: string, toId: string, connectionId?: string, itemId?: string): Promise<[Snapshot, Snapshot]> {
  if (fromId === toId) throw new DomainError('BAD_INPUT', 'Choose two different snapshots to compare');
  const a = await loadSnapshot(ctx, fromId, connectionId, itemId);
  const b = await loadSnapshot(ctx, toId, a.connectionId, itemId);
  return [a, b];
}

/** What changed from snapshot `fromId` to snapshot `toId`. */
export async function diffSnapshots(ctx: AppContext, input: { from: string; to: string; connectionId?: string }): Promise<SnapshotDiff> {
  const [a, b] = await loadPair(ctx, input.from, input.to, input.connectionId);
  const changes = listChanges(a, b);
  changes.edited = await withoutVolatileChanges(ctx, a, b, changes.edited);
  return bounded(a, b, changes);
}

/** One line of a hunk: `+` added, `-` removed, ` ` unchanged (context). */
export interface DiffLine {
  sign: '+' | '-' | ' ';
  text: string;
}

export interface DiffHunk {
  oldStart: number;
  oldLines: number;
  newStart: number;
  newLines: number;
  lines: DiffLine[];
}

export interface PageDiff {
  id: string;
  kind: ItemKind;
  title: string;
  /** The document compared in each snapshot (null where the item had none). */
  fromPath: string | null;
  toPath: string | null;
  /** Hunks shown: the first ones, up to MAX_HUNKS and MAX_DIFF_LINES lines. */
  hunks: DiffHunk[];
  totalHunks: number;
  added: number;
  removed: number;
  /** Set when no line diff can be shown, or only part of it: why, in words. */
  note: string | null;
}

/** A document larger than this is not compared line by line. */
export const MAX_DIFF_FILE_BYTES = 2 * 1024 * 1024;
/** Hunks and lines shown at most. */
export const MAX_HUNKS = 40;
export const MAX_DIFF_LINES = 2_000;
/**
 * The diff gives up past this many changed lines (a page rewritten from top to bottom): its work
 * grows with the square of the changes, and it runs on the server's one thread (about 1 s at
 * this bound for a 50,000-line page).
 */
export const MAX_EDIT_LENGTH = 2_000;

async function readDocument(ctx: AppContext, exportId: string, rel: string | null): Promise<string | { tooLarge: number }> {
  if (rel === null) return '';
  const file = await openExportFile(ctx, exportId, rel.split('/'));
  try {
    if (file.bytes > MAX_DIFF_FILE_BYTES) return { tooLarge: file.bytes };
    return await file.handle.readFile('utf8');
  } finally {
    await file.handle.close();
  }
}

/**
 * The line diff of one item's document (its Markdown, else its CSV, HTML or JSON) between two
 * snapshots: the first hunks up to the limits, with a note when some were left out or no diff
 * could be made. NOT_FOUND when the item is in neither snapshot.
 */
export async function diffPage(ctx: AppContext, input: { from: string; to: string; itemId: string; connectionId?: string }): Promise<PageDiff> {
  // Only the item's own files and rows are read: a large snapshot costs no more than a small one here.
  const [a, b] = await loadPair(ctx, input.from, input.to, input.connectionId, input.itemId);
  const then = itemsOf(a).get(input.itemId);
  const now = itemsOf(b).get(input.itemId);
  if (!then && !now) throw new DomainError('NOT_FOUND', 'This page is in neither snapshot');
  const key = documentKey(then, now);
  const fromPath = key ? (then?.files.get(key)?.path ?? null) : null;
  const toPath = key ? (now?.files.get(key)?.path ?? null) : null;
  const answer: PageDiff = {
    id: input.itemId,
    kind: kindOf(now, then),
    title: titleOf(input.itemId, now, then),
    fromPath,
    toPath,
    hunks: [],
    totalHunks: 0,
    added: 0,
    removed: 0,
    note: null,
  };
  if (!key) return { ...answer, note: 'This item has no document to compare line by line.' };
  const [before, after] = await Promise.all([readDocument(ctx, a.id, fromPath), readDocument(ctx, b.id, toPath)]);
  if (typeof before !== 'string' || typeof after !== 'string') {
    return { ...answer, note: `This document is too large to compare line by line (over ${MAX_DIFF_FILE_BYTES / 1024 / 1024} MB).` };
  }
  const patch = structuredPatch(fromPath ?? '', toPath ?? '', before, after, undefined, undefined, { context: 3, maxEditLength: MAX_EDIT_LENGTH });
  if (!patch) return { ...answer, note: 'Too much of this document changed to show a line diff.' };
  return { ...answer, ...boundedHunks(patch.hunks) };
}

/** The first hunks within MAX_HUNKS and MAX_DIFF_LINES, the totals of the whole diff, and a note when some were left out. */
export function boundedHunks(
  hunks: readonly { oldStart: number; oldLines: number; newStart: number; newLines: number; lines: string[] }[],
): Pick<PageDiff, 'hunks' | 'totalHunks' | 'added' | 'removed' | 'note'> {
  const shown: DiffHunk[] = [];
  let lines = 0;
  let added = 0;
  let removed = 0;
  let partial = false;
  for (const hunk of hunks) {
    const parsed: DiffLine[] = [];
    for (const line of hunk.lines) {
      const sign = line[0];
      // jsdiff marks a missing newline at the end with a `\` line: not a line of the page.
      if (sign !== '+' && sign !== '-' && sign !== ' ') continue;
      if (sign === '+') added++;
      if (sign === '-') removed++;
      parsed.push({ sign, text: line.slice(1) });
    }
    if (shown.length < MAX_HUNKS && lines + parsed.length <= MAX_DIFF_LINES) {
      shown.push({ oldStart: hunk.oldStart, oldLines: hunk.oldLines, newStart: hunk.newStart, newLines: hunk.newLines, lines: parsed });
      lines += parsed.length;
    } else if (shown.length === 0) {
      // One hunk longer than the limit: its first lines.
      shown.push({ oldStart: hunk.oldStart, oldLines: hunk.oldLines, newStart: hunk.newStart, newLines: hunk.newLines, lines: parsed.slice(0, MAX_DIFF_LINES) });
      lines = MAX_DIFF_LINES;
      partial = parsed.length > MAX_DIFF_LINES;
    }
  }
  const cut = shown.length < hunks.length || partial;
  return {
    hunks: shown,
    totalHunks: hunks.length,
    added,
    removed,
    note: cut ? `Showing the first ${shown.length} of ${hunks.length} changed parts; download both snapshots to see the rest.` : null,
  };
}
