import { createHash } from 'node:crypto';
import { open } from 'node:fs/promises';
import path from 'node:path';
import { and, asc, eq, gt, sql } from 'drizzle-orm';
import type { DB } from '@/db/client';
import { exportItems } from '@/db/schema';
import type { ArchiveItem } from '@/server/export/archive/archive-model';
import {
  type ExportFacts,
  INDEX_HTML_FILE,
  INDEX_MARKDOWN_FILE,
  indexHtmlParts,
  indexMarkdownParts,
  outlineOf,
  REPORT_HTML_FILE,
  type TreeItem,
  workspaceTree,
} from '@/server/export/archive/index-page';
import { renderReportHtml, reportItemIds } from '@/server/export/archive/report-page';
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
import type { ExportTarget } from './export-target';
import type { ExportReport } from './report';

/** A page or database of the export as the archive's pages need it: one row of export_items. */
interface ArchiveRow extends TreeItem {
  dir: string;
  stem: string;
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

/** Rows read from the database at a time. */
const ROW_PAGE = 500;
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
 * Memory: the done items are read page by page into one light row each (id, parent, kind, title,
 * folder and stem; about 3 MB at 10,000 items, for the tree's order); the search text is read
 * from each page's own HTML file as its shard is built, and one shard at a time is kept. The
 * index files are streamed to disk, never one string.
 */
export async function writeArchive(run: ArchiveRun): Promise<void> {
  const rows = await doneRows(run.db, run.exportId);
  const files: WrittenFile[] = [];
  const write = async (file: string, text: string) => {
    const data = Buffer.from(text, 'utf8');
    const kept = await run.unchanged?.({ path: file, bytes: data.byteLength, sha256: createHash('sha256').update(data).digest('hex') });
    const written = kept ?? (await writeFileAtomic(path.join(run.root, ...file.split('/')), data, { beforeRename: run.fence }));
    files.push({ path: file, bytes: written.bytes, sha256: written.sha256, sourceId: run.exportId });
  };
  const html = run.formats.includes('html');
  const shards = html ? await writeSearch(run, rows, write, files) : 0;
  const toArchive = archiveItemOf(run.formats);
  const facts = factsOf(run);
  const roots = workspaceTree(rows);
  files.push(await writeParts(run, INDEX_HTML_FILE, indexHtmlParts(facts, outlineOf(roots, toArchive), { searchShards: shards })));
  if (run.formats.includes('markdown')) {
    files.push(await writeParts(run, INDEX_MARKDOWN_FILE, indexMarkdownParts(facts, outlineOf(roots, toArchive))));
  }
  // report.html links the pages it names: only those items are made.
  const named = reportItemIds(run.report);
  await write(REPORT_HTML_FILE, renderReportHtml(run.report, rows.filter((row) => named.has(row.id)).map(toArchive)));
  await run.record(files);
}

/**
 * The done pages and databases with files of their own (linked databases have none), by id: the
 * same order in a sync and in a full export of the same workspace, so their search files are
 * the same bytes (and an unchanged sync keeps the baseline's).
 */
async function doneRows(db: DB, exportId: string): Promise<ArchiveRow[]> {
  const rows: ArchiveRow[] = [];
  let after = '';
  for (;;) {
    const page = await db
      .select({
        id: exportItems.itemId,
        kind: exportItems.kind,
        title: exportItems.title,
        parentId: exportItems.parentId,
        dir: exportItems.dir,
        stem: exportItems.stem,
        linked: sql<number>`exists (select 1 from export_issues i where i.export_id = "export_items"."export_id" and i.item_id = "export_items"."item_id" and i.kind = 'linked_database')`,
      })
      .from(exportItems)
      .where(and(eq(exportItems.exportId, exportId), eq(exportItems.status, 'done'), gt(exportItems.itemId, after)))
      .orderBy(asc(exportItems.itemId))
      .limit(ROW_PAGE);
    const last = page.at(-1);
    if (!last) return rows;
    after = last.id;
    for (const r of page) {
      if (r.linked || r.dir === null || !r.stem) continue;
      rows.push({ id: r.id, kind: r.kind, title: r.title, parentId: r.parentId, dir: r.dir, stem: r.stem });
    }
  }
}

/** An item's files in the formats that link (made as the item is reached, not kept). */
function archiveItemOf(formats: readonly ExportFormat[]): (row: ArchiveRow) => ArchiveItem {
  const at = (row: ArchiveRow, ext: string) => `${row.dir === '' ? '' : `${row.dir}/`}${row.stem}${ext}`;
  return (row) => ({
    id: row.id,
    kind: row.kind,
    title: row.title,
    parentId: row.parentId,
    paths: {
      ...(formats.includes('html') ? { html: at(row, '.html') } : {}),
      ...(formats.includes('markdown') ? { markdown: at(row, '.md') } : {}),
      ...(formats.includes('json') ? { json: at(row, '.json') } : {}),
    },
  });
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
  rows: readonly ArchiveRow[],
  write: (file: string, text: string) => Promise<void>,
  files: WrittenFile[],
): Promise<number> {
  if (rows.length === 0) return 0;
  await write(MINISEARCH_FILE, minisearchScript());
  const buffer = Buffer.alloc(SEARCH_READ_BYTES);
  let shards = 0;
  for (let start = 0; start < rows.length; start += SEARCH_SHARD_SIZE) {
    const shard = new SearchIndexBuilder();
    for (const row of rows.slice(start, start + SEARCH_SHARD_SIZE)) {
      const file = `${row.dir === '' ? '' : `${row.dir}/`}${row.stem}.html`;
      const text = searchTextOfHtml(await readPrefix(path.join(run.root, ...file.split('/')), buffer));
      shard.add({ id: row.id, title: row.title.trim() || 'Untitled', path: file, text });
    }
    shards++;
    files.push(await writeParts(run, searchShardFile(shards), shard.scriptParts()));
  }
  return shards;
}

/** The first bytes of a file as text ('' when it is missing: the page is then found by its title only). */
async function readPrefix(file: string, buffer: Buffer): Promise<string> {
  let handle: Awaited<ReturnType<typeof open>> | undefined;
  try {
    handle = await open(file, 'r');
    const { bytesRead } = await handle.read(buffer, 0, buffer.length, 0);
    return buffer.toString('utf8', 0, bytesRead);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return '';
    throw error;
  } finally {
    await handle?.close();
  }
}
