import { createHash } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { and, eq, inArray, sql } from 'drizzle-orm';
import type { DB } from '@/db/client';
import { exportFiles, exportItems, exportPageObjects, exports } from '@/db/schema';
import type { DiscoveredItem, WrittenFile } from '@/server/export/domain/export';
import { ATTACHMENTS_DIR } from '@/server/export/files/attachments';
import { childFolder, fitPath, fromPosixRelative, relativeLink } from '@/server/export/files/layout';
import { type ExportTarget, type ItemResult, join, type WorkItem, writeItemFile } from './export-target';
import { linkPlaceholder } from './page-links';
import type { BaselineDetail } from './sync-baseline';
import type { BaselineEntry } from './sync-plan';

/**
 * An item a sync does not read again (its content did not change) but whose files change: it
 * moved along with a moved or renamed ancestor, or it links to items that moved. Its files are
 * the baseline's, with every relative link made to fit: resolved from where the file was, to the
 * file it pointed at, then written from where the file is now to where that file is now. The
 * item's children are placed in its new folder with the names they had.
 */

/** What discovery keeps of such an item for the work loop (in the export's object store: a resumed run finds it). */
interface KeptDetail extends BaselineDetail {
  object: 'baseline_item';
  links?: readonly string[];
  shows?: readonly string[];
  holds?: readonly string[];
}

const keyOf = (id: string) => `baseline:${id}`;
/** Documents whose links are relative paths (JSON keeps the API's objects, which hold none). */
const LINKED_DOCUMENTS = ['.md', '.html', '.csv'];
/** A relative link as `relativeLink` writes it: percent-encoded names (parentheses too) joined by '/'. */
const RELATIVE_LINK = /(?:\.\.\/)*[A-Za-z0-9\-_.!~*'%]+(?:\/[A-Za-z0-9\-_.!~*'%]+)*/g;

/** Keeps, for the work loop, the baseline's record of the items it will relink (files, issues, links). */
export async function keepBaselineDetails(
  db: DB,
  exportId: string,
  ids: readonly string[],
  entries: ReadonlyMap<string, BaselineEntry>,
  details: ReadonlyMap<string, BaselineDetail>,
): Promise<void> {
  const rows = ids.flatMap((id) => {
    const detail = details.get(id);
    const entry = entries.get(id);
    if (!detail || !entry) return [];
    const kept: KeptDetail = { object: 'baseline_item', ...detail, links: entry.links, shows: entry.shows, holds: entry.holds };
    return [{ exportId, pageId: keyOf(id), data: kept as unknown }];
  });
  for (let i = 0; i < rows.length; i += 100) {
    await db
      .insert(exportPageObjects)
      .values(rows.slice(i, i + 100))
      .onConflictDoUpdate({ target: [exportPageObjects.exportId, exportPageObjects.pageId], set: { data: sql`excluded.data` } });
  }
}

/** Where an item is in an export, and whether it is written yet. */
interface Place {
  dir: string | null;
  stem: string | null;
  status: string;
}

/**
 * The sync's way to export an item from its baseline without a request: undefined when the item
 * must be read (it changed, or its files or places are not what relinking can reproduce exactly).
 */
export function baselineRelinker(db: DB, exportId: string, baselineId: string, target: ExportTarget): (item: WorkItem) => Promise<ItemResult | undefined> {
  let baselineIndex: Promise<{ root: string; owners: Map<string, string> }> | undefined;
  const index = () => {
    baselineIndex ??= (async () => {
      const [row] = await db.select({ outDir: exports.outDir }).from(exports).where(eq(exports.id, baselineId));
      const owners = new Map<string, string>();
      const files = await db.select({ path: exportFiles.path, sourceId: exportFiles.sourceId }).from(exportFiles).where(eq(exportFiles.exportId, baselineId));
      for (const f of files) owners.set(f.path, f.sourceId);
      return { root: row?.outDir ?? target.root, owners };
    })();
    return baselineIndex;
  };
  /** The places of `ids` in export `id`. */
  const placesIn = async (id: string, ids: readonly string[]): Promise<Map<string, Place>> => {
    const out = new Map<string, Place>();
    for (let i = 0; i < ids.length; i += 500) {
      const rows = await db
        .select({ id: exportItems.itemId, dir: exportItems.dir, stem: exportItems.stem, status: exportItems.status })
        .from(exportItems)
        .where(and(eq(exportItems.exportId, id), inArray(exportItems.itemId, ids.slice(i, i + 500))));
      for (const { id: itemId, ...place } of rows) out.set(itemId, place);
    }
    return out;
  };

  return async (item) => {
    const [now] = await db
      .select({ readAt: exportItems.readAt, lastEditedTime: exportItems.lastEditedTime })
      .from(exportItems)
      .where(and(eq(exportItems.exportId, exportId), eq(exportItems.itemId, item.id)));
    const [base] = await db
      .select({ dir: exportItems.dir, stem: exportItems.stem, status: exportItems.status, readAt: exportItems.readAt, lastEditedTime: exportItems.lastEditedTime })
      .from(exportItems)
      .where(and(eq(exportItems.exportId, baselineId), eq(exportItems.itemId, item.id)));
    // Discovery marks what it did not read again with the baseline's read time.
    if (!now || !base || base.status !== 'done' || now.readAt === null || now.readAt !== base.readAt) return undefined;
    if (now.lastEditedTime !== base.lastEditedTime || base.dir === null || base.stem === null || base.stem !== item.stem) return undefined;
    const [kept] = await db
      .select({ data: exportPageObjects.data })
      .from(exportPageObjects)
      .where(and(eq(exportPageObjects.exportId, exportId), eq(exportPageObjects.pageId, keyOf(item.id))));
    const detail = kept?.data as KeptDetail | undefined;
    if (detail?.object !== 'baseline_item') return undefined;

    const moved = base.dir !== item.dir;
    const oldFolder = childFolder(base.dir, base.stem);
    const newFolder = childFolder(item.dir, item.stem);
    /** Where a file of this item goes: its documents beside it, the rest inside its folder. */
    const ownPath = (p: string): string | undefined => {
      if (path.posix.dirname(p) === (base.dir || '.') && p.startsWith(join(base.dir as string, `${base.stem}.`))) {
        return join(item.dir, `${item.stem}${p.slice(join(base.dir as string, base.stem as string).length)}`);
      }
      if (p.startsWith(`${oldFolder}/`)) return mappedInFolder(p.slice(oldFolder.length + 1), newFolder);
      return undefined;
    };

    const { root: baselineRoot, owners } = await index();
    const unresolved = { value: false };
    const files: WrittenFile[] = [];
    const texts: { from: string; to: string; text: string }[] = [];
    for (const file of detail.files) {
      if (file.path.startsWith(`${ATTACHMENTS_DIR}/`)) {
        files.push({ ...file, sourceId: item.id });
        continue;
      }
      const to = ownPath(file.path);
      if (to === undefined) return undefined;
      const bytes = await readFile(fromPosixRelative(baselineRoot, file.path)).catch(() => undefined);
      if (!bytes || createHash('sha256').update(bytes).digest('hex') !== file.sha256) return undefined;
      texts.push({ from: file.path, to, text: bytes.toString('utf8') });
    }

    // Every baseline file a relative link of these documents points at, by the item that wrote it.
    const locate = (fromDir: string, candidate: string) =>
      trimmedLink(candidate, (c) => {
        const resolved = resolveLink(fromDir, c);
        return resolved !== undefined && owners.has(resolved) ? resolved : undefined;
      });
    const targets = new Map<string, string>();
    for (const { from, text } of texts) {
      if (!LINKED_DOCUMENTS.includes(path.posix.extname(from))) continue;
      for (const [candidate] of text.matchAll(RELATIVE_LINK)) {
        const found = locate(path.posix.dirname(from), candidate);
        if (found) targets.set(found.resolved, owners.get(found.resolved) as string);
      }
    }
    const others = [...new Set(targets.values())].filter((id) => id !== item.id);
    const [before, after] = await Promise.all([placesIn(baselineId, others), placesIn(exportId, others)]);
    /** The file's path now; a placeholder for a document whose item is not written yet; undefined: cannot tell. */
    const newPathOf = (p: string): { path: string } | { placeholder: string } | undefined => {
      const owner = targets.get(p);
      if (owner === undefined || p.startsWith(`${ATTACHMENTS_DIR}/`)) return { path: p };
      if (owner === item.id) {
        const own = ownPath(p);
        return own === undefined ? undefined : { path: own };
      }
      const was = before.get(owner);
      const is = after.get(owner);
      if (!was || was.dir === null || was.stem === null) return { path: p };
      const ext = path.posix.extname(p);
      if (p === join(was.dir, `${was.stem}${ext}`)) {
        if (is?.status === 'done' && is.dir !== null && is.stem) return { path: join(is.dir, `${is.stem}${ext}`) };
        return { placeholder: linkPlaceholder(owner) };
      }
      return is && is.dir === was.dir && is.stem === was.stem ? { path: p } : undefined;
    };

    for (const { from, to, text } of texts) {
      let next = text;
      if (LINKED_DOCUMENTS.includes(path.posix.extname(from))) {
        let failed = false;
        const fromDir = path.posix.dirname(from);
        const toDir = path.posix.dirname(to);
        next = text.replace(RELATIVE_LINK, (candidate) => {
          const found = locate(fromDir, candidate);
          if (!found) return candidate;
          const now = newPathOf(found.resolved);
          if (now === undefined) {
            failed = true;
            return candidate;
          }
          const link = 'placeholder' in now ? now.placeholder : relativeLink(toDir === '.' ? '' : toDir, now.path);
          if ('placeholder' in now) unresolved.value = true;
          return `${found.before}${link}${found.after}`;
        });
        if (failed) return undefined;
      }
      const original = detail.files.find((f) => f.path === from);
      if (!moved && next === text && original) {
        files.push({ ...original, sourceId: item.id });
        continue;
      }
      files.push(await writeItemFile(target, to, next, item.id));
    }

    // The children keep their names in the new folder, as the walk would give them (the item
    // did not change, so neither did the list of its children).
    const discovered: DiscoveredItem[] = [];
    if (moved) {
      const children = await db
        .select()
        .from(exportItems)
        .where(and(eq(exportItems.exportId, baselineId), eq(exportItems.parentId, item.id), inArray(exportItems.status, ['done', 'failed'])));
      for (const child of children) {
        if (child.dir === null || child.stem === null) return undefined;
        const dir = child.dir === oldFolder ? newFolder : child.dir.startsWith(`${oldFolder}/`) ? mappedInFolder(child.dir.slice(oldFolder.length + 1), newFolder) : undefined;
        if (dir === undefined || fitPath(dir, child.stem) !== child.stem) return undefined;
        discovered.push({ id: child.itemId, kind: child.kind, title: child.title, parentId: item.id, dir, stem: child.stem, status: 'pending' });
      }
    }
    return {
      files,
      discovered,
      issues: detail.issues,
      unresolvedLinks: unresolved.value,
      ...(detail.links ? { links: [...detail.links] } : {}),
      ...(detail.shows?.length ? { shows: [...detail.shows] } : {}),
      ...(detail.holds?.length ? { holds: [...detail.holds] } : {}),
    };
  };
}

/** A path below an item's folder, in its new folder; undefined where the layout would place it otherwise (a folder too deep). */
function mappedInFolder(rest: string, newFolder: string): string | undefined {
  const parts = rest.split('/');
  if (parts.length === 1) return `${newFolder}/${rest}`;
  // A data source's own folder inside its database's.
  if (parts.length === 2 && childFolder(newFolder, parts[0] as string) === `${newFolder}/${parts[0]}`) return `${newFolder}/${rest}`;
  return undefined;
}

/** The candidate, or the candidate without the quotes and full stops around it, that `accept` takes. */
function trimmedLink(candidate: string, accept: (c: string) => string | undefined): { resolved: string; before: string; after: string } | undefined {
  const whole = accept(candidate);
  if (whole !== undefined) return { resolved: whole, before: '', after: '' };
  const m = /^('*)(.*?)(['.!*~]*)$/.exec(candidate);
  if (!m || (m[1] === '' && m[3] === '') || !m[2]) return undefined;
  const inner = accept(m[2]);
  return inner === undefined ? undefined : { resolved: inner, before: m[1] ?? '', after: m[3] ?? '' };
}

/** The export-relative path a relative link from `fromDir` points at; undefined if it leaves the export or is not a path. */
function resolveLink(fromDir: string, link: string): string | undefined {
  let decoded: string;
  try {
    decoded = decodeURIComponent(link);
  } catch {
    return undefined;
  }
  const joined = path.posix.normalize(path.posix.join(fromDir === '.' ? '' : fromDir, decoded));
  if (joined.startsWith('../') || joined === '..' || joined === '.') return undefined;
  return joined;
}
