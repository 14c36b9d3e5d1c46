import { z } from 'zod';
import { formatInstant } from '@/server/export/render/notion-date';
import { PAGE_STYLE } from '@/server/export/render/writers/html-document';
import { ArchiveItem, countOf, formatCount, escapeHtml, escapeMarkdown, hrefOf, type LinkFormat, pathFor } from './archive-model';
import { SEARCH_INDEX_FILE, SEARCH_SCRIPT } from './search-index';

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

const FORMAT_NAMES: Record<ExportFacts['formats'][number], string> = { markdown: 'Markdown', html: 'HTML', json: 'JSON', csv: 'CSV' };

/** One level of the tree: an item and its children, in title order. */
interface TreeNode {
  item: ArchiveItem;
  children: TreeNode[];
}

const collator = new Intl.Collator('en', { sensitivity: 'base', numeric: true });
const byTitle = (a: TreeNode, b: TreeNode) => collator.compare(a.item.title, b.item.title) || (a.item.id < b.item.id ? -1 : 1);

/**
 * The workspace's tree: items under their parent, and at the top the items whose parent is not in
 * the export (top-level pages, and pages under something the token cannot read). An item that
 * would sit under itself (a cycle in broken data) is placed at the top once.
 */
export function workspaceTree(items: readonly ArchiveItem[]): TreeNode[] {
  const nodes = new Map<string, TreeNode>();
  for (const item of items) if (!nodes.has(item.id)) nodes.set(item.id, { item, children: [] });
  const roots: TreeNode[] = [];
  for (const node of nodes.values()) {
    const parent = node.item.parentId ? nodes.get(node.item.parentId) : undefined;
    if (parent && parent !== node) parent.children.push(node);
    else roots.push(node);
  }
  // Nodes in a cycle are reachable from no root: the first of each cycle becomes a root.
  const reached = new Set<TreeNode>();
  const mark = (start: TreeNode) => {
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

/** Every node with its depth, parents before children (iterative: deep trees must not overflow the stack). */
function* walk(roots: readonly TreeNode[]): Generator<{ node: TreeNode; depth: number }> {
  const stack = roots.map((node) => ({ node, depth: 0 })).reverse();
  for (let entry = stack.pop(); entry; entry = stack.pop()) {
    yield entry;
    const { node, depth } = entry;
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
    countOf(pages, 'page'),
    countOf(databases, 'database'),
    countOf(dataSources, 'data source'),
    countOf(attachments, 'attachment'),
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
function htmlEntry(node: TreeNode): string {
  const { item } = node;
  const path = pathFor(item, 'html');
  const title = escapeHtml(titleOf(item));
  const label = path ? `<a href="${escapeHtml(hrefOf(path))}">${title}</a>` : title;
  const kind = item.kind === 'database' ? `<span class="kind">database · ${countOf(node.children.length, 'row')}</span>` : '';
  return label + kind;
}

/**
 * `index.html` at the export root: what the export is (when, how, which formats, the counts), links
 * to the report, a search box (shown only when script runs; `search-index.js` beside it), and the
 * workspace's tree, collapsible with `<details>` (the top level open). Built as an array of
 * strings, so 10,000 items take milliseconds; every title escaped, every link relative.
 */
export function renderIndexHtml(input: IndexInput, options: { search: boolean }): string {
  const { facts, items } = IndexInput.parse(input);
  const roots = workspaceTree(items);
  const out: string[] = [
    '<!doctype html>\n<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">',
    `<meta name="notion-export-id" content="${escapeHtml(facts.exportId)}"><title>Notion export ${escapeHtml(formatInstant(facts.finishedAt))}</title>`,
    `<style>${PAGE_STYLE}\n${INDEX_STYLE}</style></head><body><article>`,
    '<h1>Notion export</h1>',
    `<p class="facts">${escapeHtml(factsLine(facts))}</p>`,
    `<ul class="counts">${countsOf(facts)
      .map((c) => `<li>${escapeHtml(c)}</li>`)
      .join('')}</ul>`,
    `<p><a href="${REPORT_HTML_FILE}">Report: what was skipped or failed, and why</a> · <a href="report.json">report.json</a> · <a href="manifest.json">manifest.json</a></p>`,
  ];
  if (options.search) {
    out.push(
      '<form id="search" role="search" hidden><label for="search-box">Search pages by title or text</label>',
      '<input id="search-box" type="search" autocomplete="off" spellcheck="false">',
      '<p id="search-status" aria-live="polite"></p><ol id="search-results"></ol></form>',
    );
  }
  out.push(`<h2>Workspace</h2>`);
  if (roots.length === 0) out.push('<p>This export holds no pages.</p>');
  else {
    out.push('<ul class="tree">');
    // Open elements still to close: `</ul></details></li>` for a node with children, `</li>` for a leaf.
    const closers: string[] = [];
    let previousDepth = -1;
    for (const { node, depth } of walk(roots)) {
      while (previousDepth >= depth) {
        out.push(closers.pop() ?? '');
        previousDepth--;
      }
      if (node.children.length > 0) {
        out.push(`<li><details${depth === 0 ? ' open' : ''}><summary>${htmlEntry(node)}</summary><ul>`);
        closers.push('</ul></details></li>');
      } else {
        out.push(`<li>${htmlEntry(node)}`);
        closers.push('</li>');
      }
      previousDepth = depth;
    }
    while (closers.length > 0) out.push(closers.pop() ?? '');
    out.push('</ul>');
  }
  out.push('</article>');
  if (options.search) out.push(`<script src="${SEARCH_INDEX_FILE}"></script>`, `<script>${SEARCH_SCRIPT}</script>`);
  out.push('</body></html>\n');
  return out.join('\n');
}

/** The Markdown link of an item (from the export root), or its title when it has no file. */
function markdownEntry(item: ArchiveItem, format: LinkFormat): string {
  const path = pathFor(item, format);
  const title = escapeMarkdown(titleOf(item));
  return path ? `[${title}](<${hrefOf(path)}>)` : title;
}

/**
 * `index.md` at the export root: the same facts and tree as index.html, as nested Markdown lists
 * (Obsidian and Notion's importer follow the relative links).
 */
export function renderIndexMarkdown(input: IndexInput): string {
  const { facts, items } = IndexInput.parse(input);
  const out: string[] = ['# Notion export', '', factsLine(facts), '', countsOf(facts).join(' · '), ''];
  out.push(`[Report: what was skipped or failed, and why](${REPORT_HTML_FILE}) · [report.json](report.json)`, '', '## Workspace', '');
  const roots = workspaceTree(items);
  if (roots.length === 0) out.push('This export holds no pages.');
  for (const { node, depth } of walk(roots)) {
    const kind = node.item.kind === 'database' ? ` (database, ${countOf(node.children.length, 'row')})` : '';
    out.push(`${'  '.repeat(depth)}- ${markdownEntry(node.item, 'markdown')}${kind}`);
  }
  return `${out.join('\n')}\n`;
}
