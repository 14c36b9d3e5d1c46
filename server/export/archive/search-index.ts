import MiniSearch from 'minisearch';
import type { BlockNode } from '@/server/export/render/block-node';
import { MINISEARCH_BROWSER_SOURCE } from './minisearch-browser';

/** The index file beside index.html: a script, since a page opened from `file://` may not fetch JSON. */
export const SEARCH_INDEX_FILE = 'search-index.js';
/** The global the index file assigns and the search box reads. */
export const SEARCH_GLOBAL = '__notionExportSearch';
/** Characters of a page's text that are indexed: enough to find a page by its words, bounded per page. */
export const MAX_SEARCH_TEXT = 1024;

/** How the index is built and loaded: the browser must load it with the same fields. */
const OPTIONS = { fields: ['title', 'text'], storeFields: ['title', 'path'] } as const;

export interface SearchablePage {
  id: string;
  title: string;
  /** The page's HTML file, relative to the export root. */
  path: string;
  /** Its text; only the first MAX_SEARCH_TEXT characters are indexed. */
  text: string;
}

/**
 * The text of a page's blocks for the search index, collected only up to `limit` characters
 * (a page of a million words costs no more than a short one).
 */
export function searchTextOfBlocks(blocks: readonly BlockNode[], limit = MAX_SEARCH_TEXT): string {
  const parts: string[] = [];
  let length = 0;
  const stack = [...blocks].reverse();
  for (let block = stack.pop(); block && length < limit; block = stack.pop()) {
    const content = (block as unknown as Record<string, unknown>)[block.type] as
      | { rich_text?: { plain_text: string }[]; caption?: { plain_text: string }[]; expression?: string; title?: string }
      | undefined;
    const pieces = [
      (content?.rich_text ?? []).map((r) => r.plain_text).join(''),
      (content?.caption ?? []).map((r) => r.plain_text).join(''),
      content?.expression ?? '',
      block.type === 'child_page' || block.type === 'child_database' ? (content?.title ?? '') : '',
    ].filter(Boolean);
    if (pieces.length > 0) {
      const line = pieces.join(' ');
      parts.push(line);
      length += line.length + 1;
    }
    if (block.children) for (let i = block.children.length - 1; i >= 0; i--) stack.push(block.children[i]);
  }
  return parts.join('\n').slice(0, limit);
}

/**
 * The search index, built one page at a time while the export runs: only the index (terms and
 * their page ids, with each page's title and path) is kept, never the pages' text, so memory grows
 * with the number of pages and the bounded text of each. `toScript()` writes `search-index.js`:
 * MiniSearch itself, then the index assigned to a global, so index.html needs neither a server
 * nor the network.
 */
export class SearchIndexBuilder {
  private readonly index = new MiniSearch<SearchablePage>({ ...OPTIONS, fields: [...OPTIONS.fields], storeFields: [...OPTIONS.storeFields] });

  /** Adds a page, or replaces it when it was added before (a page retried in the same run). */
  add(page: SearchablePage): void {
    const document = { ...page, text: page.text.slice(0, MAX_SEARCH_TEXT) };
    if (this.index.has(page.id)) this.index.replace(document);
    else this.index.add(document);
  }

  /** Whether a page is in the index (at the end, pages without text are added by title only). */
  has(id: string): boolean {
    return this.index.has(id);
  }

  get pageCount(): number {
    return this.index.documentCount;
  }

  /** The titles and paths of the pages found for a query, best first (what the search box shows). */
  search(query: string): { id: string; title: string; path: string }[] {
    return this.index
      .search(query, SEARCH_QUERY_OPTIONS)
      .map((hit) => ({ id: String(hit.id), title: String(hit.title), path: String(hit.path) }));
  }

  /** The content of `search-index.js`. */
  toScript(): string {
    // `<` escaped so the JSON cannot close a script element; U+2028/9 so old engines parse it.
    const json = JSON.stringify({ options: OPTIONS, index: this.index })
      .replace(/</g, '\\u003c')
      .replace(/\u2028/g, '\\u2028')
      .replace(/\u2029/g, '\\u2029');
    return `${MINISEARCH_BROWSER_SOURCE}\nwindow.${SEARCH_GLOBAL}=${json};\n`;
  }
}

/** The same query in Node (tests) and in the browser: prefix and light fuzzy matching, titles first. */
const SEARCH_QUERY_OPTIONS = { prefix: true, fuzzy: 0.2, boost: { title: 3 }, combineWith: 'AND' } as const;

/**
 * The search box's script, inline in index.html. It shows the form (hidden without script), loads
 * the index from the global, and lists the first 50 pages found with links; it writes text only
 * through textContent. Without `search-index.js` (or with script off) the tree still works.
 */
export const SEARCH_SCRIPT = `(function(){
var data=window.${SEARCH_GLOBAL},form=document.getElementById('search');
if(!form||!data||!window.MiniSearch)return;
var engine=window.MiniSearch.loadJS(data.index,data.options);
var box=document.getElementById('search-box'),list=document.getElementById('search-results'),status=document.getElementById('search-status');
var options=${JSON.stringify(SEARCH_QUERY_OPTIONS)};
form.hidden=false;
form.addEventListener('submit',function(e){e.preventDefault();});
function href(path){return path.split('/').map(encodeURIComponent).join('/');}
function run(){
  var query=box.value.trim();
  list.textContent='';
  if(!query){status.textContent='';return;}
  var hits=engine.search(query,options);
  status.textContent=hits.length===0?'No page found.':hits.length===1?'1 page found.':hits.length+' pages found'+(hits.length>50?', the first 50 shown.':'.');
  hits.slice(0,50).forEach(function(hit){
    var item=document.createElement('li'),link=document.createElement('a');
    link.href=href(hit.path);link.textContent=hit.title||'Untitled';
    item.appendChild(link);list.appendChild(item);
  });
}
box.addEventListener('input',run);
if(box.value)run();
})();`;
