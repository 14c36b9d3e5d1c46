import path from 'node:path';
import type { Client } from '@notionhq/client';
import { APIErrorCode, APIResponseError, isFullBlock, isFullDataSource, isFullDatabase, isFullPage } from '@notionhq/client';
import type {
  DatabaseObjectResponse,
  DataSourceObjectResponse,
  PageObjectResponse,
} from '@notionhq/client/build/src/api-endpoints';
import { iterateBlockChildren, iterateDataSourceRows } from '@/server/notion/paginate';
import { writeFileAtomic } from '@/server/export/files/atomic-write';
import { ATTACHMENTS_DIR, AttachmentError, type AttachmentRef, type AttachmentStore, type SavedAttachment } from '@/server/export/files/attachments';
import type { BoundedCache } from './bounded-cache';
import type { KnownItem, PageObjectStore } from './item-lookup';
import { StreamedFile } from '@/server/export/files/streamed-file';
import { completeProperties } from './complete-properties';
import type { DocumentContext } from '@/server/export/render/document-tree';
import type { DiscoveredItem, ExportFormat, ExportIssue, ExportOptions } from '@/server/export/domain/export';
import { assignSiblingStems, childFolder, DEEP_DIR, fitPath, itemStem, relativeLink } from '@/server/export/files/layout';
import { databaseTitle, normalizeId, pageTitle } from '@/server/export/render/notion-text';
import { linkPlaceholder, referencedIds } from './page-links';
import type { WrittenFile } from '@/server/export/domain/export';
import type { BlockNode } from '@/server/export/render/block-node';
import { csvColumns, csvHeader, csvRecords } from '@/server/export/render/writers/csv';
import { type DocumentWriter, documentWritersFor } from '@/server/export/render/writers/document-writers';

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
}

const join = (...parts: string[]) => path.posix.join(...parts.filter((p) => p !== ''));

async function write(target: ExportTarget, relPath: string, data: string, sourceId: string): Promise<WrittenFile> {
  await target.fence();
  const { bytes, sha256 } = await writeFileAtomic(path.join(target.root, ...relPath.split('/')), data, {
    beforeRename: () => target.fence(),
  });
  return { path: relPath, bytes, sha256, sourceId };
}

/** The stem an item gets in `dir`, when it was not decided at discovery (roots, old events). */
export function stemOf(item: Pick<WorkItem, 'id' | 'title' | 'dir' | 'stem'>, mode: ExportOptions['naming']): string {
  return item.stem ?? fitPath(item.dir, itemStem(item.title, item.id, mode));
}

/** Every block under `blockId`, children nested; child pages and databases are separate items. */
export async function fetchBlockTree(
  client: Client,
  blockId: string,
  synced: BoundedCache<string, BlockNode[]>,
  signal?: AbortSignal,
): Promise<BlockNode[]> {
  const blocks: BlockNode[] = [];
  for await (const block of iterateBlockChildren(client, blockId)) {
    signal?.throwIfAborted();
    if (isFullBlock(block)) blocks.push(block);
  }
  for (const block of blocks) {
    if (!block.has_children || block.type === 'child_page' || block.type === 'child_database') continue;
    // A synced block's references all show the original's content: read it once.
    const original =
      block.type === 'synced_block' ? normalizeId(block.synced_block.synced_from?.block_id ?? block.id) : undefined;
    const cached = original ? synced.get(original) : undefined;
    block.children = cached ?? (await fetchBlockTree(client, block.id, synced, signal));
    if (original && !cached) synced.set(original, block.children);
  }
  return blocks;
}

/** Children of a page that are items of their own, named deterministically within their folder. */
async function childItems(
  target: ExportTarget,
  blocks: readonly BlockNode[],
  parentId: string,
  dir: string,
): Promise<DiscoveredItem[]> {
  const found: { id: string; kind: 'page' | 'database'; title: string }[] = [];
  const walk = (list: readonly BlockNode[]) => {
    for (const block of list) {
      if (block.type === 'child_page') found.push({ id: normalizeId(block.id), kind: 'page', title: block.child_page.title });
      else if (block.type === 'child_database') {
        found.push({ id: normalizeId(block.id), kind: 'database', title: block.child_database.title });
      }
      if (block.children && block.type !== 'synced_block') walk(block.children);
    }
  };
  walk(blocks);
  return placeItems(target, found, parentId, dir);
}

async function placeItems(
  target: ExportTarget,
  found: { id: string; kind: 'page' | 'database'; title: string }[],
  parentId: string,
  dir: string,
  alsoTaken: Iterable<string> = [],
): Promise<DiscoveredItem[]> {
  if (found.length === 0) return [];
  const unique = [...new Map(found.map((f) => [f.id, f])).values()];
  const taken = [...(await target.stemsIn(dir, unique.map((f) => f.id))), ...alsoTaken];
  if (dir === '') taken.push(ATTACHMENTS_DIR, DEEP_DIR);
  const stems = assignSiblingStems(unique, taken, target.options.naming, { dir });
  return unique.map((f) => ({
    id: f.id,
    kind: f.kind,
    title: f.title,
    parentId,
    dir,
    stem: fitPath(dir, stems.get(f.id) ?? itemStem(f.title, f.id, target.options.naming)),
    status: 'pending' as const,
  }));
}

type FileSource = { type: 'file'; file: { url: string; expiry_time?: string } } | { type: 'external'; external: { url: string } };

function refOf(source: FileSource | null | undefined, sourceId: string, name?: string): AttachmentRef | undefined {
  if (!source) return undefined;
  if (source.type === 'file') return { url: source.file.url, kind: 'file', name, sourceId, expiryTime: source.file.expiry_time };
  if (source.type === 'external') return { url: source.external.url, kind: 'external', name, sourceId };
  return undefined;
}

const MEDIA = new Set(['image', 'video', 'audio', 'file', 'pdf']);

/** The files a page shows: media blocks, its icon and cover, `files` properties. */
export function attachmentRefs(page: PageObjectResponse | undefined, blocks: readonly BlockNode[]): AttachmentRef[] {
  const refs: AttachmentRef[] = [];
  const push = (ref: AttachmentRef | undefined) => {
    if (ref) refs.push(ref);
  };
  if (page) {
    push(refOf(page.icon as FileSource | null, page.id));
    push(refOf(page.cover as FileSource | null, page.id));
    for (const prop of Object.values(page.properties)) {
      if (prop.type !== 'files') continue;
      for (const f of prop.files) push(refOf(f as FileSource, page.id, f.name));
    }
  }
  const walk = (list: readonly BlockNode[]) => {
    for (const block of list) {
      const payload = (block as unknown as Record<string, unknown>)[block.type] as
        | (FileSource & { name?: string; icon?: FileSource | null })
        | undefined;
      if (MEDIA.has(block.type) && payload) push(refOf(payload, block.id, payload.name || undefined));
      if (block.type === 'callout' && payload?.icon) push(refOf(payload.icon, block.id));
      if (block.children) walk(block.children);
    }
  };
  walk(blocks);
  return refs;
}

/** A database's own files: its icon and cover. */
export function databaseAttachmentRefs(database: DatabaseObjectResponse): AttachmentRef[] {
  return [refOf(database.icon as FileSource | null, database.id), refOf(database.cover as FileSource | null, database.id)].filter(
    (r): r is AttachmentRef => r !== undefined,
  );
}

/** Saves every attachment; a failure becomes an issue of the page, never a lost page. */
async function saveAttachments(
  target: ExportTarget,
  refs: AttachmentRef[],
  itemId: string,
): Promise<{ saved: Map<string, SavedAttachment>; files: WrittenFile[]; issues: ExportIssue[] }> {
  const saved = new Map<string, SavedAttachment>();
  const issues: ExportIssue[] = [];
  const results = await Promise.allSettled(refs.map((ref) => target.attachments.save(ref)));
  results.forEach((result, i) => {
    const ref = refs[i]!;
    if (result.status === 'fulfilled') {
      if (result.value) saved.set(ref.url, result.value);
    } else {
      const message = result.reason instanceof AttachmentError || result.reason instanceof Error ? result.reason.message : String(result.reason);
      issues.push({ kind: 'attachment_failed', sourceId: ref.sourceId, message: `${ref.name ?? ref.url.split('?')[0]}: ${message}` });
    }
  });
  const files = [...new Map([...saved.values()].map((s) => [s.path, s])).values()].map((s) => ({
    path: s.path,
    bytes: s.bytes,
    sha256: s.sha256,
    sourceId: itemId,
  }));
  return { saved, files, issues };
}

function unsupportedIssues(blocks: readonly BlockNode[], out: ExportIssue[] = []): ExportIssue[] {
  for (const block of blocks) {
    if (block.type === 'unsupported') {
      out.push({ kind: 'unsupported_block', sourceId: block.id, message: 'A block the Notion API does not expose was left out' });
    }
    if (block.children) unsupportedIssues(block.children, out);
  }
  return out;
}

/** Document context for one output file: links relative to `fromDir`, to files of `ext`. */
function documentContext(
  fromDir: string,
  ext: DocumentWriter['extension'],
  known: Map<string, KnownItem>,
  saved: Map<string, SavedAttachment>,
  unresolved: { value: boolean },
): DocumentContext {
  return {
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
    titleForPage: (id) => known.get(normalizeId(id))?.title,
    linkForFile(ref) {
      const file = saved.get(ref.url);
      return file ? relativeLink(fromDir, file.path) : undefined;
    },
    pathToRoot: fromDir === '' ? '.' : fromDir.split('/').map(() => '..').join('/'),
  };
}

/** Fetches a page and its blocks, saves its files, writes it in every format, names its children. */
export async function exportPage(
  client: Client,
  target: ExportTarget,
  item: WorkItem,
  signal?: AbortSignal,
): Promise<ItemResult> {
  let page = await target.pages.take(item.id);
  if (!page) {
    const fetched = await client.pages.retrieve({ page_id: item.id });
    if (!isFullPage(fetched)) throw new Error(`Notion returned a partial page for ${item.id}`);
    page = fetched;
  }
  await completeProperties(client, page);
  const blocks = await fetchBlockTree(client, item.id, target.synced, signal);
  const title = pageTitle(page) || item.title;
  const stem = stemOf({ ...item, title: item.title || title }, target.options.naming);
  const childDir = childFolder(item.dir, stem);
  const discovered = await childItems(target, blocks, item.id, childDir);

  const refs = attachmentRefs(page, blocks);
  const { saved, files: attachmentFiles, issues } = await saveAttachments(target, refs, item.id);
  issues.push(...unsupportedIssues(blocks));

  const known = await target.lookup([...referencedIds(page, blocks)]);
  const unresolved = { value: false };
  const parent = page.parent;
  const dataSource = parent.type === 'data_source_id' ? target.dataSources.get(normalizeId(parent.data_source_id)) : undefined;
  const files: WrittenFile[] = [...attachmentFiles];
  const base = join(item.dir, stem);
  for (const writer of documentWritersFor(target.formats)) {
    const context = { ...documentContext(item.dir, writer.extension, known, saved, unresolved), dataSource };
    files.push(await write(target, `${base}${writer.extension}`, writer.renderPage({ page, blocks, context }), item.id));
  }
  return { files, discovered, issues, unresolvedLinks: unresolved.value };
}

interface SourceIndex {
  dataSource: DataSourceObjectResponse;
  csvPath?: string;
  /** Rows as the database's own page lists them: title and file stem. */
  rows: { id: string; title: string; stem: string }[];
  dir: string;
}

/** Rows are read, written to the CSV and queued as page items this many at a time. */
const ROW_CHUNK = 100;

/**
 * Fetches a database, its data sources and their rows: one CSV per data source (streamed, so a
 * data source of any size takes flat memory), the database's own page listing them, and the
 * rows as page items placed in its folder.
 */
export async function exportDatabase(
  client: Client,
  target: ExportTarget,
  item: WorkItem,
  signal?: AbortSignal,
): Promise<ItemResult> {
  let database: Awaited<ReturnType<Client['databases']['retrieve']>>;
  try {
    database = await client.databases.retrieve({ database_id: item.id });
  } catch (error) {
    // Linked database views (a view of a database elsewhere) cannot be read through the API:
    // Notion answers 400 validation_error. Say so in the report instead of failing the export.
    if (APIResponseError.isAPIResponseError(error) && error.code === APIErrorCode.ValidationError) {
      return {
        files: [],
        discovered: [],
        issues: [
          {
            kind: 'linked_database',
            sourceId: item.id,
            message: `Linked database "${item.title || 'Untitled'}" is not available through the Notion API (${error.message})`,
          },
        ],
        unresolvedLinks: false,
      };
    }
    throw error;
  }
  if (!isFullDatabase(database)) throw new Error(`Notion returned a partial database for ${item.id}`);
  const title = databaseTitle(database) || item.title;
  const stem = stemOf({ ...item, title: item.title || title }, target.options.naming);
  const folder = childFolder(item.dir, stem);
  const single = database.data_sources.length === 1;
  const { saved, files: attachmentFiles, issues } = await saveAttachments(target, databaseAttachmentRefs(database), item.id);
  const files: WrittenFile[] = [...attachmentFiles];
  const unresolved = { value: false };
  const sources: SourceIndex[] = [];
  const discovered: DiscoveredItem[] = [];

  const sourceStems = assignSiblingStems(
    database.data_sources.map((ds) => ({ id: normalizeId(ds.id), title: ds.name })),
    [],
    target.options.naming,
    { dir: folder },
  );
  for (const ref of database.data_sources) {
    const source = await client.dataSources.retrieve({ data_source_id: ref.id });
    if (!isFullDataSource(source)) continue;
    target.dataSources.set(normalizeId(source.id), source);
    const sourceStem = fitPath(folder, sourceStems.get(normalizeId(ref.id)) ?? itemStem(ref.name, ref.id, target.options.naming));
    const dir = single ? folder : childFolder(folder, sourceStem);
    const csvPath = single ? join(item.dir, `${stem}.csv`) : join(folder, `${sourceStem}.csv`);
    const index: SourceIndex = { dataSource: source, csvPath: target.formats.includes('csv') ? csvPath : undefined, rows: [], dir };
    const columns = csvColumns(source, []);
    const csv = index.csvPath ? new StreamedFile(path.join(target.root, ...csvPath.split('/'))) : undefined;
    const taken = new Set<string>();
    try {
      await csv?.write(csvHeader(columns));
      let chunk: PageObjectResponse[] = [];
      const flushChunk = async () => {
        if (chunk.length === 0) return;
        const placed = await placeItems(
          target,
          chunk.map((r) => ({ id: normalizeId(r.id), kind: 'page' as const, title: pageTitle(r) })),
          item.id,
          dir,
          taken,
        );
        for (const p of placed) taken.add(p.stem!);
        discovered.push(...placed);
        const stems = new Map(placed.map((p) => [p.id, p.stem!]));
        for (const row of chunk) {
          const id = normalizeId(row.id);
          index.rows.push({ id, title: pageTitle(row) || 'Untitled', stem: stems.get(id)! });
        }
        await target.pages.put(chunk);
        if (csv) {
          const related = new Set<string>();
          for (const row of chunk) for (const id of referencedIds(row, [])) related.add(id);
          const known = await target.lookup([...related]);
          const ctx = documentContext(path.posix.dirname(csvPath), '.md', known, new Map(), unresolved);
          await csv.write(csvRecords(source, columns, chunk, ctx));
        }
        chunk = [];
      };
      for await (const row of iterateDataSourceRows(client, ref.id)) {
        signal?.throwIfAborted();
        if (!isFullPage(row)) continue;
        await completeProperties(client, row);
        chunk.push(row);
        if (chunk.length >= ROW_CHUNK) await flushChunk();
      }
      await flushChunk();
      if (csv) files.push({ path: csvPath, ...(await csv.finish(() => target.fence())), sourceId: item.id });
    } catch (error) {
      await csv?.abort();
      throw error;
    }
    sources.push(index);
  }

  const indexFor = (ext: DocumentWriter['extension']) =>
    sources.map((s) => ({
      dataSource: s.dataSource,
      csvLink: s.csvPath ? relativeLink(item.dir, s.csvPath) : undefined,
      rowLinks: s.rows.map((row) => ({ title: row.title, href: relativeLink(item.dir, join(s.dir, `${row.stem}${ext}`)) })),
    }));
  const known = new Map<string, KnownItem>();
  const rowIds = discovered.map((d) => d.id);
  for (const writer of documentWritersFor(target.formats)) {
    const context = documentContext(item.dir, writer.extension, known, saved, unresolved);
    const text = writer.renderDatabase({ database, sources: indexFor(writer.extension), rowIds, context });
    files.push(await write(target, join(item.dir, `${stem}${writer.extension}`), text, item.id));
  }
  return { files, discovered, issues, unresolvedLinks: unresolved.value };
}
