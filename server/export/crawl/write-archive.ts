import { createHash } from 'node:crypto';
import { open } from 'node:fs/promises';
import path from 'node:path';
import { asc, sql } from 'drizzle-orm';
import type { DB } from '@/db/client';
import { exportItems } from '@/db/schema';
import type { ArchiveItem } from '@/server/export/archive/archive-model';
import {
  type ExportFacts,
  INDEX_HTML_FILE,
  INDEX_MARKDOWN_FILE,
  indexHtmlParts,
  indexMarkdownParts,
  type OutlineEntry,
  outlineOfTable,
  parentIndexes,
  REPORT_HTML_FILE,
} from '@/server/export/archive/index-page';
import { reportHtmlParts, reportItemIds } from '@/server/export/archive/report-page';
import { StemList } from '@/server/export/archive/stem-list';
import {
  MINISEARCH_FILE,
  minisearchScript,
  SEARCH_SHARD_SIZE,
  SearchIndexBuilder,
  searchShardFile,
  searchTextOfHtml,
} from '@/server/export/archive/search-index';
import { writeFileAtomic } from '@/server/export/files/atomic-write';
import { StreamedFile } from '@/server/export/files/streamed-file';
import type { ExportFormat, WrittenFile } from '@/server/export/domain/export';
import { selectDoneItems } from '@/server/export/domain/export-items.projection';
import type { ExportTarget } from './export-target';
import type { ExportReport } from './report';
import { collectGarbage, heapKeeper } from './collect-garbage';

/**
 * The pages and databases of the export as the archive's pages need them, one slot per item in
 * parallel arrays (no object per item): item i is `ids[i]`, titled `titles[i]`, under
 * `parents[i]` (an index, -1 at the top), its files `folders[folderOf[i]]/<stem i>.<ext>`. Items
 * share their few folders, so each folder's path is held once, and most stems are their title and
 * id (StemList keeps only what differs).
 */
interface ArchiveTable {
  ids: string[];
  titles: string[];
  databases: Uint8Array;
  parents: Int32Array;
  folders: string[];
  folderOf: Int32Array;
  stems: StemList;
}

export interface ArchiveRun {
  db: DB;
  exportId: string;
  /** The export's folder. */
  root: string;
  formats: readonly ExportFormat[];
  mode: 'full' | 'sync';
  /** report.json's content, built before it is written (report.html shows it, index.html counts from it). */
  report: ExportReport;
  /** Records the files written (their checksums go into the manifest). */
  record(files: WrittenFile[]): Promise<void>;
  /** Throws once the runner lost its lease: checked before each file becomes visible. */
  fence(): Promise<void>;
  /**
   * A sync's check that a file is already in the folder as its baseline left it (ExportTarget's):
   * then it is not written again, so an unchanged workspace's search files stay the baseline's.
   */
  unchanged?: ExportTarget['unchanged'];
}

/** Rows read from the database at a time (a few hundred: each read's garbage stays small). */
const ROW_PAGE = 250;
/**
 * Bytes of a page's HTML file read for its search text: the style sheet (about 6 KB), the title
 * and properties, and the start of its content, which is where MAX_SEARCH_TEXT characters are.
 */
const SEARCH_READ_BYTES = 16 * 1024;

/**
 * The archive's own pages, written at the finish of every export and every sync (a snapshot's
 * folder is a whole archive too): `index.html` (and `index.md` with Markdown) with the workspace
 * tree and the counts, the offline search of an HTML export (`search/minisearch.js` and the
 * index in shards of SEARCH_SHARD_SIZE pages, `search/index-N.js`), and `report.html` beside
 * report.json. Every file is recorded, so the manifest lists it and `verify` checks it. A finish
 * that runs again (after a crash) writes them all again; the pages' text is read from their files,
 * so pages exported by an earlier run, or carried over by a sync, are searchable too.
 *
 * Memory: the done items are read page by page into an ArchiveTable (ids, titles and stems as
 * strings, folders once each, the rest in typed arrays: about 2 MB at 10,000 items, for the tree's
 * order); each item's paths are made as it is written. The search text is read from each page's
 * own HTML file as its shard is built, and one shard at a time is kept. The index files are
 * streamed to disk, never one string.
 */
export async function writeArchive(run: ArchiveRun): Promise<void> {
  const table = await doneTable(run.db, run.exportId);
  const files: WrittenFile[] = [];
  const write = async (file: string, text: string) => {
    const data = Buffer.from(text, 'utf8');
    const kept = await run.unchanged?.({ path: file, bytes: data.byteLength, sha256: createHash('sha256').update(data).digest('hex') });
    const written = kept ?? (await writeFileAtomic(path.join(run.root, ...file.split('/')), data, { beforeRename: run.fence }));
    files.push({ path: file, bytes: written.bytes, sha256: written.sha256, sourceId: run.exportId });
  };
  const html = run.formats.includes('html');
  const shards = html ? await writeSearch(run, table, write, files) : 0;
  const toArchive = archiveItemOf(table, run.formats);
  const facts = factsOf(run);
  const outline = function* (): Generator<OutlineEntry> {
    for (const { index, depth, children } of outlineOfTable(table.ids, table.titles, table.parents)) {
      yield { item: toArchive(index), depth, children };
    }
  };
  files.push(await writeParts(run, INDEX_HTML_FILE, indexHtmlParts(facts, outline(), { searchShards: shards })));
  if (run.formats.includes('markdown')) {
    files.push(await writeParts(run, INDEX_MARKDOWN_FILE, indexMarkdownParts(facts, outline())));
  }
  // report.html links the pages it names: only those items are made.
  // Each item made when its link is written: an export with thousands of external links names most pages.
  const named = reportItemIds(run.report);
  const indexOf = new Map<string, number>();
  for (let i = 0; i < table.ids.length; i++) if (named.has(table.ids[i])) indexOf.set(table.ids[i], i);
  named.clear();
  const itemOf = (id: string) => {
    const index = indexOf.get(id);
    return index === undefined ? undefined : toArchive(index);
  };
  files.push(await writeParts(run, REPORT_HTML_FILE, reportHtmlParts(run.report, itemOf)));
  await run.record(files);
}

/**
 * The done pages and databases with files of their own (linked databases have none), by id: the
 * same order in a sync and in a full export of the same workspace, so their search files are
 * the same bytes (and an unchanged sync keeps the baseline's).
 */
async function doneTable(db: DB, exportId: string): Promise<ArchiveTable> {
  const ids: string[] = [];
  const titles: string[] = [];
  const stems = new StemList();
  const databases: number[] = [];
  const folderOf: number[] = [];
  const folders: string[] = [];
  const folderIndex = new Map<string, number>();
  // Held until every id is read (a parent may come after its children), then made indexes.
  const parentIds: (string | null)[] = [];
  let after = '';
  for (;;) {
    const page = await selectDoneItems(
      db,
      exportId,
      {
        linked: sql<number>`exists (select 1 from export_issues i where i.export_id = "export_items"."export_id" and i.item_id = "export_items"."item_id" and i.kind = 'linked_database')`,
      },
      after,
    )
      .orderBy(asc(exportItems.itemId))
      .limit(ROW_PAGE);
    const last = page.at(-1);
    if (!last) break;
    after = last.id;
    // Only the database is awaited here: no timer runs until the loop ends (see HeapKeeper).
    heapKeeper.collectIfGrown();
    for (const r of page) {
      if (r.linked || r.dir === null || !r.stem) continue;
      let folder = folderIndex.get(r.dir);
      if (folder === undefined) {
        folder = folders.push(r.dir) - 1;
        folderIndex.set(r.dir, folder);
      }
      ids.push(r.id);
      titles.push(r.title);
      stems.push(r.title, r.id, r.stem);
      databases.push(r.kind === 'database' ? 1 : 0);
      folderOf.push(folder);
      parentIds.push(r.parentId);
    }
  }
  const parents = parentIndexes(ids, parentIds);
  return { ids, titles, stems, databases: Uint8Array.from(databases), folders, folderOf: Int32Array.from(folderOf), parents };
}

/** Item i's file with this extension, relative to the export root. */
function fileOf(table: ArchiveTable, i: number, ext: string): string {
  const dir = table.folders[table.folderOf[i]];
  return `${dir === '' ? '' : `${dir}/`}${table.stems.get(i, table.titles[i], table.ids[i])}${ext}`;
}

/** An item's files in the formats that link (made as the item is reached, not kept). */
function archiveItemOf(table: ArchiveTable, formats: readonly ExportFormat[]): (i: number) => ArchiveItem {
  return (i) => {
    const parent = table.parents[i];
    return {
      id: table.ids[i],
      kind: table.databases[i] ? 'database' : 'page',
      title: table.titles[i],
      parentId: parent >= 0 ? table.ids[parent] : null,
      paths: {
        ...(formats.includes('html') ? { html: fileOf(table, i, '.html') } : {}),
        ...(formats.includes('markdown') ? { markdown: fileOf(table, i, '.md') } : {}),
        ...(formats.includes('json') ? { json: fileOf(table, i, '.json') } : {}),
      },
    };
  };
}

function factsOf({ exportId, formats, mode, report }: ArchiveRun): ExportFacts {
  return {
    exportId,
    finishedAt: report.finishedAt,
    formats: [...formats],
    mode,
    counts: {
      pages: report.pages.exported,
      databases: report.databases.exported,
      dataSources: report.dataSources,
      attachments: report.attachments.saved,
      skipped: report.skipped.length,
    },
  };
}

/** Writes a file part by part (streamed, atomic) and returns its record. */
async function writeParts(run: ArchiveRun, file: string, parts: Iterable<string>): Promise<WrittenFile> {
  const out = new StreamedFile(path.join(run.root, ...file.split('/')));
  try {
    // Parts are small: gathered into ~64 KB writes.
    let pending: string[] = [];
    let size = 0;
    for (const part of parts) {
      pending.push(part);
      size += part.length;
      if (size >= 64 * 1024) {
        await out.write(pending.join(''));
        pending = [];
        size = 0;
      }
    }
    await out.write(pending.join(''));
    const unchanged = run.unchanged;
    const keep = unchanged && (async (result: { bytes: number; sha256: string }) => (await unchanged({ path: file, ...result })) !== undefined);
    return { path: file, ...(await out.finish(run.fence, keep)), sourceId: run.exportId };
  } catch (error) {
    await out.abort();
    throw error;
  }
}

/**
 * The search files: MiniSearch, then the index in shards of SEARCH_SHARD_SIZE items, each built
 * from the items' HTML files, written and dropped before the next. Returns the number of shards.
 */
async function writeSearch(
  run: ArchiveRun,
  table: ArchiveTable,
  write: (file: string, text: string) => Promise<void>,
  files: WrittenFile[],
): Promise<number> {
  const total = table.ids.length;
  if (total === 0) return 0;
  await write(MINISEARCH_FILE, minisearchScript());
  const buffer = Buffer.alloc(SEARCH_READ_BYTES);
  let shards = 0;
  for (let start = 0; start < total; start += SEARCH_SHARD_SIZE) {
    // The last shard is garbage now: collected before the next is built (see collectGarbage).
    collectGarbage();
    const shard = new SearchIndexBuilder();
    for (let i = start; i < Math.min(total, start + SEARCH_SHARD_SIZE); i++) {
      const file = fileOf(table, i, '.html');
      const text = searchTextOfHtml(await readArticle(path.join(run.root, ...file.split('/')), buffer));
      shard.add({ id: table.ids[i], title: table.titles[i].trim() || 'Untitled', path: file, text });
    }
    shards++;
    files.push(await writeParts(run, searchShardFile(shards), shard.scriptParts()));
  }
  return shards;
}

/** Where a page's text starts: searchTextOfHtml reads from here. */
const ARTICLE = Buffer.from('<article');

/**
 * The first bytes of a file as text, from its `<article` on when it has one: the style sheet
 * before it is never decoded (searchTextOfHtml would drop it), so each page makes less garbage.
 * '' when the file is missing: the page is then found by its title only.
 */
async function readArticle(file: string, buffer: Buffer): Promise<string> {
  let handle: Awaited<ReturnType<typeof open>> | undefined;
  try {
    handle = await open(file, 'r');
    const { bytesRead } = await handle.read(buffer, 0, buffer.length, 0);
    return buffer.toString('utf8', Math.max(0, buffer.subarray(0, bytesRead).indexOf(ARTICLE)), bytesRead);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return '';
    throw error;
  } finally {
    await handle?.close();
  }
}
