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
import type { PageIconResponse, ParentForBlockBasedObjectResponse } from '@notionhq/client/build/src/api-endpoints';
import { LARGE_FILE_NAME, signedFileUrl } from './files';
import { customEmoji, type IconSpec, renderIcon } from './icons';
import { hashInts, IdKind, Rng } from './ids';
import type { RenderContext } from './render-context';
import {
  API_COLORS,
  equation,
  mentionCustomEmoji,
  mentionDatabase,
  mentionDate,
  mentionLink,
  mentionLinkFull,
  mentionLinkPreview,
  mentionPage,
  mentionTemplateDate,
  mentionTemplateUser,
  mentionUser,
  splitText,
  text,
} from './rich-text';
import { minuteIso } from './time';
import { fullUser } from './users';
import { capitalise, EMOJIS, NATIVE_ICONS, randomSentence, WORDS } from './words';
import type { DatabaseSpec, LinkedDatabaseSpec, PageSpec, Workspace } from './workspace';

export type NodeType =
  | 'paragraph'
  | 'heading_1'
  | 'heading_2'
  | 'heading_3'
  | 'heading_4'
  | 'bulleted_list_item'
  | 'numbered_list_item'
  | 'to_do'
  | 'toggle'
  | 'template'
  | 'code'
  | 'quote'
  | 'callout'
  | 'divider'
  | 'equation'
  | 'table'
  | 'table_row'
  | 'tab'
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
  | 'meeting_notes'
  | 'unsupported';

/** Special content of gallery blocks (0 = ordinary generated content). */
export const Variant = {
  none: 0,
  /** Paragraph: every annotation, a link, an inline equation and the common mentions. */
  rich: 1,
  /** Paragraph: one text item per colour (all 20), and all annotations at once. */
  colours: 2,
  /** Paragraph: every mention kind (user partial/full/bot, page, unshared page, database, dates, link preview/mention, template, custom emoji). */
  mentions: 3,
  /** Paragraph: external, relative-page, mailto and annotated links. */
  links: 4,
  /** Paragraph: Markdown/HTML-significant characters, spaces inside annotations, a soft line break. */
  markdownChars: 5,
  /** Paragraph with `rich_text: []`. */
  empty: 6,
  /** Paragraph of 4,600 characters (three rich text items). */
  longText: 7,
  /** Numbered list item starting at 5, roman numerals. */
  romanList: 8,
  /** Numbered list item, letters. */
  letterList: 9,
  /** Code of 4,500 characters (split into items of 2,000). */
  longCode: 10,
  alignedEquation: 11,
  calloutExternal: 12,
  calloutFile: 13,
  calloutCustomEmoji: 14,
  calloutNative: 15,
  calloutNoIcon: 16,
  /** Paragraph coloured with API_COLORS[v]. */
  colouredBlock: 17,
  /** Table with row and column headers, line breaks and empty cells. */
  wideTable: 18,
  /** Media: Notion-hosted / external / the 1 MiB hosted video / a hosted file with a hostile name. */
  hosted: 19,
  external: 20,
  large: 21,
  hostileName: 22,
  linkDatabase: 23,
  linkComment: 24,
  linkUnshared: 25,
  /** `child_database` of a linked database view (ref = linked index). */
  linkedDatabase: 26,
  meetingSummary: 27,
  meetingNotes: 28,
  meetingTranscript: 29,
  /** Paragraph that is a tab item (has an icon). */
  tabItem: 30,
  /** Heading coloured with API_COLORS[index]. */
  colouredHeading: 31,
} as const;
export type Variant = (typeof Variant)[keyof typeof Variant];

export interface BlockNode {
  type: NodeType;
  /** Index of the parent node, -1 for top-level blocks. */
  parent: number;
  children: number[];
  /** 32-bit variant driving the node's content. */
  v: number;
  /** child_page → page index; child_database → database (or linked view) index; link_to_page → page/database index; synced reference → original node. */
  ref: number;
  /** Synced reference whose original lives on another page: that page's index (-1: same page). */
  refPage: number;
  variant: Variant;
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
  'heading_4',
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
export const CODE_LANGUAGES = ['typescript', 'python', 'bash', 'json', 'sql', 'rust', 'plain text', 'mermaid', 'markdown', 'c++', 'shell', 'yaml'] as const;
type CodeLanguage = (typeof CODE_LANGUAGES)[number];
const CODE_SOURCES: Record<CodeLanguage, string> = {
  typescript: 'export function add(a: number, b: number): number {\n  return a + b;\n}',
  python: 'def greet(name):\n    return f"Hello, {name}!"',
  bash: 'set -euo pipefail\nnpm ci && npm test',
  json: '{\n  "name": "twin",\n  "pages": 50\n}',
  sql: 'SELECT id, title FROM pages WHERE archived = 0 ORDER BY title;',
  rust: 'fn main() {\n    println!("hello");\n}',
  'plain text': 'Plain text with `backticks` and *stars* that must stay literal.',
  mermaid: 'graph TD;\n  A-->B;\n  B-->C;',
  markdown: '# A heading\n\n```js\nconsole.log("a fenced block inside a code block");\n```\n\n~~~\ntildes too\n~~~',
  'c++': '#include <iostream>\nint main() { std::cout << "<b>&amp;</b>" << std::endl; }',
  shell: 'echo "$HOME" | tr a-z A-Z # comment with `ticks`',
  yaml: 'name: twin\nlist:\n  - "a: b"\n  - \'|\'\n',
};

interface NodeOptions {
  v?: number;
  ref?: number;
  refPage?: number;
  variant?: Variant;
}

class BodyBuilder {
  readonly nodes: BlockNode[] = [];
  readonly top: number[] = [];
  constructor(private readonly rng: Rng) {}

  add(type: NodeType, parent = -1, o: NodeOptions = {}): number {
    const idx = this.nodes.length;
    const v = o.v ?? Math.floor(this.rng.float() * 0x7fffffff);
    this.nodes.push({ type, parent, children: [], v, ref: o.ref ?? -1, refPage: o.refPage ?? -1, variant: o.variant ?? Variant.none });
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

/** Number of comments on a page (a third of the pages have one or two; deterministic). */
export function commentCount(ws: Workspace, page: PageSpec): number {
  const h = hashInts(ws.options.seed, page.index, 0xc033);
  return h % 3 === 0 ? 1 + ((h >>> 8) % 2) : 0;
}

function buildGallery(b: BodyBuilder, ws: Workspace, page: PageSpec): void {
  const V = Variant;
  // The original gallery (kept first, so its block ids stay put).
  b.add('heading_1');
  b.add('paragraph', -1, { variant: V.rich });
  b.add('heading_2');
  const ul = b.add('bulleted_list_item');
  b.add('bulleted_list_item', b.add('bulleted_list_item', ul));
  const ol = b.add('numbered_list_item');
  b.add('numbered_list_item', ol);
  b.add('numbered_list_item');
  b.add('to_do', -1, { v: 2 });
  b.add('to_do', -1, { v: 3 });
  const toggle = b.add('toggle');
  b.add('paragraph', toggle);
  b.add('code', toggle);
  b.add('paragraph', b.add('heading_3'));
  b.add('code');
  b.add('quote');
  b.add('paragraph', b.add('callout'));
  b.add('divider');
  b.add('equation');
  const table = b.add('table', -1, { v: 7 });
  for (let i = 0; i < 3; i++) b.add('table_row', table);
  b.add('image', -1, { v: 2 }); // external
  b.add('image', -1, { v: 3 }); // Notion-hosted file
  b.add('video', -1, { v: 2 });
  b.add('file', -1, { v: 3 });
  b.add('pdf', -1, { v: 2 });
  b.add('audio', -1, { v: 2 });
  b.add('bookmark');
  b.add('embed');
  b.add('link_preview');
  b.add('link_to_page', -1, { ref: ws.options.pages > 1 ? 1 : page.index });
  b.add('table_of_contents');
  b.add('breadcrumb');
  const columns = b.add('column_list');
  const left = b.add('column', columns);
  b.add('paragraph', left);
  b.add('image', left, { v: 2 });
  const right = b.add('column', columns);
  b.add('to_do', right);
  const original = b.add('synced_block');
  b.add('paragraph', original);
  b.add('to_do', original);
  b.add('synced_block', -1, { ref: original }); // reference to the original above
  b.add('unsupported');

  // Toggleable headings of every level (coloured), and a plain heading_4.
  for (const [k, type] of (['heading_1', 'heading_2', 'heading_3', 'heading_4'] as const).entries()) {
    const h = b.add(type, -1, { v: 11 + k, variant: V.colouredHeading });
    b.add('paragraph', h);
    if (type === 'heading_2') b.add('to_do', h, { v: 5 });
  }
  b.add('heading_4', -1, { v: 1 });
  // Rich text: colours, every mention kind, links, literal Markdown characters, empty and long paragraphs.
  for (const variant of [V.colours, V.mentions, V.links, V.markdownChars, V.empty, V.longText]) b.add('paragraph', -1, { variant });
  // Numbered lists with a start index and formats; checked, unchecked and nested to-dos.
  const roman = b.add('numbered_list_item', -1, { variant: V.romanList });
  b.add('numbered_list_item', roman, { variant: V.letterList });
  b.add('numbered_list_item', roman);
  b.add('numbered_list_item');
  const todo = b.add('to_do', -1, { v: 5 });
  b.add('to_do', todo, { v: 4 });
  // Code in every listed language (Markdown with fences inside), and one long code block.
  for (let i = 0; i < CODE_LANGUAGES.length; i++) b.add('code', -1, { v: i });
  b.add('code', -1, { v: 1, variant: V.longCode });
  b.add('equation', -1, { variant: V.alignedEquation });
  // Callouts with every icon kind.
  for (const variant of [V.calloutExternal, V.calloutFile, V.calloutCustomEmoji, V.calloutNative, V.calloutNoIcon]) b.add('paragraph', b.add('callout', -1, { variant }));
  // Every block colour.
  const colours = b.add('toggle', -1, { v: 0 });
  for (let i = 0; i < API_COLORS.length; i++) b.add('paragraph', colours, { v: i, variant: V.colouredBlock });
  const wide = b.add('table', -1, { v: 0, variant: V.wideTable });
  for (let i = 0; i < 4; i++) b.add('table_row', wide);
  // Media: each kind Notion-hosted and external, the 1 MiB video, a file with a hostile name.
  for (const type of ['image', 'video', 'audio', 'pdf', 'file'] as const) {
    b.add(type, -1, { v: 1, variant: V.hosted });
    b.add(type, -1, { v: 0, variant: V.external });
  }
  b.add('video', -1, { v: 1, variant: V.large });
  b.add('file', -1, { v: 1, variant: V.hostileName });
  b.add('bookmark', -1, { v: 1 });
  b.add('embed', -1, { v: 1 });
  // link_to_page: a database, a comment, an unshared page.
  if (ws.databases.length > 0) b.add('link_to_page', -1, { ref: 0, variant: V.linkDatabase });
  for (let i = 0; i < ws.options.pages; i++) {
    if (commentCount(ws, ws.pages[i]) > 0) {
      b.add('link_to_page', -1, { ref: i, variant: V.linkComment });
      break;
    }
  }
  if (ws.options.unsharedPages > 0) b.add('link_to_page', -1, { ref: ws.options.pages, variant: V.linkUnshared });
  // Legacy template button, tabs (tab items are paragraphs with icons), meeting notes.
  const template = b.add('template');
  b.add('to_do', template, { v: 4 });
  b.add('paragraph', template);
  const tab = b.add('tab');
  for (let k = 0; k < 2; k++) b.add('bulleted_list_item', b.add('paragraph', tab, { v: k, variant: V.tabItem }));
  const meeting = b.add('meeting_notes');
  for (const variant of [V.meetingSummary, V.meetingNotes, V.meetingTranscript]) b.add('bulleted_list_item', b.add('paragraph', meeting, { variant }));
  // A synced reference whose original lives on another page, and linked database views.
  if (ws.syncSourcePage >= 0) b.add('synced_block', -1, { ref: 0, refPage: ws.syncSourcePage });
  for (const link of ws.linked) if (link.parentPage === page.index) b.add('child_database', -1, { ref: link.index, variant: V.linkedDatabase });
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
    if (page.index === ws.syncSourcePage) {
      // The original of the gallery's cross-page synced reference: node 0 of this page.
      const original = b.add('synced_block', -1, { v: 0 });
      b.add('paragraph', original, { v: 7 });
      b.add('to_do', original, { v: 9 });
      b.add('image', original, { v: 1, variant: Variant.hosted });
    }
    const count = page.large ? ws.options.largePageBlocks : page.index === 0 ? 0 : ws.options.blocksPerPage;
    for (let i = 0; i < count; i++) b.addWithChildren(TOP_TYPES[rng.weighted(TOP_WEIGHTS)], -1, 0);
    // Child pages and databases sit among the content, at seeded positions, in creation order
    // (those in the trash or deleted are not listed).
    const entities: Array<{ type: 'child_page' | 'child_database'; ref: number }> = [
      ...page.childPages.filter((ref) => ws.listsChildPage(ws.pages[ref])).map((ref) => ({ type: 'child_page' as const, ref })),
      ...page.childDatabases.filter((ref) => ws.listsChildDatabase(ws.databases[ref])).map((ref) => ({ type: 'child_database' as const, ref })),
    ];
    let lastPos = 0;
    for (const e of entities) {
      const idx = b.add(e.type, -1, { v: 0, ref: e.ref });
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
  // An edit must change the text even of a page without text blocks: it gets a paragraph at the end.
  if (firstText < 0 && page.shared && ws.editState(page).count > 0) firstText = b.add('paragraph');
  return { nodes: b.nodes, top: b.top, firstText };
}

const bodyCaches = new WeakMap<Workspace, { version: number; bodies: Map<number, PageBody> }>();
const BODY_CACHE_SIZE = 256;

/** The block tree of a page (LRU-cached; a change to the workspace's shape empties the cache). */
export function pageBody(ws: Workspace, page: PageSpec): PageBody {
  let entry = bodyCaches.get(ws);
  if (!entry || entry.version !== ws.version) {
    entry = { version: ws.version, bodies: new Map() };
    bodyCaches.set(ws, entry);
  }
  const cache = entry.bodies;
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

/** The block tree of a page without touching the cache (for whole-workspace walks). */
export function uncachedPageBody(ws: Workspace, page: PageSpec): PageBody {
  return buildBody(ws, page);
}

/** True when a page has at least one block (what its `child_page` block reports as has_children). */
export function pageHasContent(ws: Workspace, page: PageSpec): boolean {
  return page.shared && pageBody(ws, page).top.length > 0;
}

export function nodeId(ws: Workspace, page: PageSpec, body: PageBody, idx: number): string {
  const node = body.nodes[idx];
  if (node.type === 'child_page') return ws.pages[node.ref].id;
  if (node.type === 'child_database') return node.variant === Variant.linkedDatabase ? ws.linked[node.ref].id : ws.databases[node.ref].id;
  return ws.codec.encode(IdKind.block, page.index, idx + 1);
}

/** Node index named by a block number, or -1 if the number names no plain block of this page. */
export function nodeForBlockNumber(body: PageBody, blockNumber: number): number {
  const idx = blockNumber - 1;
  const node = body.nodes[idx];
  if (!node || node.type === 'child_page' || node.type === 'child_database') return -1;
  return idx;
}

/** Children of a node as Notion lists them, with the page they live on. */
export interface ChildList {
  page: PageSpec;
  body: PageBody;
  items: number[];
}

/** Children of a node as Notion lists them: a synced reference lists its original's children (possibly on another page). */
export function childrenOf(ws: Workspace, page: PageSpec, body: PageBody, idx: number): ChildList {
  const node = body.nodes[idx];
  if (node.type === 'synced_block' && node.ref >= 0) {
    if (node.refPage >= 0 && node.refPage !== page.index) {
      const sourcePage = ws.pages[node.refPage];
      const sourceBody = pageBody(ws, sourcePage);
      return { page: sourcePage, body: sourceBody, items: sourceBody.nodes[node.ref]?.children ?? [] };
    }
    return { page, body, items: body.nodes[node.ref].children };
  }
  return { page, body, items: node.children };
}

// ---- media and icons (shared with allAttachments) --------------------------------------------------

export type MediaType = 'image' | 'video' | 'audio' | 'pdf' | 'file';

/** A media block's file: Notion-hosted (`name` under the block id) or external (`url`). */
export interface MediaSpec {
  type: MediaType;
  hosted: boolean;
  name: string;
  url: string;
}

const MEDIA_TYPES: ReadonlySet<NodeType> = new Set<NodeType>(['image', 'video', 'audio', 'pdf', 'file']);
const HOSTILE_FILE_NAME = 'Q3 report (final) #2? résumé – 日本.pdf';

function isMediaType(type: NodeType): type is MediaType {
  return MEDIA_TYPES.has(type);
}

/** The file of a media block (null for other blocks). */
export function nodeMedia(ws: Workspace, page: PageSpec, body: PageBody, idx: number): MediaSpec | null {
  const node = body.nodes[idx];
  const type = node.type;
  if (!isMediaType(type)) return null;
  const hosted = node.variant === Variant.external ? false : node.variant !== Variant.none ? true : node.v % 2 === 1;
  const n = idx + 1;
  const id = nodeId(ws, page, body, idx);
  if (hosted) {
    const names: Record<MediaType, string> = { image: `image-${n}.png`, video: `video-${n}.mp4`, audio: `audio-${n}.mp3`, pdf: `document-${n}.pdf`, file: `report-${n}.pdf` };
    const name = node.variant === Variant.large ? LARGE_FILE_NAME : node.variant === Variant.hostileName ? HOSTILE_FILE_NAME : names[type];
    return { type, hosted, name, url: '' };
  }
  const urls: Record<MediaType, string> = {
    image: `https://images.twin.example/${id.slice(0, 8)}/photo-${n}.jpg`,
    video: 'https://www.youtube.com/watch?v=dQw4w9WgXcQ',
    audio: 'https://files.twin.example/podcast.mp3',
    pdf: 'https://files.twin.example/whitepaper.pdf',
    file: `https://files.twin.example/exports/report-${n}.csv`,
  };
  const url = urls[type];
  return { type, hosted, name: decodeURIComponent(url.slice(url.lastIndexOf('/') + 1)), url };
}

/** The icon of a callout or tab item (undefined: the block has no icon field). */
export function nodeIcon(ws: Workspace, page: PageSpec, body: PageBody, idx: number): IconSpec | null | undefined {
  const node = body.nodes[idx];
  if (node.type === 'paragraph') {
    if (node.variant !== Variant.tabItem) return null;
    return node.v % 2 === 0 ? { type: 'emoji', emoji: EMOJIS[4] } : { type: 'icon', icon: { name: NATIVE_ICONS[1].name, color: NATIVE_ICONS[1].color } };
  }
  if (node.type !== 'callout') return undefined;
  const id = nodeId(ws, page, body, idx).replaceAll('-', '');
  switch (node.variant) {
    case Variant.calloutExternal:
      return { type: 'external', url: `https://images.twin.example/icons/callout-${id.slice(0, 12)}.png` };
    case Variant.calloutFile:
      return { type: 'file', name: 'callout-icon.png' };
    case Variant.calloutCustomEmoji:
      return ws.customEmojis.length > 0 ? { type: 'custom_emoji', index: 0 } : null;
    case Variant.calloutNative:
      return { type: 'icon', icon: { name: NATIVE_ICONS[0].name, color: NATIVE_ICONS[0].color } };
    case Variant.calloutNoIcon:
      return null;
    default:
      return { type: 'emoji', emoji: EMOJIS[node.v % EMOJIS.length] };
  }
}

// ---- rendering ---------------------------------------------------------------------------------

function user(ws: Workspace, index: number): PartialUserObjectResponse {
  return { object: 'user', id: ws.userId(index) };
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
      return { type: 'data_source_id', data_source_id: db.dataSources[page.parent.source].id, database_id: db.id };
    }
  }
}

function sentenceRich(ctx: RenderContext, page: PageSpec, idx: number, node: BlockNode): RichTextItemResponse[] {
  const ws = ctx.ws;
  const rng = new Rng(hashInts(ws.options.seed, page.index, idx, 0x7e47));
  const s = randomSentence(rng);
  const shape = node.variant === Variant.rich ? -1 : rng.int(0, 99);
  const mentionTarget = ws.options.pages > 0 ? ws.pages[rng.int(0, ws.options.pages - 1)] : null;
  const person = ws.users[rng.int(0, 5)];
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

/** Rich text of the gallery's special paragraphs (null: ordinary content). */
function variantRich(ctx: RenderContext, node: BlockNode): RichTextItemResponse[] | null {
  const ws = ctx.ws;
  switch (node.variant) {
    case Variant.colours: {
      const out: RichTextItemResponse[] = [text('Colours: ')];
      for (const color of API_COLORS) out.push(text(color, { color }), text(' '));
      out.push(text('all annotations at once', { bold: true, italic: true, strikethrough: true, underline: true, code: true, color: 'purple_background' }));
      out.push(text(' and a bold equation '), equation('\\sqrt{2}', { bold: true, color: 'green' }));
      return out;
    }
    case Variant.mentions: {
      const members = ws.users.slice(0, 6);
      const out: RichTextItemResponse[] = [text('Mentions: ')];
      if (members.length > 0) out.push(mentionUser(members[0].id, members[0].name), text(', '));
      if (members.length > 1) out.push(mentionUser(members[1].id, members[1].name, fullUser(members[1])), text(', '));
      const nameless = ws.users.find((u) => u.name === null);
      if (nameless) out.push(mentionUser(nameless.id, null), text(', '));
      out.push(mentionUser(ws.botUserId, ws.integrationName), text(', '));
      const target = ws.options.pages > 1 ? ws.pages[1] : ws.pages[0];
      out.push(mentionPage(target.id, target.title), text(', '));
      if (ws.options.unsharedPages > 0) out.push(mentionPage(ws.pages[ws.options.pages].id, ''), text(', '));
      const db = ws.databases[0];
      if (db) out.push(mentionDatabase(db.id, db.title), text(', '));
      out.push(
        mentionDate('2025-06-18'),
        text(', '),
        mentionDate('2025-06-18', '2025-06-20'),
        text(', '),
        mentionDate('2025-06-18T09:30:00.000+02:00'),
        text(', '),
        mentionDate('2025-06-18T09:30:00.000-07:00', '2025-06-18T11:00:00.000-07:00', 'America/Los_Angeles'),
        text(', '),
        mentionLinkPreview('https://github.com/makenotion/notion-sdk-js/pull/1'),
        text(', '),
        mentionLinkFull('https://github.com/makenotion/notion-sdk-js'),
        text(', '),
        mentionTemplateDate('today'),
        text(', '),
        mentionTemplateDate('now'),
        text(', '),
        mentionTemplateUser(),
      );
      if (ws.customEmojis.length > 0) out.push(text(', '), mentionCustomEmoji(customEmoji(ws, ctx.baseUrl, 0)));
      out.push(text(' and '), equation('\\alpha_{1} \\le \\beta^{2}'), text('.'));
      return out;
    }
    case Variant.links: {
      const target = ws.options.pages > 1 ? ws.pages[1] : ws.pages[0];
      const hex = target.id.replaceAll('-', '');
      return [
        text('Links: '),
        text('external with (parens) and spaces', { link: 'https://en.wikipedia.org/wiki/Markdown_(disambiguation)?q=a%20b#top' }),
        text(', '),
        text('a page in this workspace', { link: `/${hex}`, href: `https://www.notion.so/${hex}` }),
        text(', '),
        text('mail', { link: 'mailto:ada@twin.example?subject=Hi%20there' }),
        text(', '),
        text('bold italic link', { link: 'https://example.com/b', bold: true, italic: true }),
        text(', '),
        text('code link', { link: 'https://example.com/c', code: true }),
        text(' and a bare URL https://example.com/bare.'),
      ];
    }
    case Variant.markdownChars:
      return [
        text('*not bold* _not italic_ `not code` # not a heading | a | b | <b>not html</b> [not](a-link) \\ ~~not struck~~ 1. not a list $x$ &amp; '),
        text(' bold with spaces ', { bold: true }),
        text('line one\nline two', { italic: true }),
        text(' trailing '),
      ];
    case Variant.empty:
      return [];
    case Variant.longText: {
      const sentence = 'This paragraph is longer than one rich text item can be, so Notion splits it. ';
      return splitText(sentence.repeat(Math.ceil(4600 / sentence.length)).slice(0, 4600));
    }
    case Variant.meetingSummary:
      return [text('Summary', { bold: true })];
    case Variant.meetingNotes:
      return [text('Notes', { bold: true })];
    case Variant.meetingTranscript:
      return [text('Transcript', { bold: true })];
    case Variant.tabItem:
      return [text(node.v % 2 === 0 ? 'First tab' : 'Second tab')];
    case Variant.colouredBlock:
      return [text(`A ${API_COLORS[node.v % API_COLORS.length]} block`)];
    default:
      return null;
  }
}

function shortRich(ctx: RenderContext, page: PageSpec, idx: number): RichTextItemResponse[] {
  const rng = new Rng(hashInts(ctx.ws.options.seed, page.index, idx, 0x5407));
  const n = rng.int(2, 5);
  const words: string[] = [];
  for (let i = 0; i < n; i++) words.push(rng.pick(WORDS));
  return [text(capitalise(words.join(' ')))];
}

function codeText(node: BlockNode): { language: CodeLanguage; rich: RichTextItemResponse[] } {
  const language = CODE_LANGUAGES[node.v % CODE_LANGUAGES.length];
  if (node.variant === Variant.longCode) {
    const line = 'const value = compute(input); // a line of a long generated source file\n';
    return { language: 'typescript', rich: splitText(line.repeat(Math.ceil(4500 / line.length)).slice(0, 4500)) };
  }
  return { language, rich: [text(CODE_SOURCES[language])] };
}

function withEdit(ctx: RenderContext, page: PageSpec, body: PageBody, idx: number, rich: RichTextItemResponse[]): RichTextItemResponse[] {
  const synced = syncedEdit(ctx.ws, page, body, idx);
  if (synced) return [...rich, text(` (synced edit ${synced.count})`)];
  if (idx !== body.firstText) return rich;
  const { count } = ctx.ws.editState(page);
  return count > 0 ? [...rich, text(` (edited ${count})`)] : rich;
}

/** The edit of the synced block original whose first text child is node `idx`, if it was edited. */
function syncedEdit(ws: Workspace, page: PageSpec, body: PageBody, idx: number): { count: number; editedMs: number } | null {
  const parent = body.nodes[body.nodes[idx].parent];
  if (parent?.type !== 'synced_block' || parent.ref >= 0) return null;
  if (parent.children.find((c) => TEXT_TYPES.has(body.nodes[c].type)) !== idx) return null;
  return ws.syncedEditState(page, body.nodes[idx].parent);
}

function fileObject(ctx: RenderContext, ownerId: string, name: string): { url: string; expiry_time: string } {
  return signedFileUrl(ctx.baseUrl, ownerId, name, ctx.nowMs, ctx.fileTtlMs);
}

/** A page seen as a block (`child_page`), with the given parent. */
export function childPageBlock(ctx: RenderContext, page: PageSpec, parent: ParentForBlockBasedObjectResponse): ChildPageBlockObjectResponse {
  const ws = ctx.ws;
  const trashed = ws.pageAccess(page) === 'trashed';
  return {
    object: 'block',
    id: page.id,
    parent,
    created_time: minuteIso(page.createdMs),
    last_edited_time: minuteIso(ws.editState(page).editedMs),
    created_by: user(ws, page.createdBy),
    last_edited_by: user(ws, page.editedBy),
    has_children: pageHasContent(ws, page),
    in_trash: trashed,
    type: 'child_page',
    child_page: { title: page.title },
    archived: trashed,
  };
}

/** A database seen as a block (`child_database`). */
export function childDatabaseBlock(ctx: RenderContext, db: DatabaseSpec): ChildDatabaseBlockObjectResponse {
  const ws = ctx.ws;
  const trashed = ws.databaseAccess(db) === 'trashed';
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
    in_trash: trashed,
    type: 'child_database',
    child_database: { title: db.title },
    archived: trashed,
  };
}

/** A linked database view seen as a block: a `child_database` whose database the API refuses. */
export function linkedDatabaseBlock(ctx: RenderContext, link: LinkedDatabaseSpec): ChildDatabaseBlockObjectResponse {
  const ws = ctx.ws;
  const page = ws.pages[link.parentPage];
  return {
    object: 'block',
    id: link.id,
    parent: { type: 'page_id', page_id: page.id },
    created_time: minuteIso(page.createdMs),
    last_edited_time: minuteIso(page.createdMs),
    created_by: user(ws, page.createdBy),
    last_edited_by: user(ws, page.createdBy),
    has_children: false,
    in_trash: false,
    type: 'child_database',
    child_database: { title: link.title },
    archived: false,
  };
}

function blockIcon(ctx: RenderContext, spec: IconSpec | null | undefined, ownerId: string): PageIconResponse | null {
  return spec ? renderIcon(ctx, spec, ownerId) : null;
}

/** Renders node `idx` of `page`'s body as Notion's block object. */
export function renderBlock(ctx: RenderContext, page: PageSpec, body: PageBody, idx: number): BlockObjectResponse {
  const ws = ctx.ws;
  const node = body.nodes[idx];
  const parent: ParentForBlockBasedObjectResponse =
    node.parent < 0 ? { type: 'page_id', page_id: page.id } : { type: 'block_id', block_id: nodeId(ws, page, body, node.parent) };
  if (node.type === 'child_page') return childPageBlock(ctx, ws.pages[node.ref], parent);
  if (node.type === 'child_database') {
    return node.variant === Variant.linkedDatabase ? linkedDatabaseBlock(ctx, ws.linked[node.ref]) : childDatabaseBlock(ctx, ws.databases[node.ref]);
  }

  const id = nodeId(ws, page, body, idx);
  const edit = ws.editState(page);
  const synced = syncedEdit(ws, page, body, idx);
  const editedMs = synced
    ? synced.editedMs
    : idx === body.firstText && edit.count > 0
      ? edit.editedMs
      : page.createdMs + (node.v % 1000) * ((page.editedMs - page.createdMs) / 1000);
  const common = {
    object: 'block' as const,
    id,
    parent,
    created_time: minuteIso(page.createdMs),
    last_edited_time: minuteIso(editedMs),
    created_by: user(ws, page.createdBy),
    last_edited_by: user(ws, page.editedBy),
    has_children: childrenOf(ws, page, body, idx).items.length > 0,
    in_trash: false,
  };
  const archived = false;
  const color = node.variant === Variant.colouredBlock ? API_COLORS[node.v % API_COLORS.length] : node.v % 11 === 0 ? ('blue_background' as const) : ('default' as const);
  const headingColor = node.variant === Variant.colouredHeading ? API_COLORS[node.v % API_COLORS.length] : ('default' as const);
  const rich = () => withEdit(ctx, page, body, idx, variantRich(ctx, node) ?? sentenceRich(ctx, page, idx, node));
  const short = () => withEdit(ctx, page, body, idx, variantRich(ctx, node) ?? shortRich(ctx, page, idx));
  const caption = (): RichTextItemResponse[] => (node.v % 2 === 0 ? [] : [text(`Caption ${idx + 1}`)]);
  const heading = () => ({ rich_text: short(), is_toggleable: node.children.length > 0, color: headingColor });

  const media = nodeMedia(ws, page, body, idx);
  if (media) {
    const source = media.hosted
      ? { type: 'file' as const, file: fileObject(ctx, id, media.name), caption: caption() }
      : { type: 'external' as const, external: { url: media.url }, caption: caption() };
    switch (media.type) {
      case 'image':
        return { ...common, type: 'image', image: source, archived };
      case 'video':
        return { ...common, type: 'video', video: source, archived };
      case 'audio':
        return { ...common, type: 'audio', audio: source, archived };
      case 'pdf':
        return { ...common, type: 'pdf', pdf: source, archived };
      case 'file':
        return { ...common, type: 'file', file: { ...source, name: media.name }, archived };
    }
  }

  switch (node.type) {
    case 'paragraph':
      return { ...common, type: 'paragraph', paragraph: { rich_text: rich(), icon: blockIcon(ctx, nodeIcon(ws, page, body, idx), id), color }, archived };
    case 'heading_1':
      return { ...common, type: 'heading_1', heading_1: heading(), archived };
    case 'heading_2':
      return { ...common, type: 'heading_2', heading_2: heading(), archived };
    case 'heading_3':
      return { ...common, type: 'heading_3', heading_3: heading(), archived };
    case 'heading_4':
      return { ...common, type: 'heading_4', heading_4: heading(), archived };
    case 'bulleted_list_item':
      return { ...common, type: 'bulleted_list_item', bulleted_list_item: { rich_text: short(), color }, archived };
    case 'numbered_list_item': {
      const list =
        node.variant === Variant.romanList
          ? { list_start_index: 5, list_format: 'roman' as const }
          : node.variant === Variant.letterList
            ? { list_format: 'letters' as const }
            : {};
      return { ...common, type: 'numbered_list_item', numbered_list_item: { rich_text: short(), color, ...list }, archived };
    }
    case 'to_do':
      return { ...common, type: 'to_do', to_do: { rich_text: short(), checked: node.v % 2 === 1, color: 'default' }, archived };
    case 'toggle':
      return { ...common, type: 'toggle', toggle: { rich_text: short(), color: 'default' }, archived };
    case 'template':
      return { ...common, type: 'template', template: { rich_text: [text('New task '), mentionTemplateDate('today')] }, archived };
    case 'quote':
      return { ...common, type: 'quote', quote: { rich_text: rich(), color: 'default' }, archived };
    case 'callout': {
      const calloutColor = node.variant === Variant.none ? ('gray_background' as const) : API_COLORS[(node.variant * 3) % API_COLORS.length];
      return { ...common, type: 'callout', callout: { rich_text: rich(), icon: blockIcon(ctx, nodeIcon(ws, page, body, idx), id), color: calloutColor }, archived };
    }
    case 'code': {
      const { language, rich: source } = codeText(node);
      return { ...common, type: 'code', code: { caption: caption(), rich_text: source, language }, archived };
    }
    case 'divider':
      return { ...common, type: 'divider', divider: {}, archived };
    case 'equation': {
      const expression = node.variant === Variant.alignedEquation ? '\\begin{aligned} a &= b + c \\\\ d &= \\frac{e}{f} \\end{aligned}' : `\\int_0^${(node.v % 9) + 1} x^2\\,dx`;
      return { ...common, type: 'equation', equation: { expression }, archived };
    }
    case 'table': {
      const table = node.variant === Variant.wideTable ? { table_width: 3, has_column_header: true, has_row_header: true } : { table_width: 2 + (node.v % 2), has_column_header: (node.v & 4) !== 0, has_row_header: (node.v & 8) !== 0 };
      return { ...common, type: 'table', table, archived };
    }
    case 'table_row': {
      const table = body.nodes[node.parent];
      const row = table.children.indexOf(idx);
      if (table.variant === Variant.wideTable) {
        const rows: RichTextItemResponse[][][] = [
          [[text('')], [text('Plan', { bold: true })], [text('Notes | pipes', { bold: true })]],
          [[text('Monday')], [text('line one\nline two')], []],
          [[text('Tuesday')], [text('`ticks`', { code: true })], [text('link', { link: 'https://example.com/t' }), text(' & more')]],
          [[text('Wednesday')], [], [mentionDate('2025-06-18')]],
        ];
        return { ...common, type: 'table_row', table_row: { cells: rows[row] ?? [[], [], []] }, archived };
      }
      const width = 2 + (table.v % 2);
      const cells: RichTextItemResponse[][] = [];
      for (let c = 0; c < width; c++) cells.push(row === 0 && (table.v & 4) !== 0 ? [text(`Column ${c + 1}`, { bold: true })] : c === 1 && row === 2 ? [] : [text(`R${row + 1}C${c + 1}${c === 0 ? ' | pipe' : ''}`)]);
      return { ...common, type: 'table_row', table_row: { cells }, archived };
    }
    case 'tab':
      return { ...common, type: 'tab', tab: {}, archived };
    case 'bookmark':
      return { ...common, type: 'bookmark', bookmark: { url: `https://example.com/articles/${node.v % 1000}`, caption: caption() }, archived };
    case 'embed':
      return { ...common, type: 'embed', embed: { url: 'https://codepen.io/team/codepen/pen/PNaGbb', caption: caption() }, archived };
    case 'link_preview':
      return { ...common, type: 'link_preview', link_preview: { url: 'https://github.com/makenotion/notion-sdk-js/pull/1' }, archived };
    case 'column_list':
      return { ...common, type: 'column_list', column_list: {}, archived };
    case 'column': {
      const siblings = body.nodes[node.parent].children.length;
      return { ...common, type: 'column', column: siblings === 2 ? { width_ratio: 0.5 } : {}, archived };
    }
    case 'synced_block': {
      let syncedFrom: { type: 'block_id'; block_id: string } | null = null;
      if (node.ref >= 0) {
        const sourceId = node.refPage >= 0 && node.refPage !== page.index ? ws.codec.encode(IdKind.block, node.refPage, node.ref + 1) : nodeId(ws, page, body, node.ref);
        syncedFrom = { type: 'block_id', block_id: sourceId };
      }
      return { ...common, type: 'synced_block', synced_block: { synced_from: syncedFrom }, archived };
    }
    case 'link_to_page':
      if (node.variant === Variant.linkDatabase) return { ...common, type: 'link_to_page', link_to_page: { type: 'database_id', database_id: ws.databases[node.ref].id }, archived };
      if (node.variant === Variant.linkComment) {
        return { ...common, type: 'link_to_page', link_to_page: { type: 'comment_id', comment_id: ws.codec.encode(IdKind.comment, node.ref, 1) }, archived };
      }
      return { ...common, type: 'link_to_page', link_to_page: { type: 'page_id', page_id: ws.pages[node.ref].id }, archived };
    case 'table_of_contents':
      return { ...common, type: 'table_of_contents', table_of_contents: { color: 'default' }, archived };
    case 'breadcrumb':
      return { ...common, type: 'breadcrumb', breadcrumb: {}, archived };
    case 'meeting_notes': {
      const start = minuteIso(page.createdMs + 24 * 3_600_000);
      const end = minuteIso(page.createdMs + 24 * 3_600_000 + 45 * 60_000);
      const [summary, notes, transcript] = node.children.map((c) => nodeId(ws, page, body, c));
      const payload = {
        title: [text('Weekly sync')],
        status: 'notes_ready' as const,
        children: { summary_block_id: summary, notes_block_id: notes, transcript_block_id: transcript },
        calendar_event: { start_time: start, end_time: end, attendees: ws.users.slice(0, 3).map((u) => u.id) },
        recording: { start_time: start, end_time: end },
      };
      // Renamed `meeting_notes` in Notion-Version 2026-03-11; `transcription` before.
      return ctx.notionVersion >= '2026-03-11'
        ? { ...common, type: 'meeting_notes', meeting_notes: payload, archived }
        : { ...common, type: 'transcription', transcription: payload, archived };
    }
    case 'unsupported':
      return { ...common, type: 'unsupported', unsupported: { block_type: 'form' }, archived };
    case 'image':
    case 'video':
    case 'audio':
    case 'pdf':
    case 'file':
      throw new Error(`twin: ${node.type} is rendered above`);
  }
}

