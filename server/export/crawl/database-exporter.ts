import path from 'node:path';
import type { Client } from '@notionhq/client';
import { APIErrorCode, APIResponseError, isFullDataSource, isFullDatabase, isFullPage } from '@notionhq/client';
import type {
  DatabaseObjectResponse,
  DataSourceObjectResponse,
  PageObjectResponse,
} from '@notionhq/client/build/src/api-endpoints';
import type { DiscoveredItem, WrittenFile } from '@/server/export/domain/export';
import { assignSiblingStems, childFolder, fitPath, itemStem, relativeLink } from '@/server/export/files/layout';
import { StreamedFile } from '@/server/export/files/streamed-file';
import { databaseTitle, normalizeId, pageTitle } from '@/server/export/render/notion-text';
import { csvColumns, csvHeader, csvRecords } from '@/server/export/render/writers/csv';
import { tableRowLimit } from '@/server/export/render/writers/database-table';
import { type DocumentWriter, documentWritersFor } from '@/server/export/render/writers/document-writers';
import { iterateDataSourceRows } from '@/server/notion/paginate';
import { databaseAttachmentRefs, saveAttachments } from './attachment-refs';
import { completeProperties } from './complete-properties';
import { isTrashed } from './discover';
import {
  documentContext,
  type ExportTarget,
  type ItemResult,
  join,
  placeItems,
  stemOf,
  type WorkItem,
  withoutRequestId,
  writeItemFile,
} from './export-target';
import type { KnownItem } from './item-lookup';
import { referencedIds } from './page-links';

/** One data source as the database's own page lists it. */
interface SourceIndex {
  dataSource: DataSourceObjectResponse;
  csvPath?: string;
  /** Rows as the database's own page lists them: title and file stem. */
  rows: { id: string; title: string; stem: string }[];
  /** The first rows' page objects, as many as the page's table shows (tableRowLimit; the CSV has every row). */
  tableRows: PageObjectResponse[];
  dir: string;
}

/** Where one data source's files go inside the database's folder. */
interface SourcePlace {
  /** Folder of its row pages. */
  dir: string;
  /** Its CSV, relative to the export root. */
  csvPath: string;
}

/** Rows are read, written to the CSV and queued as page items this many at a time. */
const ROW_CHUNK = 100;

/**
 * Fetches a database, its data sources and their rows: one CSV per data source (streamed, so a
 * data source of any size takes flat memory), the database's own page listing them, and the
 * rows as page items placed in its folder.
 */
export async function exportDatabase(client: Client, target: ExportTarget, item: WorkItem, signal?: AbortSignal): Promise<ItemResult> {
  const relinked = await target.relink?.(item);
  if (relinked) return relinked;
  const database = await retrieveDatabase(client, item);
  if ('linked' in database) return database.linked;
  const stem = stemOf({ ...item, title: item.title || databaseTitle(database) }, target.options.naming);
  const folder = childFolder(item.dir, stem);
  const { saved, files: attachmentFiles, issues } = await saveAttachments(target, databaseAttachmentRefs(database), item.id);
  const files: WrittenFile[] = [...attachmentFiles];
  const unresolved = { value: false };
  const sources: SourceIndex[] = [];
  const discovered: DiscoveredItem[] = [];
  const places = sourcePlaces(database, target, item, stem, folder);
  const links = new Set<string>();
  // Complete row titles of every data source of this database, as they are read.
  const titles = new Map<string, string>();
  for (const ref of database.data_sources) {
    // Search listed it with its schema (kept by discovery); read from Notion only when it did not.
    const listed = await target.pages.dataSource(normalizeId(ref.id));
    const source = listed ?? withoutRequestId(await client.dataSources.retrieve({ data_source_id: ref.id }));
    if (!isFullDataSource(source)) continue;
    target.dataSources.set(normalizeId(source.id), source);
    const place = places.get(ref.id) as SourcePlace;
    const exported = await exportDataSource(client, target, item, { ref: ref.id, source }, place, { unresolved, links, titles }, signal);
    if (exported.csv) files.push(exported.csv);
    discovered.push(...exported.discovered);
    sources.push(exported.index);
  }
  const known = await tableTargets(target, sources);
  const rowIds = discovered.map((d) => d.id);
  const users = await target.users.names();
  for (const writer of documentWritersFor(target.formats)) {
    const context = documentContext(item.dir, writer.extension, known, saved, unresolved, users);
    const text = writer.renderDatabase({ database, sources: sourceLinks(sources, item.dir, writer.extension), rowIds, context });
    files.push(await writeItemFile(target, join(item.dir, `${stem}${writer.extension}`), text, item.id));
  }
  return { files, discovered, issues, unresolvedLinks: unresolved.value, links: [...links] };
}

/**
 * The database object, or what to report instead: linked database views (a view of a database
 * elsewhere) cannot be read through the API — Notion answers 400 validation_error — which the
 * report says rather than failing the export.
 */
async function retrieveDatabase(client: Client, item: WorkItem): Promise<DatabaseObjectResponse | { linked: ItemResult }> {
  let database: Awaited<ReturnType<Client['databases']['retrieve']>>;
  try {
    database = withoutRequestId(await client.databases.retrieve({ database_id: item.id }));
  } catch (error) {
    if (APIResponseError.isAPIResponseError(error) && error.code === APIErrorCode.ValidationError) {
      const message = `Linked database "${item.title || 'Untitled'}" is not available through the Notion API (${error.message})`;
      return { linked: { files: [], discovered: [], issues: [{ kind: 'linked_database', sourceId: item.id, message }], unresolvedLinks: false } };
    }
    throw error;
  }
  if (!isFullDatabase(database)) throw new Error(`Notion returned a partial database for ${item.id}`);
  return database;
}

/**
 * Where each data source's files go: with one data source, its CSV sits beside the database's
 * page and its rows in the database's folder (Notion's layout); with several, each has a
 * folder and a CSV of its own inside the database's folder.
 */
function sourcePlaces(
  database: DatabaseObjectResponse,
  target: ExportTarget,
  item: WorkItem,
  stem: string,
  folder: string,
): Map<string, SourcePlace> {
  const single = database.data_sources.length === 1;
  const naming = target.options.naming;
  const stems = assignSiblingStems(
    database.data_sources.map((ds) => ({ id: normalizeId(ds.id), title: ds.name })),
    [],
    naming,
    { dir: folder },
  );
  return new Map(
    database.data_sources.map((ref) => {
      const sourceStem = fitPath(folder, stems.get(normalizeId(ref.id)) ?? itemStem(ref.name, ref.id, naming));
      const place = single
        ? { dir: folder, csvPath: join(item.dir, `${stem}.csv`) }
        : { dir: childFolder(folder, sourceStem), csvPath: join(folder, `${sourceStem}.csv`) };
      return [ref.id, place];
    }),
  );
}

/**
 * Reads one data source's rows a chunk at a time: each chunk is placed (row pages queued as
 * items in the source's folder), kept for its page export (no second fetch), and appended to
 * the CSV, which becomes visible once complete.
 */
async function exportDataSource(
  client: Client,
  target: ExportTarget,
  item: WorkItem,
  { ref, source }: { ref: string; source: DataSourceObjectResponse },
  place: SourcePlace,
  { unresolved, links, titles }: { unresolved: { value: boolean }; links: Set<string>; titles: Map<string, string> },
  signal?: AbortSignal,
): Promise<{ index: SourceIndex; discovered: DiscoveredItem[]; csv?: WrittenFile }> {
  const { dir, csvPath } = place;
  const index: SourceIndex = { dataSource: source, csvPath: target.formats.includes('csv') ? csvPath : undefined, rows: [], tableRows: [], dir };
  const discovered: DiscoveredItem[] = [];
  const columns = csvColumns(source, []);
  const csv = index.csvPath ? new StreamedFile(path.join(target.root, ...csvPath.split('/'))) : undefined;
  const taken = new Set<string>();
  const flushChunk = async (chunk: PageObjectResponse[]) => {
    const rows = chunk.map((r) => ({ id: normalizeId(r.id), kind: 'page' as const, title: pageTitle(r) }));
    for (const r of rows) titles.set(r.id, r.title);
    const placed = await placeItems(target, rows, item.id, dir, taken);
    const stems = new Map(placed.map((p) => [p.id, p.stem ?? '']));
    for (const p of placed) taken.add(p.stem ?? '');
    discovered.push(...placed);
    for (const row of rows) index.rows.push({ id: row.id, title: row.title || 'Untitled', stem: stems.get(row.id) ?? '' });
    // Only Markdown and HTML show a table: the rows it shows are kept, whatever the data source's size.
    if (target.formats.includes('html') || target.formats.includes('markdown')) {
      index.tableRows.push(...chunk.slice(0, Math.max(0, tableRowLimit(source) - index.tableRows.length)));
    }
    await target.pages.put(chunk);
    if (!csv) return;
    const related = new Set<string>();
    for (const row of chunk) for (const id of referencedIds(row, [])) related.add(id);
    for (const id of related) links.add(id);
    const known = await target.lookup([...related]);
    // Rows of this database read so far have their complete titles (search's may be cut at 25
    // mentions, and the read model has them only once this database is recorded).
    for (const [id, title] of titles) {
      const k = known.get(id);
      if (k) known.set(id, { ...k, title });
    }
    for (const row of chunk) await target.users.learn(row);
    const context = documentContext(path.posix.dirname(csvPath), '.md', known, new Map(), unresolved, await target.users.names());
    await csv.write(csvRecords(source, columns, chunk, context));
  };
  try {
    await csv?.write(csvHeader(columns));
    let chunk: PageObjectResponse[] = [];
    for await (const row of iterateDataSourceRows(client, ref)) {
      signal?.throwIfAborted();
      // Queries may still list rows in the trash for a while: they are not part of the workspace.
      if (!isFullPage(row) || isTrashed(row)) continue;
      await completeProperties(client, row, source);
      chunk.push(row);
      if (chunk.length >= ROW_CHUNK) {
        await flushChunk(chunk);
        chunk = [];
      }
    }
    if (chunk.length > 0) await flushChunk(chunk);
    const unchanged = target.unchanged;
    const keep = unchanged && (async (result: { bytes: number; sha256: string }) => (await unchanged({ path: csvPath, ...result })) !== undefined);
    const written = csv ? { path: csvPath, ...(await csv.finish(() => target.fence(), keep)), sourceId: item.id } : undefined;
    return { index, discovered, csv: written };
  } catch (error) {
    await csv?.abort();
    throw error;
  }
}

/** The data sources as a writer links them: CSV and row pages relative to the database's page. */
function sourceLinks(sources: readonly SourceIndex[], fromDir: string, ext: DocumentWriter['extension']) {
  return sources.map((s) => ({
    dataSource: s.dataSource,
    csvLink: s.csvPath ? relativeLink(fromDir, s.csvPath) : undefined,
    rowLinks: s.rows.map((row) => ({ title: row.title, href: relativeLink(fromDir, join(s.dir, `${row.stem}${ext}`)) })),
    // The table's rows are the first rows read, in the same order as `rows`.
    rows: s.tableRows.map((page, i) => ({ page, href: relativeLink(fromDir, join(s.dir, `${s.rows[i]?.stem ?? ''}${ext}`)) })),
  }));
}

/**
 * The pages the tables' relations and mentions name, as the export knows them (title, and place
 * once written; the others get a placeholder the finish resolves), with the complete titles of
 * this database's own rows.
 */
async function tableTargets(target: ExportTarget, sources: readonly SourceIndex[]): Promise<Map<string, KnownItem>> {
  const ids = new Set<string>();
  for (const source of sources) for (const row of source.tableRows) for (const id of referencedIds(row, [])) ids.add(id);
  const known = ids.size > 0 ? await target.lookup([...ids]) : new Map<string, KnownItem>();
  // This database's rows are recorded with it, after this page is written: known by their place here.
  for (const source of sources) {
    for (const row of source.rows) {
      if (!ids.has(row.id)) continue;
      const k = known.get(row.id) ?? { kind: 'page', status: 'pending', dir: source.dir, stem: row.stem, title: row.title, listed: true };
      known.set(row.id, { ...k, title: row.title, listed: true });
    }
  }
  return known;
}
