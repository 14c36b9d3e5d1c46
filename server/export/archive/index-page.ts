import { z } from 'zod';
import { formatInstant } from '@/server/export/render/notion-date';
import { PAGE_STYLE } from '@/server/export/render/writers/html-document';
import { ArchiveItem, escapeHtml, escapeMarkdown, hrefOf, type LinkFormat, pathFor } from './archive-model';
import { formatCount, plural } from '@/server/export/domain/export-status';
import { MINISEARCH_FILE, SEARCH_DIR, SEARCH_SCRIPT, searchShardFile } from './search-index';

/** What the index says about the export as a whole. */
export const ExportFacts = z.object({
  exportId: z.string().min(1).max(64),
  /** When the export finished (ISO 8601). */
  finishedAt: z.iso.datetime({ offset: true }),
  formats: z.array(z.enum(['markdown', 'html', 'json', 'csv'])).min(1),
  /** A full export, or a sync that carried the unchanged files over from its baseline. */
  mode: z.enum(['full', 'sync']),
  counts: z.object({
    pages: z.number().int().nonnegative(),
    databases: z.number().int().nonnegative(),
    dataSources: z.number().int().nonnegative(),
    attachments: z.number().int().nonnegative(),
    /** Pages and databases skipped or failed (report.html says which and why). */
    skipped: z.number().int().nonnegative(),
  }),
});
export type ExportFacts = z.infer<typeof ExportFacts>;

export const IndexInput = z.object({ facts: ExportFacts, items: z.array(ArchiveItem).max(1_000_000) });
export type IndexInput = z.infer<typeof IndexInput>;

export const INDEX_HTML_FILE = 'index.html';
export const INDEX_MARKDOWN_FILE = 'index.md';
export const REPORT_HTML_FILE = 'report.html';
/**
 * Names at the export root that pages may not take (a page titled "index" in clean naming would
 * otherwise write its `index.html` over the archive's): index.html and index.md, report.html and
 * report.json, manifest.json, the search folder.
 */
export const ARCHIVE_ROOT_NAMES: readonly string[] = ['index', 'report', 'manifest', SEARCH_DIR];

/** Whether a file of the export (its path relative to the root, posix) is one of the archive's own pages rather than content. */
export const isArchivePage = (relativePath: string): boolean =>
  [INDEX_HTML_FILE, INDEX_MARKDOWN_FILE, REPORT_HTML_FILE].includes(relativePath) || relativePath.startsWith(`${SEARCH_DIR}/`);

const FORMAT_NAMES: Record<ExportFacts['formats'][number], string> = { markdown: 'Markdown', html: 'HTML', json: 'JSON', csv: 'CSV' };

/** What the tree needs of an item: the index's own items, or lighter rows read from the database. */
export interface TreeItem {
  id: string;
  kind: 'page' | 'database';
  title: string;
  parentId: string | null;
}

/** One level of the tree: an item and its children, in title order. */
export interface TreeNode<T extends TreeItem = ArchiveItem> {
  item: T;
  children: TreeNode<T>[];
}

/** Made at the first tree: its collation data costs a process ~3 MB resident, the worker from its start. */
/** A title as it is sorted: accents and case set aside (é as e, A as a). */
const sortKey = (title: string) => title.normalize('NFD').replace(/\p{M}+/gu, '').toLowerCase();
const DIGITS = /^\d+$/;

/**
 * Titles in the order people read a list in: accents and case aside, numbers by their value
 * ("Page 2" before "Page 10"). By hand rather than with Intl.Collator, whose collation data costs
 * the worker ~3 MB at the finish, its memory's peak; other characters by code point.
 */
export function compareTitles(a: string, b: string): number {
  const x = sortKey(a).split(/(\d+)/);
  const y = sortKey(b).split(/(\d+)/);
  for (let i = 0; i < Math.min(x.length, y.length); i++) {
    const p = x[i] ?? '';
    const q = y[i] ?? '';
    if (p === q) continue;
    if (DIGITS.test(p) && DIGITS.test(q)) {
      const m = p.replace(/^0+(?=\d)/, '');
      const n = q.replace(/^0+(?=\d)/, '');
      if (m.length !== n.length) return m.length - n.length;
      if (m !== n) return m < n ? -1 : 1;
      continue;
    }
    return p < q ? -1 : 1;
  }
  return x.length - y.length;
}
const byTitle = (a: TreeNode<TreeItem>, b: TreeNode<TreeItem>) => compareTitles(a.item.title, b.item.title) || (a.item.id < b.item.id ? -1 : 1);

/**
 * The workspace's tree: items under their parent, and at the top the items whose parent is not in
 * the export (top-level pages, and pages under something the token cannot read). An item that
 * would sit under itself (a cycle in broken data) is placed at the top once.
 */
export function workspaceTree<T extends TreeItem>(items: Iterable<T>): TreeNode<T>[] {
  const nodes = new Map<string, TreeNode<T>>();
  for (const item of items) if (!nodes.has(item.id)) nodes.set(item.id, { item, children: [] });
  const roots: TreeNode<T>[] = [];
  for (const node of nodes.values()) {
    const parent = node.item.parentId ? nodes.get(node.item.parentId) : undefined;
    if (parent && parent !== node) parent.children.push(node);
    else roots.push(node);
  }
  // Nodes in a cycle are reachable from no root: the first of each cycle becomes a root.
  const reached = new Set<TreeNode<T>>();
  const mark = (start: TreeNode<T>) => {
    const stack = [start];
    for (let node = stack.pop(); node; node = stack.pop()) {
      if (reached.has(node)) continue;
      reached.add(node);
      stack.push(...node.children);
    }
  };
  for (const root of roots) mark(root);
  for (const node of nodes.values()) {
    if (reached.has(node)) continue;
    const parent = node.item.parentId ? nodes.get(node.item.parentId) : undefined;
    if (parent) parent.children.splice(parent.children.indexOf(node), 1);
    roots.push(node);
    mark(node);
  }
  for (const node of nodes.values()) node.children.sort(byTitle);
  return roots.sort(byTitle);
}

/**
 * Each item's parent as an index into `ids` (-1: at the top, its parent not among them), for items
 * held in parallel arrays. `ids` come from the database in its order; while that is also
 * JavaScript's order (always, for Notion's ASCII ids) a binary search finds each parent, so no map
 * of every id is built.
 */
export function parentIndexes(ids: readonly string[], parentIds: readonly (string | null)[]): Int32Array {
  let sorted = true;
  for (let i = 1; i < ids.length && sorted; i++) sorted = ids[i - 1] < ids[i];
  const byId = sorted ? undefined : new Map(ids.map((id, i) => [id, i]));
  const find = (id: string): number => {
    if (byId) return byId.get(id) ?? -1;
    let low = 0;
    let high = ids.length - 1;
    while (low <= high) {
      const mid = (low + high) >>> 1;
      if (ids[mid] === id) return mid;
      if (ids[mid] < id) low = mid + 1;
      else high = mid - 1;
    }
    return -1;
  };
  const parents = new Int32Array(ids.length);
  for (let i = 0; i < ids.length; i++) {
    const parentId = parentIds[i];
    parents[i] = parentId ? find(parentId) : -1;
  }
  return parents;
}

/** One line of an outline of items held in parallel arrays: the item's index, its depth and its children. */
export interface TableOutlineEntry {
  index: number;
  depth: number;
  children: number;
}

/**
 * The same outline as `outlineOf(workspaceTree(items))`, for items held in parallel arrays (`ids`
 * unique, `parents` from parentIndexes): the tree is kept in typed arrays, with no object per
 * item, so a workspace of 10,000 pages costs a few hundred kilobytes more than its ids and titles.
 */
export function* outlineOfTable(ids: readonly string[], titles: readonly string[], parents: Int32Array): Generator<TableOutlineEntry> {
  const n = ids.length;
  const parentOf = (i: number) => (parents[i] >= 0 && parents[i] !== i ? parents[i] : -1);
  // Children in one array, each node's from start[node] (its count in count[node]).
  const count = new Int32Array(n);
  for (let i = 0; i < n; i++) if (parentOf(i) >= 0) count[parentOf(i)]++;
  const start = new Int32Array(n + 1);
  for (let i = 0; i < n; i++) start[i + 1] = start[i] + count[i];
  const kids = new Int32Array(start[n]);
  const filled = new Int32Array(n);
  const roots: number[] = [];
  for (let i = 0; i < n; i++) {
    const parent = parentOf(i);
    if (parent >= 0) kids[start[parent] + filled[parent]++] = i;
    else roots.push(i);
  }
  // Nodes in a cycle are reachable from no root: the first of each cycle becomes a root.
  const reached = new Uint8Array(n);
  const detached = new Uint8Array(n);
  const mark = (from: number) => {
    const stack = [from];
    for (let node = stack.pop(); node !== undefined; node = stack.pop()) {
      if (reached[node]) continue;
      reached[node] = 1;
      for (let k = start[node]; k < start[node + 1]; k++) stack.push(kids[k]);
    }
  };
  for (const root of roots) mark(root);
  for (let i = 0; i < n; i++) {
    if (reached[i]) continue;
    detached[i] = 1;
    roots.push(i);
    mark(i);
  }
  const byTitleAt = (a: number, b: number) => compareTitles(titles[a], titles[b]) || (ids[a] < ids[b] ? -1 : 1);
  for (let node = 0; node < n; node++) {
    if (count[node] === 0) continue;
    const sorted = Array.from(kids.subarray(start[node], start[node + 1]))
      .filter((k) => !detached[k])
      .sort(byTitleAt);
    kids.set(sorted, start[node]);
    count[node] = sorted.length;
  }
  roots.sort(byTitleAt);
  const stack: number[] = [];
  for (let r = roots.length - 1; r >= 0; r--) stack.push(roots[r], 0);
  while (stack.length > 0) {
    const depth = stack.pop() as number;
    const index = stack.pop() as number;
    yield { index, depth, children: count[index] };
    for (let k = start[index] + count[index] - 1; k >= start[index]; k--) stack.push(kids[k], depth + 1);
  }
}

/** One line of the index: an item, how deep it sits, and how many children it has (rows, for a database). */
export interface OutlineEntry {
  item: ArchiveItem;
  depth: number;
  children: number;
}

/**
 * Every node with its depth, parents before children (iterative: deep trees must not overflow the
 * stack). `toArchive` gives each item its files as it is reached, so a caller holding light rows
 * makes one item's paths at a time.
 */
export function* outlineOf<T extends TreeItem>(roots: readonly TreeNode<T>[], toArchive: (item: T) => ArchiveItem): Generator<OutlineEntry> {
  const stack = roots.map((node) => ({ node, depth: 0 })).reverse();
  for (let entry = stack.pop(); entry; entry = stack.pop()) {
    const { node, depth } = entry;
    yield { item: toArchive(node.item), depth, children: node.children.length };
    for (let i = node.children.length - 1; i >= 0; i--) stack.push({ node: node.children[i], depth: depth + 1 });
  }
}

const titleOf = (item: ArchiveItem) => item.title.trim() || 'Untitled';

function factsLine(facts: ExportFacts): string {
  const how = facts.mode === 'full' ? 'Full export' : 'Sync (unchanged pages carried over from the previous export)';
  const formats = facts.formats.map((f) => FORMAT_NAMES[f]).join(', ');
  return `${how}, finished ${formatInstant(facts.finishedAt)}. Formats: ${formats}.`;
}

function countsOf(facts: ExportFacts): string[] {
  const { pages, databases, dataSources, attachments, skipped } = facts.counts;
  return [
    plural(pages, 'page'),
    plural(databases, 'database'),
    plural(dataSources, 'data source'),
    plural(attachments, 'attachment'),
    `${formatCount(skipped)} skipped or failed`,
  ];
}

const INDEX_STYLE = [
  '.facts{color:var(--muted)}.counts{display:flex;flex-wrap:wrap;gap:.25rem 1.25rem;padding:0;list-style:none}',
  '.tree,.tree ul{list-style:none;padding-left:1.1rem;margin:0}.tree{padding-left:0}.tree li{margin:.15rem 0}',
  '.tree details>:not(summary){margin-left:0}.tree summary{list-style-position:outside}',
  '.kind{color:var(--muted);font-size:.85em;margin-left:.4rem}',
  '#search{margin:1.5rem 0}#search input{width:100%;box-sizing:border-box;font:inherit;padding:.5rem .7rem;border:1px solid var(--muted);border-radius:6px;background:var(--bg);color:var(--fg)}',
  '#search-results{padding-left:1.25rem}#search-results li{margin:.4rem 0}#search-results p{margin:.1rem 0;color:var(--muted);font-size:.9em}',
  '.visually-hidden{position:absolute;width:1px;height:1px;overflow:hidden;clip:rect(0 0 0 0)}',
].join('\n');

/** The link of one item in the HTML tree, with its kind and, for a database, how many rows it shows. */
function htmlEntry({ item, children }: OutlineEntry): string {
  const path = pathFor(item, 'html');
  const title = escapeHtml(titleOf(item));
  const label = path ? `<a href="${escapeHtml(hrefOf(path))}">${title}</a>` : title;
  const kind = item.kind === 'database' ? `<span class="kind">database · ${plural(children, 'row')}</span>` : '';
  return label + kind;
}

export interface IndexOptions {
  /** Shards of the search index written beside it (search/index-1.js…); 0: no search box. */
  searchShards: number;
}

/**
 * `index.html` at the export root, in parts to write one after another (an export of 10,000 pages
 * is never one string): what the export is (when, how, which formats, the counts), links to the
 * report, a search box (shown only when script runs; the search files beside it), and the
 * workspace's tree, collapsible with `<details>` (the top level open). Every title escaped, every
 * link relative.
 */
export function* indexHtmlParts(facts: ExportFacts, outline: Iterable<OutlineEntry>, options: IndexOptions): Generator<string> {
  const line = (text: string) => `${text}\n`;
  yield line(
    '<!doctype html>\n<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">',
  );
  yield line(`<meta name="notion-export-id" content="${escapeHtml(facts.exportId)}"><title>Notion export ${escapeHtml(formatInstant(facts.finishedAt))}</title>`);
  yield line(`<style>${PAGE_STYLE}\n${INDEX_STYLE}</style></head><body><article>`);
  yield line('<h1>Notion export</h1>');
  yield line(`<p class="facts">${escapeHtml(factsLine(facts))}</p>`);
  yield line(`<ul class="counts">${countsOf(facts)
    .map((c) => `<li>${escapeHtml(c)}</li>`)
    .join('')}</ul>`);
  yield line(
    `<p><a href="${REPORT_HTML_FILE}">Report: what was skipped or failed, and why</a> · <a href="report.json">report.json</a> · <a href="manifest.json">manifest.json</a></p>`,
  );
  const search = options.searchShards > 0;
  if (search) {
    yield line('<form id="search" role="search" hidden><label for="search-box">Search pages by title or text</label>');
    yield line('<input id="search-box" type="search" autocomplete="off" spellcheck="false">');
    yield line('<p id="search-status" aria-live="polite"></p><ol id="search-results"></ol></form>');
  }
  yield line('<h2>Workspace</h2>');
  // Open elements still to close: `</ul></details></li>` for a node with children, `</li>` for a leaf.
  const closers: string[] = [];
  let previousDepth = -1;
  let any = false;
  for (const entry of outline) {
    if (!any) yield line('<ul class="tree">');
    any = true;
    while (previousDepth >= entry.depth) {
      yield line(closers.pop() ?? '');
      previousDepth--;
    }
    if (entry.children > 0) {
      yield line(`<li><details${entry.depth === 0 ? ' open' : ''}><summary>${htmlEntry(entry)}</summary><ul>`);
      closers.push('</ul></details></li>');
    } else {
      yield line(`<li>${htmlEntry(entry)}`);
      closers.push('</li>');
    }
    previousDepth = entry.depth;
  }
  if (any) {
    while (closers.length > 0) yield line(closers.pop() ?? '');
    yield line('</ul>');
  } else yield line('<p>This export holds no pages.</p>');
  yield line('</article>');
  if (search) {
    yield line(`<script src="${MINISEARCH_FILE}"></script>`);
    for (let n = 1; n <= options.searchShards; n++) yield line(`<script src="${searchShardFile(n)}"></script>`);
    yield line(`<script>${SEARCH_SCRIPT}</script>`);
  }
  yield '</body></html>\n';
}

/** `index.html` of items in memory (the tests; the crawl writes indexHtmlParts as they come). */
export function renderIndexHtml(input: IndexInput, options: IndexOptions): string {
  const { facts, items } = IndexInput.parse(input);
  return [...indexHtmlParts(facts, outlineOf(workspaceTree(items), (item) => item), options)].join('');
}

/** The Markdown link of an item (from the export root), or its title when it has no file. */
function markdownEntry(item: ArchiveItem, format: LinkFormat): string {
  const path = pathFor(item, format);
  const title = escapeMarkdown(titleOf(item));
  return path ? `[${title}](<${hrefOf(path)}>)` : title;
}

/**
 * `index.md` at the export root, in parts: the same facts and tree as index.html, as nested
 * Markdown lists (Obsidian and Notion's importer follow the relative links).
 */
export function* indexMarkdownParts(facts: ExportFacts, outline: Iterable<OutlineEntry>): Generator<string> {
  yield ['# Notion export', '', factsLine(facts), '', countsOf(facts).join(' · '), ''].join('\n');
  yield `\n[Report: what was skipped or failed, and why](${REPORT_HTML_FILE}) · [report.json](report.json)\n\n## Workspace\n\n`;
  let any = false;
  for (const { item, depth, children } of outline) {
    any = true;
    const kind = item.kind === 'database' ? ` (database, ${plural(children, 'row')})` : '';
    yield `${'  '.repeat(depth)}- ${markdownEntry(item, 'markdown')}${kind}\n`;
  }
  if (!any) yield 'This export holds no pages.\n';
}

/** `index.md` of items in memory (the tests; the crawl writes indexMarkdownParts as they come). */
export function renderIndexMarkdown(input: IndexInput): string {
  const { facts, items } = IndexInput.parse(input);
  return [...indexMarkdownParts(facts, outlineOf(workspaceTree(items), (item) => item))].join('');
}
