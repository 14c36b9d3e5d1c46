import type { DatabaseObjectResponse, PageObjectResponse } from '@notionhq/client/build/src/api-endpoints';
import type { ExportFormat } from '@/server/export/domain/export';
import type { BlockNode } from '@/server/export/render/block-node';
import type { DocumentContext } from '@/server/export/render/document-nodes';
import { type DataSourceIndex, renderDatabaseHtml, renderDatabaseMarkdown } from './database-index';
import { renderPageHtml } from './html';
import { renderDatabaseJson, renderPageJson } from './json';
import { renderPageMarkdown } from './markdown';

/** A page to render: the page object, its block tree, and links as seen from its file. */
export interface PageSource {
  page: PageObjectResponse;
  blocks: readonly BlockNode[];
  context: DocumentContext;
}

/** A database's own file: the database, each data source with its rows (linked with this writer's extension). */
export interface DatabaseSource {
  database: DatabaseObjectResponse;
  sources: readonly DataSourceIndex[];
  /** Ids of every row, in the order they were read. */
  rowIds: readonly string[];
  context: DocumentContext;
}

/**
 * One output format of pages and databases. Each writer is a pure function of what it is given;
 * the crawl decides where the file goes (`<stem><extension>`) and writes it. CSV is not one of
 * them: it is a table per data source, streamed row chunk by row chunk (csv.ts).
 */
export interface DocumentWriter {
  readonly format: Exclude<ExportFormat, 'csv'>;
  /** The extension of the files it writes; links between pages of this format point at it too. */
  readonly extension: '.md' | '.html' | '.json';
  renderPage(source: PageSource): string;
  renderDatabase(source: DatabaseSource): string;
}

export const markdownWriter: DocumentWriter = {
  format: 'markdown',
  extension: '.md',
  renderPage: ({ page, blocks, context }) => renderPageMarkdown(page, blocks, context),
  renderDatabase: ({ database, sources, context }) => renderDatabaseMarkdown(database, sources, context),
};

export const htmlWriter: DocumentWriter = {
  format: 'html',
  extension: '.html',
  renderPage: ({ page, blocks, context }) => renderPageHtml(page, blocks, context),
  renderDatabase: ({ database, sources, context }) => renderDatabaseHtml(database, sources, context),
};

/** The lossless API tree: links are not rewritten, so the context is not used. */
export const jsonWriter: DocumentWriter = {
  format: 'json',
  extension: '.json',
  renderPage: ({ page, blocks }) => renderPageJson(page, blocks),
  renderDatabase: ({ database, sources, rowIds }) =>
    renderDatabaseJson(
      database,
      sources.map((s) => s.dataSource),
      rowIds,
    ),
};

const WRITERS: readonly DocumentWriter[] = [markdownWriter, htmlWriter, jsonWriter];

/** The writers of the formats asked for, in a fixed order. */
export function documentWritersFor(formats: readonly ExportFormat[]): DocumentWriter[] {
  return WRITERS.filter((writer) => formats.includes(writer.format));
}
