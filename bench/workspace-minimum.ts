/**
 * The fewest Notion API requests that export a twin workspace needs, computed from the twin's own
 * structure (the same generator functions its HTTP handlers serve from), so the count matches what
 * the twin answers.
 *
 * What counts (the model, "nothing else"):
 * - search: one request per 100 results (shared pages and data sources), at least one;
 * - block listings: every shared page needs at least one `blocks.children.list` (a page object does
 *   not say whether the page is empty, so its first listing is always necessary), one per 100
 *   top-level blocks beyond that; every block with children one per 100 children — except
 *   `child_page` / `child_database` blocks (their content is the page or database itself) and
 *   synced-block references whose original sits on a shared page (`synced_from` names the
 *   original, whose children are listed where it sits);
 * - data sources: one schema (`dataSources.retrieve`) each and one query per 100 rows (at least one);
 * - property items: for a property whose full value holds more than 25 references (relation
 *   targets, people, mentions in a title or rich text), every page of
 *   `pages.properties.retrieve`; likewise rollups over a relation with more than 25 targets, whose
 *   page-object value is computed from the first 25 only.
 * Not counted: `pages.retrieve` (search and queries return full page objects), `databases.retrieve`
 * (search returns every data source with its parent database), `users.*`, comments, file downloads.
 *
 * CLI: `npx tsx bench/workspace-minimum.ts --pages 800 --databases 4 --rows 40 [--blocks 12] [--row-blocks 3] [--large 1] [--large-blocks 250] [--depth 3] [--seed 1]`
 */
import { pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';
import type { PropertyItemObjectResponse } from '@notionhq/client';
import { Workspace, type WorkspaceOptions } from '@/e2e/notion-twin';
import { childrenOf, type PageBody, uncachedPageBody } from '@/e2e/notion-twin/page-content';
import { INLINE_REFERENCE_LIMIT, propertyItem, schemaOf } from '@/e2e/notion-twin/properties';
import type { RenderContext } from '@/e2e/notion-twin/render-context';
import type { PageSpec } from '@/e2e/notion-twin/workspace';

/** Results per request of every paginated endpoint. */
const PAGE_SIZE = 100;

export interface WorkspaceMinimum {
  /** Total requests: the sum of the breakdown. */
  total: number;
  breakdown: {
    search: number;
    /** First (and further) listings of each page's top-level blocks. */
    pageListings: number;
    /** Listings of blocks with children, below the top level. */
    nestedListings: number;
    dataSourceSchemas: number;
    dataSourceQueries: number;
    /** Pages of `pages.properties.retrieve` for relation / people / title / rich_text beyond 25 references. */
    propertyItems: number;
    /** Pages of `pages.properties.retrieve` for rollups over a relation beyond 25 targets. */
    rollupItems: number;
  };
  /** The same counts per endpoint (SDK method names, as in the twin's stats). */
  byEndpoint: Record<string, number>;
  counts: {
    /** Shared pages, rows included. */
    pages: number;
    rows: number;
    databases: number;
    dataSources: number;
    /** Blocks on shared pages (child_page / child_database blocks included). */
    blocks: number;
    /** Blocks whose children need a listing of their own. */
    containers: number;
    /** Synced-block references whose listing is not needed. */
    syncedReferencesSkipped: number;
    /** Properties (or rollups) that need their own calls. */
    truncatedProperties: number;
    /** Blocks the page-markdown endpoint leaves out as `<unknown>` (bookmark, embed, link_preview). */
    unknownToMarkdown: number;
  };
  /**
   * The same export, Markdown only, if page bodies came from `GET /v1/pages/{id}/markdown`: one
   * call per page instead of its listings, plus one `blocks.retrieve` per block that endpoint
   * leaves out; search, data sources and property items as above (titles and properties are not
   * in its output). Not exported that way (see bench/README.md); measured to decide.
   */
  markdownEndpoint: { total: number; pageMarkdown: number; unknownBlocks: number; savedVsListings: number };
}

/** Block types the page-markdown endpoint renders as `<unknown>` (NOTION-API.md §6). */
const UNKNOWN_TO_MARKDOWN = new Set(['bookmark', 'embed', 'link_preview']);

const calls = (items: number, atLeastOne = false) => Math.max(atLeastOne ? 1 : 0, Math.ceil(items / PAGE_SIZE));

/** Listing calls below the top level of one page's body (recursive over the blocks with children). */
function nestedListings(ws: Workspace, page: PageSpec, body: PageBody, counts: WorkspaceMinimum['counts']): number {
  let total = 0;
  const visit = (p: PageSpec, b: PageBody, idx: number): void => {
    counts.blocks++;
    const node = b.nodes[idx];
    if (UNKNOWN_TO_MARKDOWN.has(node.type)) counts.unknownToMarkdown++;
    if (node.type === 'child_page' || node.type === 'child_database') return;
    const list = childrenOf(ws, p, b, idx);
    if (list.items.length === 0) return;
    if (node.type === 'synced_block' && node.ref >= 0) {
      // A reference shows its original's children; the original is listed on its own page when that page is exported.
      const originalPage = node.refPage >= 0 ? ws.pages[node.refPage] : p;
      if (ws.pageAccess(originalPage) === 'live') {
        counts.syncedReferencesSkipped++;
        return;
      }
    }
    counts.containers++;
    total += calls(list.items.length);
    for (const child of list.items) visit(list.page, list.body, child);
  };
  for (const idx of body.top) visit(page, body, idx);
  return total;
}

function isMention(item: PropertyItemObjectResponse): boolean {
  if (item.type === 'title') return item.title.type === 'mention';
  if (item.type === 'rich_text') return item.rich_text.type === 'mention';
  return false;
}

/** Property-item pages one page needs: [reference properties, rollups]. */
function propertyCalls(ctx: RenderContext, page: PageSpec, counts: WorkspaceMinimum['counts']): [number, number] {
  let refs = 0;
  let rollups = 0;
  for (const def of schemaOf(ctx.ws.dataSourceOf(page))) {
    if (!['title', 'rich_text', 'people', 'relation', 'rollup'].includes(def.type)) continue;
    const items: PropertyItemObjectResponse[] = [];
    let pages = 0;
    let cursor: string | null = null;
    do {
      const r = propertyItem(ctx, page, def.id, cursor, PAGE_SIZE);
      if (!r.ok) throw new Error(`twin property ${def.name} of ${page.id}: ${r.message}`);
      pages++;
      if (r.body.object !== 'list') break;
      items.push(...r.body.results);
      cursor = r.body.has_more ? r.body.next_cursor : null;
    } while (cursor !== null);
    const references = def.type === 'title' || def.type === 'rich_text' ? items.filter(isMention).length : items.length;
    if (references <= INLINE_REFERENCE_LIMIT) continue;
    counts.truncatedProperties++;
    if (def.type === 'rollup') rollups += pages;
    else refs += pages;
  }
  return [refs, rollups];
}

/** The minimum number of requests an export of `ws` needs (see the file comment for the model). */
export function workspaceMinimum(ws: Workspace): WorkspaceMinimum {
  const counts: WorkspaceMinimum['counts'] = {
    pages: 0,
    rows: 0,
    databases: ws.databases.length,
    dataSources: 0,
    blocks: 0,
    containers: 0,
    syncedReferencesSkipped: 0,
    truncatedProperties: 0,
    unknownToMarkdown: 0,
  };
  const b: WorkspaceMinimum['breakdown'] = {
    search: calls(ws.searchItems().length, true),
    pageListings: 0,
    nestedListings: 0,
    dataSourceSchemas: 0,
    dataSourceQueries: 0,
    propertyItems: 0,
    rollupItems: 0,
  };
  const ctx: RenderContext = { ws, baseUrl: 'http://twin.invalid', nowMs: Date.now(), fileTtlMs: 3_600_000, notionVersion: '2025-09-03' };
  for (const page of ws.pages) {
    // Pages in the trash, deleted or no longer shared are not exported (search may still list trashed ones).
    if (ws.pageAccess(page) !== 'live') continue;
    counts.pages++;
    if (page.kind === 'row') counts.rows++;
    const body = uncachedPageBody(ws, page);
    b.pageListings += calls(body.top.length, true);
    b.nestedListings += nestedListings(ws, page, body, counts);
    const [refs, rollups] = propertyCalls(ctx, page, counts);
    b.propertyItems += refs;
    b.rollupItems += rollups;
  }
  for (const db of ws.databases) {
    if (ws.databaseAccess(db) !== 'live') continue;
    for (const ds of db.dataSources) {
      counts.dataSources++;
      b.dataSourceSchemas += 1;
      b.dataSourceQueries += calls(ds.rows.length, true);
    }
  }
  const total = Object.values(b).reduce((a, n) => a + n, 0);
  const byEndpoint: Record<string, number> = {
    search: b.search,
    'blocks.children.list': b.pageListings + b.nestedListings,
    'dataSources.retrieve': b.dataSourceSchemas,
    'dataSources.query': b.dataSourceQueries,
    'pages.properties.retrieve': b.propertyItems + b.rollupItems,
  };
  const pageMarkdown = counts.pages;
  const markdownTotal = total - b.pageListings - b.nestedListings + pageMarkdown + counts.unknownToMarkdown;
  const markdownEndpoint = { total: markdownTotal, pageMarkdown, unknownBlocks: counts.unknownToMarkdown, savedVsListings: total - markdownTotal };
  return { total, breakdown: b, byEndpoint, counts, markdownEndpoint };
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const { values } = parseArgs({
    options: {
      seed: { type: 'string', default: '1' },
      pages: { type: 'string', default: '50' },
      databases: { type: 'string', default: '3' },
      rows: { type: 'string', default: '20' },
      depth: { type: 'string', default: '3' },
      blocks: { type: 'string', default: '12' },
      'row-blocks': { type: 'string', default: '3' },
      large: { type: 'string', default: '1' },
      'large-blocks': { type: 'string', default: '250' },
    },
  });
  const options: WorkspaceOptions = {
    seed: Number(values.seed),
    pages: Number(values.pages),
    databases: Number(values.databases),
    rowsPerDatabase: Number(values.rows),
    depth: Number(values.depth),
    blocksPerPage: Number(values.blocks),
    blocksPerRow: Number(values['row-blocks']),
    largePages: Number(values.large),
    largePageBlocks: Number(values['large-blocks']),
    linkedDatabases: 0,
    unsharedPages: 0,
  };
  const started = performance.now();
  const min = workspaceMinimum(new Workspace(options));
  process.stdout.write(`${JSON.stringify({ options, ...min, ms: Math.round(performance.now() - started) }, null, 2)}\n`);
}
