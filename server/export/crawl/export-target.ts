import { createHash } from 'node:crypto';
import path from 'node:path';
import type { DataSourceObjectResponse } from '@notionhq/client/build/src/api-endpoints';
import type { DiscoveredItem, ExportFormat, ExportIssue, ExportOptions, WrittenFile } from '@/server/export/domain/export';
import { ARCHIVE_ROOT_NAMES } from '@/server/export/archive/index-page';
import { writeFileAtomic } from '@/server/export/files/atomic-write';
import { ATTACHMENTS_DIR, type AttachmentStore, type SavedAttachment } from '@/server/export/files/attachments';
import { assignSiblingStems, DEEP_DIR, fitPath, itemStem, relativeLink } from '@/server/export/files/layout';
import type { BlockNode } from '@/server/export/render/block-node';
import type { DocumentContext } from '@/server/export/render/document-tree';
import { normalizeId } from '@/server/export/render/notion-text';
import type { DocumentWriter } from '@/server/export/render/writers/document-writers';
import type { BoundedCache } from './bounded-cache';
import type { KnownItem, PageObjectStore } from './item-lookup';
import { linkPlaceholder } from './page-links';
import type { UserDirectory } from './user-directory';

export interface ExportTarget {
  /** Absolute folder the export tree is written to. */
  root: string;
  formats: readonly ExportFormat[];
  options: ExportOptions;
  attachments: AttachmentStore;
  /** Items of this export by id (titles for all; places for those placed). */
  lookup(ids: readonly string[]): Promise<Map<string, KnownItem>>;
  /** Stems already taken in a folder by items other than `except`. */
  stemsIn(dir: string, except: readonly string[]): Promise<string[]>;
  /** Throws once this runner lost its lease: nothing more may be written into the export. */
  fence(): Promise<void>;
  /** Page objects read by search or a data source query, so they are not fetched again. */
  pages: PageObjectStore;
  /** Children of synced block originals, fetched once per export. */
  synced: BoundedCache<string, BlockNode[]>;
  /** Data source schemas, for the number formats and property order of their rows. */
  dataSources: BoundedCache<string, DataSourceObjectResponse>;
  /** The workspace's people by name, listed once per export and kept until it finishes. */
  users: UserDirectory;
  /**
   * A sync's check that a rendered file is already in the folder as its baseline left it: the
   * same bytes, or (given the text) the same but for Notion's signed file URLs, which change at
   * every read. Then it is not written again (its time, inode and the snapshots sharing it stay),
   * and the size and checksum of the file kept are returned.
   */
  unchanged?(file: { path: string; bytes: number; sha256: string }, text?: string): Promise<{ bytes: number; sha256: string } | undefined>;
  /**
   * A sync's export of an item that did not change but moved or links to what moved: its
   * baseline files with their links made to fit (crawl/sync-relink.ts), no request; undefined
   * when it must be read.
   */
  relink?(item: WorkItem): Promise<ItemResult | undefined>;
}

/**
 * An object as the API answered it, without the answer's `request_id` (new at every request):
 * what is exported is the object, the same whether it came from a retrieve, search or a query.
 */
export function withoutRequestId<T extends object>(answer: T): T {
  if (!('request_id' in answer)) return answer;
  const { request_id: _requestId, ...object } = answer as T & { request_id?: string };
  return object as T;
}

export interface WorkItem {
  id: string;
  kind: 'page' | 'database';
  title: string;
  /** Folder of the item's files, relative to the root ('' = the root). */
  dir: string;
  /** File name without extension, decided when the item was discovered. */
  stem: string | null;
}

export interface ItemResult {
  files: WrittenFile[];
  discovered: DiscoveredItem[];
  issues: ExportIssue[];
  unresolvedLinks: boolean;
  /** What the item's files link to or name, and the synced originals it shows and holds (for the next sync). */
  links?: string[];
  shows?: string[];
  holds?: string[];
}

export const join = (...parts: string[]) => path.posix.join(...parts.filter((p) => p !== ''));

export async function writeItemFile(target: ExportTarget, relPath: string, data: string, sourceId: string): Promise<WrittenFile> {
  if (target.unchanged) {
    const buffer = Buffer.from(data, 'utf8');
    const file = { path: relPath, bytes: buffer.byteLength, sha256: createHash('sha256').update(buffer).digest('hex') };
    const kept = await target.unchanged(file, data);
    if (kept) return { path: relPath, ...kept, sourceId };
  }
  await target.fence();
  const { bytes, sha256 } = await writeFileAtomic(path.join(target.root, ...relPath.split('/')), data, {
    beforeRename: () => target.fence() });
  return { path: relPath, bytes, sha256, sourceId };
}

/** The stem an item gets in `dir`, when it was not decided at discovery (roots, old events). */
export function stemOf(item: Pick<WorkItem, 'id' | 'title' | 'dir' | 'stem'>, mode: ExportOptions['naming']): string {
  return item.stem ?? fitPath(item.dir, itemStem(item.title, item.id, mode));
}

/** Names items found under `parentId` in `dir`, deterministically among the siblings already there. */
export async function placeItems(
  target: ExportTarget,
  found: { id: string; kind: 'page' | 'database'; title: string }[],
  parentId: string,
  dir: string,
  alsoTaken: Iterable<string> = [],
): Promise<DiscoveredItem[]> {
  if (found.length === 0) return [];
  const unique = [...new Map(found.map((f) => [f.id, f])).values()];
  const taken = [...(await target.stemsIn(dir, unique.map((f) => f.id))), ...alsoTaken];
  if (dir === '') taken.push(ATTACHMENTS_DIR, DEEP_DIR, ...ARCHIVE_ROOT_NAMES);
  const stems = assignSiblingStems(unique, taken, target.options.naming, { dir });
  return unique.map((f) => ({
    id: f.id,
    kind: f.kind,
    title: f.title,
    parentId,
    dir,
    stem: fitPath(dir, stems.get(f.id) ?? itemStem(f.title, f.id, target.options.naming)),
    status: 'pending' as const }));
}

/** Names the items queued at the root of the export (the others are named by their parent). */
export async function placeAtRoot(target: ExportTarget, items: DiscoveredItem[]): Promise<DiscoveredItem[]> {
  const roots = items.filter((i) => i.status === 'pending' && i.dir === '');
  if (roots.length === 0) return items;
  const taken = [...(await target.stemsIn('', roots.map((r) => r.id))), ATTACHMENTS_DIR, DEEP_DIR, ...ARCHIVE_ROOT_NAMES];
  const stems = assignSiblingStems(roots, taken, target.options.naming, { dir: '' });
  return items.map((i) =>
    i.status === 'pending' && i.dir === ''
      ? { ...i, stem: fitPath('', stems.get(i.id) ?? itemStem(i.title, i.id, target.options.naming)) }
      : i,
  );
}

/**
 * Document context for one output file: links relative to `fromDir`, to files of `ext`; people
 * by the names in `users` (the export's UserDirectory), others by id with a note.
 */
export function documentContext(
  fromDir: string,
  ext: DocumentWriter['extension'],
  known: Map<string, KnownItem>,
  saved: Map<string, SavedAttachment>,
  unresolved: { value: boolean },
  users: ReadonlyMap<string, string> = new Map(),
): DocumentContext {
  return {
    userName: (id) => users.get(normalizeId(id)),
    // Only pages already written are linked now; the others get a placeholder that the
    // end of the export turns into a relative link, or a link to Notion if the page is not
    // part of the export (not shared, failed).
    linkForPage(id) {
      const item = known.get(normalizeId(id));
      if (item?.status === 'done' && item.dir != null && item.stem) {
        return relativeLink(fromDir, join(item.dir, `${item.stem}${ext}`));
      }
      unresolved.value = true;
      return linkPlaceholder(id);
    },
    titleForPage(id) {
      const item = known.get(normalizeId(id));
      return item?.listed ? item.title : undefined;
    },
    linkForFile(ref) {
      const file = saved.get(ref.url);
      return file ? relativeLink(fromDir, file.path) : undefined;
    },
    pathToRoot: fromDir === '' ? '.' : fromDir.split('/').map(() => '..').join('/') };
}

