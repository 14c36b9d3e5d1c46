import MiniSearch from 'minisearch';
import type { BlockNode } from '@/server/export/render/block-node';
import { MINISEARCH_BROWSER_SOURCE } from './minisearch-browser';

/** The folder of the search files: MiniSearch itself and the index in shards. */
export const SEARCH_DIR = 'search';
/** MiniSearch's browser build, loaded once by index.html before the shards. */
export const MINISEARCH_FILE = `${SEARCH_DIR}/minisearch.js`;
/** The n-th shard of the index (1-based): a script, since a page opened from `file://` may not fetch JSON. */
export const searchShardFile = (n: number): string => `${SEARCH_DIR}/index-${n}.js`;
/** The global array each shard pushes its index onto, and the search box reads. */
export const SEARCH_GLOBAL = '__notionExportSearch';
/** Characters of a page's text that are indexed: enough to find a page by its words, bounded per page. */
export const MAX_SEARCH_TEXT = 1024;
/**
 * Pages per shard. The index of 10,000 pages built in one piece held 55 MB of heap; a shard is
 * built, written and dropped before the next, so building costs one shard's worth whatever the
 * export's size (a shard of 1,000 content-rich pages raised the CLI's resident memory by 11 MB
 * at the finish, its peak; of 500, it was still the peak by 2 MB), and the browser loads the
 * shards side by side.
 */
export const SEARCH_SHARD_SIZE = 250;

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
 * One shard of the search index, built one page at a time: only the index (terms and their page
 * ids, with each page's title and path) is kept, never the pages' text, so memory grows with the
 * number of pages (at most SEARCH_SHARD_SIZE) and the bounded text of each. `toScript()` writes
 * the shard's file; with MINISEARCH_FILE beside it, index.html needs neither a server nor the network.
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

  /**
   * The shard's file in parts: the index pushed onto the global array (MiniSearch comes from
   * MINISEARCH_FILE), as `JSON.stringify` writes `MiniSearch.toJSON()`, but a few hundred terms at
   * a time: `toJSON()` builds the whole index again as plain objects first, 32 MB for 1,000 pages.
   */
  *scriptParts(): Generator<string> {
    const m = internalsOf(this.index);
    const json = (value: unknown) => safeJson(JSON.stringify(value));
    yield [
      `(window.${SEARCH_GLOBAL}=window.${SEARCH_GLOBAL}||[]).push({"options":${json(OPTIONS)},"index":{`,
      `"documentCount":${json(m._documentCount)},"nextId":${json(m._nextId)},`,
      `"documentIds":${json(Object.fromEntries(m._documentIds))},"fieldIds":${json(m._fieldIds)},`,
      `"fieldLength":${json(Object.fromEntries(m._fieldLength))},"averageFieldLength":${json(m._avgFieldLength)},`,
      `"storedFields":${json(Object.fromEntries(m._storedFields))},"dirtCount":${json(m._dirtCount)},"index":[`,
    ].join('');
    let terms: string[] = [];
    let first = true;
    for (const [term, fieldIndex] of m._index) {
      const fields: string[] = [];
      for (const [fieldId, frequencies] of fieldIndex) fields.push(`${JSON.stringify(String(fieldId))}:${JSON.stringify(Object.fromEntries(frequencies))}`);
      terms.push(`${first ? '' : ','}[${json(term)},{${fields.join(',')}}]`);
      first = false;
      if (terms.length >= 500) {
        yield terms.join('');
        terms = [];
      }
    }
    yield `${terms.join('')}],"serializationVersion":${SERIALIZATION_VERSION}}});\n`;
  }

  /** The shard's file as one string (tests; the crawl writes scriptParts as they come). */
  toScript(): string {
    return [...this.scriptParts()].join('');
  }
}

/** The version of MiniSearch's serialised form that scriptParts writes (MiniSearch 7's `toJSON`). */
const SERIALIZATION_VERSION = 2;

/** What scriptParts reads of a MiniSearch instance: the fields its own `toJSON` reads. */
interface MiniSearchInternals {
  _documentCount: number;
  _nextId: number;
  _documentIds: Map<number, unknown>;
  _fieldIds: Record<string, number>;
  _fieldLength: Map<number, number[]>;
  _avgFieldLength: number[];
  _storedFields: Map<number, Record<string, unknown>>;
  _dirtCount: number;
  _index: Iterable<[string, Map<number, Map<number, number>>]>;
}

/** MiniSearch's fields, checked (a new MiniSearch that renamed them fails here, and in the test comparing with `toJSON`). */
function internalsOf(index: MiniSearch<SearchablePage>): MiniSearchInternals {
  const m = index as unknown as MiniSearchInternals;
  if (!(m._documentIds instanceof Map) || !(m._fieldLength instanceof Map) || !(m._storedFields instanceof Map) || !m._index) {
    throw new Error('MiniSearch’s index is not laid out as search-index.ts expects (MiniSearch upgraded?)');
  }
  return m;
}

/** JSON made safe inside a script: `<` cannot close the element, U+2028/9 parse in old engines. */
const safeJson = (json: string): string =>
  json.replace(/[<\u2028\u2029]/g, (c) => (c === '<' ? '\\u003c' : c === '\u2028' ? '\\u2028' : '\\u2029'));

/** The content of MINISEARCH_FILE. */
export const minisearchScript = (): string => `${MINISEARCH_BROWSER_SOURCE}\n`;

/** Named entities our HTML writer and hast-util-to-html may leave in text (others are numeric). */
const ENTITIES: Record<string, string> = { amp: '&', lt: '<', gt: '>', quot: '"', apos: "'", nbsp: ' ' };

function decodeEntities(text: string): string {
  return text.replace(/&(#x[0-9a-f]+|#[0-9]+|[a-z]+);/gi, (whole, name: string) => {
    if (name[0] !== '#') return ENTITIES[name.toLowerCase()] ?? whole;
    const code = name[1] === 'x' || name[1] === 'X' ? Number.parseInt(name.slice(2), 16) : Number.parseInt(name.slice(1), 10);
    return code > 0 && code <= 0x10ffff ? String.fromCodePoint(code) : whole;
  });
}

/**
 * The searchable text of an exported HTML page (of its first bytes: the caller reads a bounded
 * prefix), up to `limit` characters: the article's text without the style sheet, scripts and the
 * LaTeX kept beside equations. The page files are the excerpts' store: they survive a crash,
 * and a sync carries the unchanged ones over, so no page is rendered twice for its text.
 */
export function searchTextOfHtml(html: string, limit = MAX_SEARCH_TEXT): string {
  const start = html.indexOf('<article');
  const body = start >= 0 ? html.slice(start) : html;
  const text = body
    .replace(/<(script|style|annotation|title)\b[\s\S]*?(<\/\1\s*>|$)/gi, ' ')
    .replace(/<[^>]*(>|$)/g, ' ');
  return decodeEntities(text).replace(/\s+/g, ' ').trim().slice(0, limit);
}

/** The same query in Node (tests) and in the browser: prefix and light fuzzy matching, titles first. */
const SEARCH_QUERY_OPTIONS = { prefix: true, fuzzy: 0.2, boost: { title: 3 }, combineWith: 'AND' } as const;

/**
 * The search box's script, inline in index.html after MINISEARCH_FILE and every shard. It shows the
 * form (hidden without script), loads each shard pushed onto the global, asks every shard and lists
 * the first 50 pages found, best first, with links; it writes text only through textContent.
 * Without the search files (or with script off) the tree still works.
 */
export const SEARCH_SCRIPT = `(function(){
var shards=window.${SEARCH_GLOBAL},form=document.getElementById('search');
if(!form||!shards||!shards.length||!window.MiniSearch)return;
var engines=shards.map(function(data){return window.MiniSearch.loadJS(data.index,data.options);});
var box=document.getElementById('search-box'),list=document.getElementById('search-results'),status=document.getElementById('search-status');
var options=${JSON.stringify(SEARCH_QUERY_OPTIONS)};
form.hidden=false;
form.addEventListener('submit',function(e){e.preventDefault();});
function href(path){return path.split('/').map(encodeURIComponent).join('/');}
function run(){
  var query=box.value.trim();
  list.textContent='';
  if(!query){status.textContent='';return;}
  var hits=[];
  engines.forEach(function(engine){hits=hits.concat(engine.search(query,options));});
  hits.sort(function(a,b){return b.score-a.score;});
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
