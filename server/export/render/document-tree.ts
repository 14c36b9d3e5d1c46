import type {
  DataSourceObjectResponse,
  PageObjectResponse,
  RichTextItemResponse,
} from '@notionhq/client/build/src/api-endpoints';
import type { Properties } from 'hast';
import type {
  BlockContent,
  Blockquote,
  Heading,
  List,
  ListItem,
  Paragraph,
  PhrasingContent,
  Root,
  RootContent,
  TableRow,
} from 'mdast';
import type {} from 'mdast-util-frontmatter';
import type {} from 'mdast-util-math';
import YAML from 'yaml';
import type { BlockNode } from './block-node';
import type { DocumentContext, Icon, MediaKind, } from './document-nodes';
import { formatInstant } from './notion-date';
import { type PlainValue, propertyPlainValue } from './property-format';
import { colorClass, plainText, richTextToPhrasing } from './rich-text';

export type { Callout, Container, DocumentContext, Icon, Media, MediaKind, Styled, Toggle } from './document-nodes';

// ---------------------------------------------------------------------------------------------
// Page-level parts

const RESERVED_KEYS = ['notion_id', 'url', 'created_time', 'last_edited_time'];

/** The page's title (text of its title property), or "Untitled". */
export function pageTitleOf(page: PageObjectResponse): string {
  for (const value of Object.values(page.properties)) {
    if (value.type === 'title') return plainText(value.title).trim() || 'Untitled';
  }
  return 'Untitled';
}

/** Property names in display order: the title first, then the data source schema's order, then the rest. */
export function orderedPropertyNames(page: PageObjectResponse, dataSource?: DataSourceObjectResponse): string[] {
  const names = Object.keys(page.properties);
  const schemaOrder = dataSource ? Object.keys(dataSource.properties) : [];
  const rank = (name: string) => {
    if (page.properties[name].type === 'title') return -1;
    const index = schemaOrder.indexOf(name);
    return index === -1 ? schemaOrder.length : index;
  };
  return names
    .map((name, index) => ({ name, index, rank: rank(name) }))
    .sort((a, b) => a.rank - b.rank || a.index - b.index)
    .map((entry) => entry.name);
}

/** YAML front matter: id, url, times, then every property with a value as a plain value. */
export function frontMatterYaml(page: PageObjectResponse, ctx: DocumentContext = {}): string {
  const data: Record<string, PlainValue> = {
    notion_id: page.id,
    url: page.url,
    created_time: page.created_time,
    last_edited_time: page.last_edited_time,
  };
  for (const name of orderedPropertyNames(page, ctx.dataSource)) {
    const plainValue = propertyPlainValue(page.properties[name], ctx);
    if (plainValue === undefined) continue;
    const key = RESERVED_KEYS.includes(name) ? `${name} (property)` : name;
    data[key] = plainValue;
  }
  return new YAML.Document(data).toString({ lineWidth: 0 }).trimEnd();
}

/** The page icon as an icon node (native Notion icons have no picture outside Notion). */
export function iconNode(icon: PageObjectResponse['icon'], ctx: DocumentContext, blockId?: string): Icon | undefined {
  if (!icon) return undefined;
  switch (icon.type) {
    case 'emoji':
      return { type: 'icon', kind: 'emoji', value: icon.emoji };
    case 'custom_emoji': {
      const { name, url } = icon.custom_emoji;
      return { type: 'icon', kind: 'custom_emoji', value: name, url: ctx.linkForFile?.({ blockId, url, name }) ?? url };
    }
    case 'file':
    case 'external': {
      const url = icon.type === 'file' ? icon.file.url : icon.external.url;
      return { type: 'icon', kind: 'image', value: 'icon', url: ctx.linkForFile?.({ blockId, url }) ?? url };
    }
    case 'icon':
      return undefined;
    default: {
      const _exhaustive: never = icon;
      return undefined;
    }
  }
}

// ---------------------------------------------------------------------------------------------
// Heading anchors and the table of contents

/** GitHub-style anchor: lower case, punctuation dropped, blanks → '-', repeats numbered. */
export function createSlugger(): (text: string) => string {
  const seen = new Map<string, number>();
  return (text) => {
    const base =
      text
        .toLowerCase()
        .trim()
        .replace(/[^\p{L}\p{M}\p{N}\p{Pc} -]/gu, '')
        .replace(/ /g, '-') || 'section';
    const count = seen.get(base);
    seen.set(base, (count ?? 0) + 1);
    return count === undefined ? base : `${base}-${count}`;
  };
}

type HeadingBlock = Extract<BlockNode, { type: 'heading_1' | 'heading_2' | 'heading_3' | 'heading_4' }>;

const isHeading = (block: BlockNode): block is HeadingBlock =>
  block.type === 'heading_1' || block.type === 'heading_2' || block.type === 'heading_3' || block.type === 'heading_4';

const headingContent = (block: HeadingBlock) => {
  switch (block.type) {
    case 'heading_1':
      return block.heading_1;
    case 'heading_2':
      return block.heading_2;
    case 'heading_3':
      return block.heading_3;
    default:
      return block.heading_4;
  }
};

interface TocEntry {
  level: number;
  text: string;
  slug: string;
}

/** Every heading of the page in reading order (nested ones too), each with its anchor. */
function collectHeadings(blocks: readonly BlockNode[] | undefined, slug: (text: string) => string, out: Map<string, TocEntry>) {
  for (const block of blocks ?? []) {
    if (isHeading(block)) {
      const text = plainText(headingContent(block).rich_text).replace(/\s+/g, ' ').trim();
      if (text) out.set(block.id, { level: Number(block.type.slice(-1)), text, slug: slug(text) });
    }
    collectHeadings(block.children, slug, out);
  }
  return out;
}

/** The headings as a nested list of `#anchor` links; a heading nests under the nearest higher one before it. */
function tableOfContents(entries: TocEntry[]): BlockContent[] {
  if (entries.length === 0) return [];
  const root: List = { type: 'list', ordered: false, spread: false, children: [], data: { hProperties: { className: ['toc'] } } };
  const stack: { level: number; list: List }[] = [{ level: 0, list: root }];
  for (const entry of entries) {
    while (stack.length > 1 && stack[stack.length - 1].level >= entry.level) stack.pop();
    const nested: List = { type: 'list', ordered: false, spread: false, children: [] };
    const link: PhrasingContent = { type: 'link', url: `#${entry.slug}`, children: [{ type: 'text', value: entry.text }] };
    stack[stack.length - 1].list.children.push({ type: 'listItem', spread: false, children: [{ type: 'paragraph', children: [link] }, nested] });
    stack.push({ level: entry.level, list: nested });
  }
  return [pruneEmptyLists(root)];
}

function pruneEmptyLists(list: List): List {
  for (const item of list.children) {
    item.children = item.children.filter((child) => child.type !== 'list' || child.children.length > 0);
    for (const child of item.children) if (child.type === 'list') pruneEmptyLists(child);
  }
  return list;
}

// ---------------------------------------------------------------------------------------------
// Blocks → document tree

interface BuildContext {
  doc: DocumentContext;
  headings: Map<string, TocEntry>;
  toc: TocEntry[];
}

const INLINE = { breaks: false };
const FLOW = { breaks: true };

const classes = (...names: (string | undefined)[]): string[] => names.filter((name): name is string => Boolean(name));

function withClasses<T extends { data?: { hProperties?: Record<string, unknown> } }>(node: T, names: string[]): T {
  if (names.length === 0) return node;
  node.data = { ...node.data, hProperties: { ...node.data?.hProperties, className: names } };
  return node;
}

const paragraphOf = (children: PhrasingContent[], className: string[] = []): BlockContent[] =>
  children.length > 0 ? [withClasses<Paragraph>({ type: 'paragraph', children }, className)] : [];

const placeholder = (text: string): Paragraph =>
  withClasses<Paragraph>({ type: 'paragraph', children: [{ type: 'text', value: text }] }, ['unsupported']);

/** Children of a block that is not a container by nature (paragraph, quote …): indented in HTML. */
function indented(block: BlockNode, ctx: BuildContext): BlockContent[] {
  const content = flow(block.children, ctx);
  return content.length > 0 ? [{ type: 'container', tag: 'div', className: ['indent'], children: content }] : [];
}

type ListKind = 'bulleted' | 'numbered' | 'todo';

function listKindOf(block: BlockNode): ListKind | undefined {
  if (block.type === 'bulleted_list_item') return 'bulleted';
  if (block.type === 'numbered_list_item') return 'numbered';
  if (block.type === 'to_do') return 'todo';
  return undefined;
}

type ListBlock = Extract<BlockNode, { type: 'bulleted_list_item' | 'numbered_list_item' | 'to_do' }>;

function listItem(block: ListBlock, ctx: BuildContext): ListItem {
  const content =
    block.type === 'bulleted_list_item'
      ? block.bulleted_list_item
      : block.type === 'numbered_list_item'
        ? block.numbered_list_item
        : block.to_do;
  const item: ListItem = {
    type: 'listItem',
    spread: false,
    children: [...paragraphOf(richTextToPhrasing(content.rich_text, ctx.doc, FLOW)), ...flow(block.children, ctx)],
  };
  if (block.type === 'to_do') item.checked = block.to_do.checked;
  return withClasses(item, classes(colorClass(content.color)));
}

const LIST_FORMAT_TYPE: Record<string, string> = { letters: 'a', roman: 'i' };

function list(kind: ListKind, items: ListBlock[], ctx: BuildContext): List {
  const node: List = { type: 'list', ordered: kind === 'numbered', spread: false, children: items.map((item) => listItem(item, ctx)) };
  const first = items[0];
  if (first.type === 'numbered_list_item') {
    node.start = first.numbered_list_item.list_start_index ?? 1;
    const type = LIST_FORMAT_TYPE[first.numbered_list_item.list_format ?? ''];
    if (type) node.data = { hProperties: { type } };
  }
  return node;
}

type MediaBlock = Extract<BlockNode, { type: MediaKind }>;

function fileNameFromUrl(url: string): string | undefined {
  try {
    const last = new URL(url).pathname.split('/').filter(Boolean).at(-1);
    return last ? decodeURIComponent(last) : undefined;
  } catch {
    return undefined;
  }
}

function mediaSource(block: MediaBlock): { url: string; name?: string; caption: RichTextItemResponse[]; hosted: boolean } {
  switch (block.type) {
    case 'bookmark':
      return { url: block.bookmark.url, caption: block.bookmark.caption, hosted: false };
    case 'embed':
      return { url: block.embed.url, caption: block.embed.caption, hosted: false };
    case 'link_preview':
      return { url: block.link_preview.url, caption: [], hosted: false };
    case 'file': {
      const file = block.file;
      const url = file.type === 'external' ? file.external.url : file.file.url;
      return { url, name: file.name || undefined, caption: file.caption, hosted: true };
    }
    default: {
      const media =
        block.type === 'image' ? block.image : block.type === 'video' ? block.video : block.type === 'pdf' ? block.pdf : block.audio;
      const url = media.type === 'external' ? media.external.url : media.file.url;
      return { url, caption: media.caption, hosted: true };
    }
  }
}

function mediaBlock(block: MediaBlock, ctx: BuildContext): BlockContent[] {
  const source = mediaSource(block);
  const local = source.hosted ? ctx.doc.linkForFile?.({ blockId: block.id, url: source.url, name: source.name }) : undefined;
  const label = source.name || (source.hosted ? fileNameFromUrl(source.url) : undefined) || source.url;
  return [
    {
      type: 'media',
      kind: block.type,
      url: local ?? source.url,
      local: local !== undefined,
      label,
      children: richTextToPhrasing(source.caption, ctx.doc, INLINE),
    },
  ];
}

function pageLink(id: string, title: string, kind: 'page' | 'database', ctx: BuildContext): BlockContent[] {
  const url = ctx.doc.linkForPage?.(id);
  const text: PhrasingContent = { type: 'text', value: title || 'Untitled' };
  return paragraphOf([url ? { type: 'link', url, children: [text] } : text], ['page-link', kind]);
}

type TableRowBlock = Extract<BlockNode, { type: 'table_row' }>;

/** A GFM table. Markdown always shows the first row as the header row; HTML follows Notion's flags. */
function table(rows: TableRowBlock[], minWidth: number, flags: { hasColumnHeader: boolean; hasRowHeader: boolean }, ctx: BuildContext): BlockContent[] {
  if (rows.length === 0) return [];
  const width = Math.max(minWidth, ...rows.map((row) => row.table_row.cells.length));
  const children: TableRow[] = rows.map((row) => ({
    type: 'tableRow',
    children: Array.from({ length: width }, (_, i) => ({ type: 'tableCell', children: richTextToPhrasing(row.table_row.cells[i], ctx.doc, INLINE) })),
  }));
  return [{ type: 'table', align: Array.from({ length: width }, () => null), children, data: flags }];
}

function codeLanguage(language: string | undefined): string | undefined {
  if (!language || language === 'plain text') return undefined;
  return language.replace(/\s+/g, '-');
}

function headingBlock(block: HeadingBlock, ctx: BuildContext): BlockContent[] {
  const content = headingContent(block);
  // The page title is the only H1, so Notion's heading_1…4 become H2…H5.
  const depth = (Number(block.type.slice(-1)) + 1) as 2 | 3 | 4 | 5;
  const text = richTextToPhrasing(content.rich_text, ctx.doc, INLINE);
  const slug = ctx.headings.get(block.id)?.slug;
  const heading: Heading = { type: 'heading', depth, children: text };
  const hProperties: Properties = {};
  if (slug) hProperties.id = slug;
  const color = colorClass(content.color);
  if (color) hProperties.className = [color];
  if (Object.keys(hProperties).length > 0) heading.data = { hProperties };
  const body = flow(block.children, ctx);
  if (content.is_toggleable) return [{ type: 'toggle', children: [heading, ...body] }];
  return [...(text.length > 0 ? [heading] : []), ...body];
}

function meetingNotes(block: Extract<BlockNode, { type: 'meeting_notes' | 'transcription' }>, ctx: BuildContext): BlockContent[] {
  const notes = block.type === 'meeting_notes' ? block.meeting_notes : block.transcription;
  const title = richTextToPhrasing(notes.title, ctx.doc, INLINE);
  const event = notes.calendar_event ?? notes.recording;
  const when =
    event?.start_time && event.end_time
      ? `${formatInstant(event.start_time)} → ${formatInstant(event.end_time)}`
      : event?.start_time
        ? formatInstant(event.start_time)
        : undefined;
  const children: BlockContent[] = [
    ...paragraphOf(title.length > 0 ? [{ type: 'strong', children: title }] : [{ type: 'strong', children: [{ type: 'text', value: 'Meeting notes' }] }]),
    ...paragraphOf(when ? [{ type: 'text', value: when }] : [], ['meeting-time']),
    ...flow(block.children, ctx),
  ];
  return [{ type: 'container', tag: 'section', className: ['meeting-notes'], children }];
}

/** One block as document nodes. The switch is exhaustive over the SDK's block union. */
function blockToFlow(block: BlockNode, ctx: BuildContext): BlockContent[] {
  const doc = ctx.doc;
  switch (block.type) {
    case 'paragraph':
      return [
        ...paragraphOf(richTextToPhrasing(block.paragraph.rich_text, doc, FLOW), classes(colorClass(block.paragraph.color))),
        ...indented(block, ctx),
      ];
    case 'heading_1':
    case 'heading_2':
    case 'heading_3':
    case 'heading_4':
      return headingBlock(block, ctx);
    case 'bulleted_list_item':
    case 'numbered_list_item':
    case 'to_do':
      return [list(listKindOf(block) ?? 'bulleted', [block], ctx)];
    case 'toggle':
      return [
        {
          type: 'toggle',
          className: classes(colorClass(block.toggle.color)),
          children: [{ type: 'paragraph', children: richTextToPhrasing(block.toggle.rich_text, doc, FLOW) }, ...flow(block.children, ctx)],
        },
      ];
    case 'quote':
      return [
        withClasses<Blockquote>(
          {
            type: 'blockquote',
            children: [...paragraphOf(richTextToPhrasing(block.quote.rich_text, doc, FLOW)), ...flow(block.children, ctx)],
          },
          classes(colorClass(block.quote.color)),
        ),
      ];
    case 'callout': {
      const icon = iconNode(block.callout.icon, doc, block.id);
      const text = richTextToPhrasing(block.callout.rich_text, doc, FLOW);
      return [
        {
          type: 'callout',
          icon,
          className: classes('callout', colorClass(block.callout.color)),
          children: [...paragraphOf(text), ...flow(block.children, ctx)],
        },
      ];
    }
    case 'code': {
      const caption = richTextToPhrasing(block.code.caption, doc, FLOW);
      return [{ type: 'code', lang: codeLanguage(block.code.language), value: plainText(block.code.rich_text) }, ...paragraphOf(caption, ['caption'])];
    }
    case 'equation':
      return [{ type: 'math', value: block.equation.expression }];
    case 'divider':
      return [{ type: 'thematicBreak' }];
    case 'table': {
      const rows = (block.children ?? []).filter((row): row is TableRowBlock => row.type === 'table_row');
      const flags = { hasColumnHeader: block.table.has_column_header, hasRowHeader: block.table.has_row_header };
      return table(rows, block.table.table_width, flags, ctx);
    }
    case 'table_row': // only outside a table, which the API does not produce
      return table([block], 0, { hasColumnHeader: false, hasRowHeader: false }, ctx);
    case 'column_list':
      return [{ type: 'container', tag: 'div', className: ['columns'], children: flow(block.children, ctx) }];
    case 'column':
      return [{ type: 'container', tag: 'div', className: ['column'], children: flow(block.children, ctx) }];
    case 'tab':
      return [{ type: 'container', tag: 'div', className: ['tabs'], children: flow(block.children, ctx) }];
    case 'synced_block':
      // Original: its own children. Reference: the exporter passes the original's children as its children.
      return flow(block.children, ctx);
    case 'template':
      return [...paragraphOf(richTextToPhrasing(block.template.rich_text, doc, FLOW), ['template']), ...indented(block, ctx)];
    case 'image':
    case 'video':
    case 'pdf':
    case 'audio':
    case 'file':
    case 'bookmark':
    case 'embed':
    case 'link_preview':
      return mediaBlock(block, ctx);
    case 'child_page':
      return pageLink(block.id, block.child_page.title, 'page', ctx);
    case 'child_database':
      return pageLink(block.id, block.child_database.title, 'database', ctx);
    case 'link_to_page': {
      const target = block.link_to_page;
      if (target.type === 'comment_id') return [];
      const id = target.type === 'page_id' ? target.page_id : target.database_id;
      return pageLink(id, doc.titleForPage?.(id) ?? id, target.type === 'page_id' ? 'page' : 'database', ctx);
    }
    case 'table_of_contents':
      return tableOfContents(ctx.toc);
    case 'breadcrumb':
      // The path of parent pages is the export's folder structure; nothing to show inside the page.
      return [];
    case 'meeting_notes':
    case 'transcription':
      return meetingNotes(block, ctx);
    case 'unsupported':
      return [placeholder(`[Unsupported block: ${block.unsupported.block_type}]`), ...flow(block.children, ctx)];
    default: {
      const _exhaustive: never = block;
      // A block type newer than the SDK.
      return [placeholder(`[Unsupported block: ${(block as { type: string }).type}]`)];
    }
  }
}

/** Blocks in order; consecutive list items of one kind share one list. */
function flow(blocks: readonly BlockNode[] | undefined, ctx: BuildContext): BlockContent[] {
  const out: BlockContent[] = [];
  const items = blocks ?? [];
  for (let i = 0; i < items.length; ) {
    const kind = listKindOf(items[i]);
    if (!kind) {
      out.push(...blockToFlow(items[i], ctx));
      i += 1;
      continue;
    }
    let j = i + 1;
    while (j < items.length && listKindOf(items[j]) === kind) j += 1;
    out.push(list(kind, items.slice(i, j) as ListBlock[], ctx));
    i = j;
  }
  return out;
}

/** The blocks of a page as document nodes (no title, no front matter). */
export function blocksToMdast(blocks: readonly BlockNode[], ctx: DocumentContext = {}): Root {
  const headings = collectHeadings(blocks, createSlugger(), new Map());
  return { type: 'root', children: flow(blocks, { doc: ctx, headings, toc: [...headings.values()] }) };
}

/** The title heading of a page (H1). */
export function titleHeading(page: PageObjectResponse): Heading {
  return { type: 'heading', depth: 1, children: [{ type: 'text', value: pageTitleOf(page) }] };
}

/**
 * The document tree of a page: YAML front matter (id, url, times, properties), the title as H1,
 * then the blocks. Shared by the Markdown and the HTML writer.
 */
export function pageToMdast(page: PageObjectResponse, blocks: readonly BlockNode[], ctx: DocumentContext = {}): Root {
  const children: RootContent[] = [
    { type: 'yaml', value: frontMatterYaml(page, ctx) },
    titleHeading(page),
    ...blocksToMdast(blocks, ctx).children,
  ];
  return { type: 'root', children };
}
