/**
 * Page bodies: the block tree of every page, generated on demand from (seed, page index) and
 * rendered as SDK-typed block objects.
 *
 * A body is a flat array of nodes; node i has block number i + 1, which the id codec turns into
 * the block id. `child_page` / `child_database` nodes carry the page or database id instead
 * (Notion uses the same id for the page and its block).
 */
import type {
  BlockObjectResponse,
  ChildDatabaseBlockObjectResponse,
  ChildPageBlockObjectResponse,
  PartialUserObjectResponse,
  RichTextItemResponse,
} from '@notionhq/client';
import type { ParentForBlockBasedObjectResponse } from '@notionhq/client/build/src/api-endpoints';
import { signedFileUrl } from './files';
import { hashInts, IdKind, Rng } from './ids';
import type { RenderContext } from './render-context';
import { equation, mentionDatabase, mentionDate, mentionLink, mentionPage, mentionUser, text } from './rich-text';
import { capitalise, EMOJIS, randomSentence, WORDS } from './words';
import { minuteIso, type DatabaseSpec, type PageSpec, type Workspace } from './workspace';

export type NodeType =
  | 'paragraph'
  | 'heading_1'
  | 'heading_2'
  | 'heading_3'
  | 'bulleted_list_item'
  | 'numbered_list_item'
  | 'to_do'
  | 'toggle'
  | 'code'
  | 'quote'
  | 'callout'
  | 'divider'
  | 'equation'
  | 'table'
  | 'table_row'
  | 'image'
  | 'video'
  | 'file'
  | 'pdf'
  | 'audio'
  | 'bookmark'
  | 'embed'
  | 'link_preview'
  | 'column_list'
  | 'column'
  | 'child_page'
  | 'child_database'
  | 'synced_block'
  | 'link_to_page'
  | 'table_of_contents'
  | 'breadcrumb'
  | 'unsupported';

export interface BlockNode {
  type: NodeType;
  /** Index of the parent node, -1 for top-level blocks. */
  parent: number;
  children: number[];
  /** 32-bit variant driving the node's content. */
  v: number;
  /** child_page → page index; child_database → database index; link_to_page → page index; synced reference → original node. */
  ref: number;
}

export interface PageBody {
  nodes: BlockNode[];
  top: number[];
  /** Node whose text changes when the page is edited (-1 if none). */
  firstText: number;
}

const TEXT_TYPES: ReadonlySet<NodeType> = new Set<NodeType>([
  'paragraph',
  'heading_1',
  'heading_2',
  'heading_3',
  'bulleted_list_item',
  'numbered_list_item',
  'to_do',
  'toggle',
  'quote',
  'callout',
]);

const TOP_TYPES: readonly NodeType[] = [
  'paragraph', 'heading_1', 'heading_2', 'heading_3', 'bulleted_list_item', 'numbered_list_item', 'to_do', 'toggle', 'code', 'quote',
  'callout', 'divider', 'equation', 'table', 'image', 'bookmark', 'column_list', 'embed', 'video',
];
const TOP_WEIGHTS: readonly number[] = [28, 2, 5, 4, 12, 8, 6, 5, 4, 3, 3, 3, 2, 2, 3, 2, 2, 1, 1];
const ROW_TYPES: readonly NodeType[] = ['paragraph', 'bulleted_list_item', 'to_do', 'heading_3', 'code'];
const ROW_WEIGHTS: readonly number[] = [5, 3, 2, 1, 1];
const CODE_LANGUAGES = ['typescript', 'python', 'bash', 'json', 'sql', 'rust', 'plain text', 'mermaid'] as const;

class BodyBuilder {
  readonly nodes: BlockNode[] = [];
  readonly top: number[] = [];
  constructor(private readonly rng: Rng) {}

  add(type: NodeType, parent = -1, v: number = Math.floor(this.rng.float() * 0x7fffffff), ref = -1): number {
    const idx = this.nodes.length;
    this.nodes.push({ type, parent, children: [], v, ref });
    if (parent < 0) this.top.push(idx);
    else this.nodes[parent].children.push(idx);
    return idx;
  }

  /** Adds a block and, for containers, a plausible subtree. */
  addWithChildren(type: NodeType, parent: number, level: number): number {
    const rng = this.rng;
    const idx = this.add(type, parent);
    const deeper = level < 3;
    switch (type) {
      case 'bulleted_list_item':
      case 'numbered_list_item':
        if (deeper && rng.chance(0.3)) for (let i = rng.int(1, 3); i > 0; i--) this.addWithChildren(type, idx, level + 1);
        break;
      case 'toggle':
        for (let i = rng.int(1, 3); i > 0; i--) this.addWithChildren(rng.pick(['paragraph', 'bulleted_list_item', 'code'] as const), idx, level + 1);
        break;
      case 'to_do':
        if (deeper && rng.chance(0.2)) this.addWithChildren('to_do', idx, level + 1);
        break;
      case 'callout':
        if (rng.chance(0.4)) for (let i = rng.int(1, 2); i > 0; i--) this.add('paragraph', idx);
        break;
      case 'quote':
        if (rng.chance(0.1)) this.add('paragraph', idx);
        break;
      case 'heading_2':
      case 'heading_3':
        if (rng.chance(0.15)) for (let i = rng.int(1, 2); i > 0; i--) this.add('paragraph', idx);
        break;
      case 'paragraph':
        if (deeper && rng.chance(0.05)) this.addWithChildren('paragraph', idx, level + 1);
        break;
      case 'table':
        for (let i = rng.int(2, 5); i > 0; i--) this.add('table_row', idx);
        break;
      case 'column_list':
        for (let c = rng.int(2, 3); c > 0; c--) {
          const col = this.add('column', idx);
          for (let i = rng.int(1, 3); i > 0; i--) this.addWithChildren(rng.pick(['paragraph', 'bulleted_list_item', 'image', 'to_do'] as const), col, level + 2);
        }
        break;
      default:
        break;
    }
    return idx;
  }
}

function buildGallery(b: BodyBuilder, ws: Workspace, page: PageSpec): void {
  b.add('heading_1');
  b.add('paragraph', -1, 1); // v=1: the rich paragraph (annotations, link, mentions, inline equation)
  b.add('heading_2');
  const ul = b.add('bulleted_list_item');
  b.add('bulleted_list_item', b.add('bulleted_list_item', ul));
  const ol = b.add('numbered_list_item');
  b.add('numbered_list_item', ol);
  b.add('numbered_list_item');
  b.add('to_do', -1, 2);
  b.add('to_do', -1, 3);
  const toggle = b.add('toggle');
  b.add('paragraph', toggle);
  b.add('code', toggle);
  b.add('paragraph', b.add('heading_3'));
  b.add('code');
  b.add('quote');
  b.add('paragraph', b.add('callout'));
  b.add('divider');
  b.add('equation');
  const table = b.add('table', -1, 7);
  for (let i = 0; i < 3; i++) b.add('table_row', table);
  b.add('image', -1, 2); // external
  b.add('image', -1, 3); // Notion-hosted file
  b.add('video');
  b.add('file');
  b.add('pdf');
  b.add('audio');
  b.add('bookmark');
  b.add('embed');
  b.add('link_preview');
  const target = ws.options.pages > 1 ? 1 : page.index;
  b.add('link_to_page', -1, 0, target);
  b.add('table_of_contents');
  b.add('breadcrumb');
  const columns = b.add('column_list');
  const left = b.add('column', columns);
  b.add('paragraph', left);
  b.add('image', left, 2);
  const right = b.add('column', columns);
  b.add('to_do', right);
  const original = b.add('synced_block');
  b.add('paragraph', original);
  b.add('to_do', original);
  b.add('synced_block', -1, 0, original); // reference to the original above
  b.add('unsupported');
}

function buildBody(ws: Workspace, page: PageSpec): PageBody {
  const rng = new Rng(hashInts(ws.options.seed, page.index, 0xb0d1));
  const b = new BodyBuilder(rng);
  if (!page.shared) {
    // Unshared pages are never served; an empty body is enough.
  } else if (page.kind === 'row') {
    for (let i = 0; i < ws.options.blocksPerRow; i++) b.addWithChildren(ROW_TYPES[rng.weighted(ROW_WEIGHTS)], -1, 0);
  } else {
    if (page.index === 0 && !page.large) buildGallery(b, ws, page);
    const count = page.large ? ws.options.largePageBlocks : page.index === 0 ? 0 : ws.options.blocksPerPage;
    for (let i = 0; i < count; i++) b.addWithChildren(TOP_TYPES[rng.weighted(TOP_WEIGHTS)], -1, 0);
    // Child pages and databases sit among the content, at seeded positions, in creation order.
    const entities: Array<{ type: 'child_page' | 'child_database'; ref: number }> = [
      ...page.childPages.map((ref) => ({ type: 'child_page' as const, ref })),
      ...page.childDatabases.map((ref) => ({ type: 'child_database' as const, ref })),
    ];
    let lastPos = 0;
    for (const e of entities) {
      const idx = b.add(e.type, -1, 0, e.ref);
      b.top.pop();
      const pos = lastPos + Math.floor(rng.float() * (b.top.length - lastPos + 1));
      b.top.splice(pos, 0, idx);
      lastPos = pos + 1;
    }
  }
  let firstText = -1;
  for (const idx of b.top) {
    if (TEXT_TYPES.has(b.nodes[idx].type)) {
      firstText = idx;
      break;
    }
  }
  return { nodes: b.nodes, top: b.top, firstText };
}

const bodyCaches = new WeakMap<Workspace, Map<number, PageBody>>();
const BODY_CACHE_SIZE = 256;

/** The block tree of a page (LRU-cached). */
export function pageBody(ws: Workspace, page: PageSpec): PageBody {
  let cache = bodyCaches.get(ws);
  if (!cache) {
    cache = new Map();
    bodyCaches.set(ws, cache);
  }
  const hit = cache.get(page.index);
  if (hit) {
    cache.delete(page.index);
    cache.set(page.index, hit);
    return hit;
  }
  const body = buildBody(ws, page);
  cache.set(page.index, body);
  if (cache.size > BODY_CACHE_SIZE) {
    const oldest = cache.keys().next();
    if (!oldest.done) cache.delete(oldest.value);
  }
  return body;
}

/** True when a page has at least one block (what its `child_page` block reports as has_children). */
export function pageHasContent(ws: Workspace, page: PageSpec): boolean {
  return page.shared && pageBody(ws, page).top.length > 0;
}

export function nodeId(ws: Workspace, page: PageSpec, body: PageBody, idx: number): string {
  const node = body.nodes[idx];
  if (node.type === 'child_page') return ws.pages[node.ref].id;
  if (node.type === 'child_database') return ws.databases[node.ref].id;
  return ws.codec.encode(IdKind.block, page.index, idx + 1);
}

/** Node index named by a block number, or -1 if the number names no plain block of this page. */
export function nodeForBlockNumber(body: PageBody, blockNumber: number): number {
  const idx = blockNumber - 1;
  const node = body.nodes[idx];
  if (!node || node.type === 'child_page' || node.type === 'child_database') return -1;
  return idx;
}

/** Children of a node as Notion lists them (a synced reference lists its original's children). */
export function nodeChildren(body: PageBody, idx: number): number[] {
  const node = body.nodes[idx];
  return node.type === 'synced_block' && node.ref >= 0 ? body.nodes[node.ref].children : node.children;
}

// ---- rendering ---------------------------------------------------------------------------------

function user(ws: Workspace, index: number): PartialUserObjectResponse {
  return { object: 'user', id: index === 0 ? ws.botUserId : ws.users[index - 1].id };
}

/** Parent object of a page as Notion reports it. */
export function pageParent(ws: Workspace, page: PageSpec): ParentForBlockBasedObjectResponse {
  switch (page.parent.type) {
    case 'workspace':
      return { type: 'workspace', workspace: true };
    case 'page_id':
      return { type: 'page_id', page_id: ws.pages[page.parent.page].id };
    case 'data_source_id': {
      const db = ws.databases[page.parent.database];
      return { type: 'data_source_id', data_source_id: db.dataSourceId, database_id: db.id };
    }
  }
}

function sentenceRich(ctx: RenderContext, page: PageSpec, idx: number, node: BlockNode): RichTextItemResponse[] {
  const ws = ctx.ws;
  const rng = new Rng(hashInts(ws.options.seed, page.index, idx, 0x7e47));
  const s = randomSentence(rng);
  const shape = node.v === 1 ? -1 : rng.int(0, 99);
  const mentionTarget = ws.options.pages > 0 ? ws.pages[rng.int(0, ws.options.pages - 1)] : null;
  const person = ws.users[rng.int(0, ws.users.length - 1)];
  if (shape === -1) {
    const out = [
      text('Styled '),
      text('bold', { bold: true }),
      text(', '),
      text('italic', { italic: true }),
      text(', '),
      text('code', { code: true }),
      text(', '),
      text('struck', { strikethrough: true }),
      text(', '),
      text('underlined', { underline: true }),
      text(' and '),
      text('red', { color: 'red' }),
      text(' text with '),
      text('a link', { link: 'https://example.com/docs?a=1&b=2' }),
      text(', an equation '),
      equation('e^{i\\pi} + 1 = 0'),
      text(', '),
      mentionUser(person.id, person.name),
      text(' on '),
      mentionDate('2025-03-14', '2025-03-15'),
    ];
    if (mentionTarget) out.push(text(' and a page mention: '), mentionPage(mentionTarget.id, mentionTarget.title));
    const db = ws.databases[0];
    if (db) out.push(text(', a database mention: '), mentionDatabase(db.id, db.title));
    out.push(text(' and a link mention: '), mentionLink('https://github.com/makenotion/notion-sdk-js', 'makenotion/notion-sdk-js'));
    return out;
  }
  if (shape < 60) return [text(s)];
  if (shape < 75) {
    const words = s.split(' ');
    const cut = Math.max(1, Math.floor(words.length / 2));
    return [text(`${words.slice(0, cut).join(' ')} `), text(words.slice(cut).join(' '), { bold: rng.chance(0.5), italic: true })];
  }
  if (shape < 83) return [text(`${s} See `), text('the reference', { link: `https://example.com/ref/${rng.int(1, 999)}` }), text('.')];
  if (shape < 90 && mentionTarget) return [text('Related: '), mentionPage(mentionTarget.id, mentionTarget.title), text(` — ${s}`)];
  if (shape < 95) return [mentionUser(person.id, person.name), text(' will follow up by '), mentionDate(`2025-0${rng.int(1, 9)}-1${rng.int(0, 9)}`)];
  return [text('Inline math '), equation(`x_${rng.int(1, 9)} = \\frac{a}{b}`), text(` — ${s}`)];
}

function shortRich(ctx: RenderContext, page: PageSpec, idx: number): RichTextItemResponse[] {
  const rng = new Rng(hashInts(ctx.ws.options.seed, page.index, idx, 0x5407));
  const n = rng.int(2, 5);
  const words: string[] = [];
  for (let i = 0; i < n; i++) words.push(rng.pick(WORDS));
  return [text(capitalise(words.join(' ')))];
}

function codeText(node: BlockNode): { language: (typeof CODE_LANGUAGES)[number]; source: string } {
  const language = CODE_LANGUAGES[node.v % CODE_LANGUAGES.length];
  const sources: Record<(typeof CODE_LANGUAGES)[number], string> = {
    typescript: 'export function add(a: number, b: number): number {\n  return a + b;\n}',
    python: 'def greet(name):\n    return f"Hello, {name}!"',
    bash: 'set -euo pipefail\nnpm ci && npm test',
    json: '{\n  "name": "twin",\n  "pages": 50\n}',
    sql: 'SELECT id, title FROM pages WHERE archived = 0 ORDER BY title;',
    rust: 'fn main() {\n    println!("hello");\n}',
    'plain text': 'Plain text with `backticks` and *stars* that must stay literal.',
    mermaid: 'graph TD;\n  A-->B;\n  B-->C;',
  };
  return { language, source: sources[language] };
}

function withEdit(ctx: RenderContext, page: PageSpec, body: PageBody, idx: number, rich: RichTextItemResponse[]): RichTextItemResponse[] {
  if (idx !== body.firstText) return rich;
  const { count } = ctx.ws.editState(page);
  return count > 0 ? [...rich, text(` (edited ${count})`)] : rich;
}

function fileObject(ctx: RenderContext, ownerId: string, name: string): { url: string; expiry_time: string } {
  return signedFileUrl(ctx.baseUrl, ownerId, name, ctx.nowMs, ctx.fileTtlMs);
}

/** A page seen as a block (`child_page`), with the given parent. */
export function childPageBlock(ctx: RenderContext, page: PageSpec, parent: ParentForBlockBasedObjectResponse): ChildPageBlockObjectResponse {
  const ws = ctx.ws;
  return {
    object: 'block',
    id: page.id,
    parent,
    created_time: minuteIso(page.createdMs),
    last_edited_time: minuteIso(ws.editState(page).editedMs),
    created_by: user(ws, page.createdBy),
    last_edited_by: user(ws, page.editedBy),
    has_children: pageHasContent(ws, page),
    in_trash: false,
    type: 'child_page',
    child_page: { title: page.title },
    archived: false,
  };
}

/** A database seen as a block (`child_database`). */
export function childDatabaseBlock(ctx: RenderContext, db: DatabaseSpec): ChildDatabaseBlockObjectResponse {
  const ws = ctx.ws;
  const parent: ParentForBlockBasedObjectResponse =
    db.parentPage >= 0 ? { type: 'page_id', page_id: ws.pages[db.parentPage].id } : { type: 'workspace', workspace: true };
  return {
    object: 'block',
    id: db.id,
    parent,
    created_time: minuteIso(db.createdMs),
    last_edited_time: minuteIso(db.editedMs),
    created_by: user(ws, 1),
    last_edited_by: user(ws, 1),
    has_children: false,
    in_trash: false,
    type: 'child_database',
    child_database: { title: db.title },
    archived: false,
  };
}

/** Renders node `idx` of `page`'s body as Notion's block object. */
export function renderBlock(ctx: RenderContext, page: PageSpec, body: PageBody, idx: number): BlockObjectResponse {
  const ws = ctx.ws;
  const node = body.nodes[idx];
  const parent: ParentForBlockBasedObjectResponse =
    node.parent < 0 ? { type: 'page_id', page_id: page.id } : { type: 'block_id', block_id: nodeId(ws, page, body, node.parent) };
  if (node.type === 'child_page') return childPageBlock(ctx, ws.pages[node.ref], parent);
  if (node.type === 'child_database') return childDatabaseBlock(ctx, ws.databases[node.ref]);

  const id = nodeId(ws, page, body, idx);
  const edit = ws.editState(page);
  const editedMs = idx === body.firstText && edit.count > 0 ? edit.editedMs : page.createdMs + (node.v % 1000) * ((page.editedMs - page.createdMs) / 1000);
  const common = {
    object: 'block' as const,
    id,
    parent,
    created_time: minuteIso(page.createdMs),
    last_edited_time: minuteIso(editedMs),
    created_by: user(ws, page.createdBy),
    last_edited_by: user(ws, page.editedBy),
    has_children: nodeChildren(body, idx).length > 0,
    in_trash: false,
  };
  const archived = false;
  const color = node.v % 11 === 0 ? ('blue_background' as const) : ('default' as const);
  const rich = () => withEdit(ctx, page, body, idx, sentenceRich(ctx, page, idx, node));
  const short = () => withEdit(ctx, page, body, idx, shortRich(ctx, page, idx));
  const caption = (): RichTextItemResponse[] => (node.v % 2 === 0 ? [] : [text(`Caption ${idx + 1}`)]);

  switch (node.type) {
    case 'paragraph':
      return { ...common, type: 'paragraph', paragraph: { rich_text: rich(), icon: null, color }, archived };
    case 'heading_1':
      return { ...common, type: 'heading_1', heading_1: { rich_text: short(), is_toggleable: node.children.length > 0, color: 'default' }, archived };
    case 'heading_2':
      return { ...common, type: 'heading_2', heading_2: { rich_text: short(), is_toggleable: node.children.length > 0, color: 'default' }, archived };
    case 'heading_3':
      return { ...common, type: 'heading_3', heading_3: { rich_text: short(), is_toggleable: node.children.length > 0, color: 'default' }, archived };
    case 'bulleted_list_item':
      return { ...common, type: 'bulleted_list_item', bulleted_list_item: { rich_text: short(), color }, archived };
    case 'numbered_list_item':
      return { ...common, type: 'numbered_list_item', numbered_list_item: { rich_text: short(), color }, archived };
    case 'to_do':
      return { ...common, type: 'to_do', to_do: { rich_text: short(), checked: node.v % 2 === 1, color: 'default' }, archived };
    case 'toggle':
      return { ...common, type: 'toggle', toggle: { rich_text: short(), color: 'default' }, archived };
    case 'quote':
      return { ...common, type: 'quote', quote: { rich_text: rich(), color: 'default' }, archived };
    case 'callout':
      return {
        ...common,
        type: 'callout',
        callout: { rich_text: rich(), icon: { type: 'emoji', emoji: EMOJIS[node.v % EMOJIS.length] }, color: 'gray_background' },
        archived,
      };
    case 'code': {
      const { language, source } = codeText(node);
      return { ...common, type: 'code', code: { caption: caption(), rich_text: [text(source)], language }, archived };
    }
    case 'divider':
      return { ...common, type: 'divider', divider: {}, archived };
    case 'equation':
      return { ...common, type: 'equation', equation: { expression: `\\int_0^${(node.v % 9) + 1} x^2\\,dx` }, archived };
    case 'table':
      return {
        ...common,
        type: 'table',
        table: { table_width: 2 + (node.v % 2), has_column_header: (node.v & 4) !== 0, has_row_header: (node.v & 8) !== 0 },
        archived,
      };
    case 'table_row': {
      const table = body.nodes[node.parent];
      const width = 2 + (table.v % 2);
      const row = table.children.indexOf(idx);
      const cells: RichTextItemResponse[][] = [];
      for (let c = 0; c < width; c++) cells.push(row === 0 && (table.v & 4) !== 0 ? [text(`Column ${c + 1}`, { bold: true })] : c === 1 && row === 2 ? [] : [text(`R${row + 1}C${c + 1}${c === 0 ? ' | pipe' : ''}`)]);
      return { ...common, type: 'table_row', table_row: { cells }, archived };
    }
    case 'image': {
      if (node.v % 2 === 1) {
        return { ...common, type: 'image', image: { type: 'file', file: fileObject(ctx, id, `image-${idx + 1}.png`), caption: caption() }, archived };
      }
      return {
        ...common,
        type: 'image',
        image: { type: 'external', external: { url: `https://images.twin.example/${id.slice(0, 8)}/photo-${idx + 1}.jpg` }, caption: caption() },
        archived,
      };
    }
    case 'video':
      return { ...common, type: 'video', video: { type: 'external', external: { url: 'https://www.youtube.com/watch?v=dQw4w9WgXcQ' }, caption: [] }, archived };
    case 'file': {
      const name = `report-${idx + 1}.pdf`;
      return { ...common, type: 'file', file: { type: 'file', file: fileObject(ctx, id, name), caption: caption(), name }, archived };
    }
    case 'pdf':
      return { ...common, type: 'pdf', pdf: { type: 'external', external: { url: 'https://files.twin.example/whitepaper.pdf' }, caption: [] }, archived };
    case 'audio':
      return { ...common, type: 'audio', audio: { type: 'external', external: { url: 'https://files.twin.example/podcast.mp3' }, caption: [] }, archived };
    case 'bookmark':
      return { ...common, type: 'bookmark', bookmark: { url: `https://example.com/articles/${node.v % 1000}`, caption: caption() }, archived };
    case 'embed':
      return { ...common, type: 'embed', embed: { url: 'https://codepen.io/team/codepen/pen/PNaGbb', caption: [] }, archived };
    case 'link_preview':
      return { ...common, type: 'link_preview', link_preview: { url: 'https://github.com/makenotion/notion-sdk-js/pull/1' }, archived };
    case 'column_list':
      return { ...common, type: 'column_list', column_list: {}, archived };
    case 'column': {
      const siblings = body.nodes[node.parent].children.length;
      return { ...common, type: 'column', column: siblings === 2 ? { width_ratio: 0.5 } : {}, archived };
    }
    case 'synced_block':
      return {
        ...common,
        type: 'synced_block',
        synced_block: { synced_from: node.ref >= 0 ? { type: 'block_id', block_id: nodeId(ws, page, body, node.ref) } : null },
        archived,
      };
    case 'link_to_page':
      return { ...common, type: 'link_to_page', link_to_page: { type: 'page_id', page_id: ws.pages[node.ref].id }, archived };
    case 'table_of_contents':
      return { ...common, type: 'table_of_contents', table_of_contents: { color: 'default' }, archived };
    case 'breadcrumb':
      return { ...common, type: 'breadcrumb', breadcrumb: {}, archived };
    case 'unsupported':
      return { ...common, type: 'unsupported', unsupported: { block_type: 'form' }, archived };
  }
}
