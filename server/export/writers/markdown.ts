import type {
  BlockObjectResponse,
  PageObjectResponse,
  RichTextItemResponse,
} from '@notionhq/client/build/src/api-endpoints';
import type { BlockContent, List, ListItem, PhrasingContent, Root, RootContent, TableRow } from 'mdast';
import { frontmatterToMarkdown } from 'mdast-util-frontmatter';
import { gfmToMarkdown } from 'mdast-util-gfm';
import { mathToMarkdown } from 'mdast-util-math';
import { toMarkdown } from 'mdast-util-to-markdown';
import YAML from 'yaml';
import type { BlockNode } from '../types';

export interface MarkdownOptions {
  /** Relative link to another exported page or database (by Notion id), or undefined when it is not in the export. */
  linkForPage?(id: string): string | undefined;
  /** Title to show for a `link_to_page` target. */
  titleForPage?(id: string): string | undefined;
  /** Local path for a downloaded file (image, pdf, …) of a block; undefined keeps the URL as given. */
  linkForFile?(blockId: string, url: string): string | undefined;
}

type PageProperty = PageObjectResponse['properties'][string];
type RollupValue = Extract<PageProperty, { type: 'rollup' }>['rollup'];
type RollupArrayItem = Extract<RollupValue, { type: 'array' }>['array'][number];
type PropertyValue = PageProperty | RollupArrayItem;
type DateValue = { start: string; end: string | null; time_zone?: string | null } | null;
type UserLike = { id: string; name?: string | null };

/** A property value as front matter shows it. */
export type PlainValue = string | number | boolean | null | PlainValue[];

const RESERVED_KEYS = ['notion_id', 'url', 'created_time', 'last_edited_time'];

const plain = (rich: readonly RichTextItemResponse[] | undefined): string =>
  (rich ?? []).map((r) => r.plain_text).join('');

function dateText(date: DateValue | undefined): string | null {
  if (!date) return null;
  return date.end ? `${date.start} → ${date.end}` : date.start;
}

const userName = (user: UserLike): string => user.name || user.id;

/**
 * A property as one readable value: text for title/rich_text, names for select/status/people,
 * lists for multi_select/relation/files, "start → end" for ranges, "PREFIX-n" for unique ids.
 * Returns undefined for properties that hold no value (buttons).
 */
export function propertyPlainValue(value: PropertyValue): PlainValue | undefined {
  switch (value.type) {
    case 'title':
      return plain(value.title);
    case 'rich_text':
      return plain(value.rich_text);
    case 'number':
      return value.number;
    case 'select':
      return value.select?.name ?? null;
    case 'status':
      return value.status?.name ?? null;
    case 'multi_select':
      return value.multi_select.map((option) => option.name);
    case 'date':
      return dateText(value.date);
    case 'checkbox':
      return value.checkbox;
    case 'url':
      return value.url;
    case 'email':
      return value.email;
    case 'phone_number':
      return value.phone_number;
    case 'people':
      return value.people.map((person) => userName(person as UserLike));
    case 'relation':
      return value.relation.map((relation) => relation.id);
    case 'files':
      // Notion-hosted URLs expire within the hour: keep the file name for those.
      return value.files.map((file) => (file.type === 'external' ? file.external.url : file.name));
    case 'formula': {
      const formula = value.formula;
      if (formula.type === 'string') return formula.string;
      if (formula.type === 'number') return formula.number;
      if (formula.type === 'boolean') return formula.boolean;
      if (formula.type === 'date') return dateText(formula.date);
      return null;
    }
    case 'rollup': {
      const rollup = value.rollup;
      if (rollup.type === 'number') return rollup.number;
      if (rollup.type === 'date') return dateText(rollup.date);
      if (rollup.type === 'array') {
        return rollup.array.flatMap((item) => {
          const inner = propertyPlainValue(item);
          return inner === undefined ? [] : Array.isArray(inner) ? inner : [inner];
        });
      }
      return null;
    }
    case 'unique_id': {
      const { prefix, number } = value.unique_id;
      if (number === null) return null;
      return prefix ? `${prefix}-${number}` : number;
    }
    case 'created_time':
      return value.created_time;
    case 'last_edited_time':
      return value.last_edited_time;
    case 'created_by':
      return userName(value.created_by as UserLike);
    case 'last_edited_by':
      return userName(value.last_edited_by as UserLike);
    case 'verification':
      return value.verification?.state ?? null;
    case 'place': {
      const place = value.place;
      if (!place) return null;
      return place.name || place.address || `${place.lat}, ${place.lon}`;
    }
    case 'button':
      return undefined;
    default:
      return null;
  }
}

/** The page's title (text of its title property), or "Untitled". */
export function pageTitleOf(page: PageObjectResponse): string {
  for (const value of Object.values(page.properties)) {
    if (value.type === 'title') return plain(value.title).trim() || 'Untitled';
  }
  return 'Untitled';
}

function frontMatter(page: PageObjectResponse): string {
  const data: Record<string, PlainValue> = {
    notion_id: page.id,
    url: page.url,
    created_time: page.created_time,
    last_edited_time: page.last_edited_time,
  };
  for (const [name, value] of Object.entries(page.properties)) {
    const plainValue = propertyPlainValue(value);
    if (plainValue === undefined) continue;
    const key = RESERVED_KEYS.includes(name) ? `${name} (property)` : name;
    data[key] = plainValue;
  }
  return new YAML.Document(data).toString({ lineWidth: 0 }).trimEnd();
}

// ---------------------------------------------------------------------------------------------
// Rich text → phrasing content

type MarkLevel = 'link' | 'delete' | 'strong' | 'emphasis';
const MARK_ORDER: MarkLevel[] = ['link', 'delete', 'strong', 'emphasis'];

interface Run {
  link?: string;
  delete: boolean;
  strong: boolean;
  emphasis: boolean;
  leaf: 'text' | 'code' | 'math';
  value: string;
}

interface RichTextContext {
  opts: MarkdownOptions;
  /** Hard line breaks allowed (false in headings and table cells). */
  breaks: boolean;
}

const NOTION_RELATIVE_LINK = /^\/([0-9a-f]{32})(?:[?#].*)?$/i;
const NOTION_ABSOLUTE_LINK = /^https?:\/\/(?:[\w-]+\.)*notion\.(?:so|site|com)\/(?:[^?#]*[-/])?([0-9a-f]{32})(?:[?#].*)?$/i;

/** Links to other Notion pages become links into the export when the page is part of it. */
function resolveLink(url: string | undefined, opts: MarkdownOptions): string | undefined {
  if (!url) return undefined;
  const id = NOTION_RELATIVE_LINK.exec(url)?.[1] ?? NOTION_ABSOLUTE_LINK.exec(url)?.[1];
  return (id && opts.linkForPage?.(id)) || url;
}

function runsOf(item: RichTextItemResponse, opts: MarkdownOptions): Run[] {
  const annotations = item.annotations ?? { bold: false, italic: false, strikethrough: false, code: false };
  const marks = {
    delete: annotations.strikethrough,
    strong: annotations.bold,
    emphasis: annotations.italic,
  };
  if (item.type === 'equation') {
    return [{ ...marks, link: resolveLink(item.href ?? undefined, opts), leaf: 'math', value: item.equation.expression }];
  }
  let link: string | undefined;
  let value = item.plain_text ?? '';
  if (item.type === 'text') {
    value = item.text.content;
    link = resolveLink(item.text.link?.url ?? item.href ?? undefined, opts);
  } else if (item.type === 'mention') {
    const mention = item.mention;
    const target = mention.type === 'page' ? mention.page.id : mention.type === 'database' ? mention.database.id : undefined;
    link = (target && opts.linkForPage?.(target)) || resolveLink(item.href ?? undefined, opts);
  }
  if (value === '') return [];
  return [{ ...marks, link, leaf: annotations.code ? 'code' : 'text', value }];
}

function leafNodes(run: Run, ctx: RichTextContext): PhrasingContent[] {
  if (run.leaf === 'math') return [{ type: 'inlineMath', value: run.value }];
  if (run.leaf === 'code') return [{ type: 'inlineCode', value: run.value.replace(/\r?\n/g, ' ') }];
  const lines = run.value.split(/\r?\n/);
  if (!ctx.breaks) return [{ type: 'text', value: lines.join(' ') }];
  const nodes: PhrasingContent[] = [];
  lines.forEach((line, index) => {
    if (index > 0) nodes.push({ type: 'break' });
    if (line) nodes.push({ type: 'text', value: line });
  });
  return nodes;
}

function mergeText(nodes: PhrasingContent[]): PhrasingContent[] {
  const out: PhrasingContent[] = [];
  for (const node of nodes) {
    const last = out.at(-1);
    if (node.type === 'text' && last?.type === 'text') last.value += node.value;
    else out.push(node);
  }
  return out;
}

/**
 * Wraps content in emphasis/strong/delete. Markdown cannot open or close those next to a blank
 * (`** bold**` is not bold), so blanks and line breaks at the edges move outside the mark.
 */
function wrapMark(type: 'delete' | 'strong' | 'emphasis', children: PhrasingContent[]): PhrasingContent[] {
  const inner = [...children];
  const before: PhrasingContent[] = [];
  const after: PhrasingContent[] = [];
  for (;;) {
    const first = inner[0];
    if (first?.type === 'break') before.push(inner.shift()!);
    else if (first?.type === 'text' && /^\s/.test(first.value)) {
      const blank = /^\s+/.exec(first.value)![0];
      before.push({ type: 'text', value: blank });
      if (first.value === blank) inner.shift();
      else inner[0] = { type: 'text', value: first.value.slice(blank.length) };
    } else break;
  }
  for (;;) {
    const last = inner.at(-1);
    if (last?.type === 'break') after.unshift(inner.pop()!);
    else if (last?.type === 'text' && /\s$/.test(last.value)) {
      const blank = /\s+$/.exec(last.value)![0];
      after.unshift({ type: 'text', value: blank });
      if (last.value === blank) inner.pop();
      else inner[inner.length - 1] = { type: 'text', value: last.value.slice(0, -blank.length) };
    } else break;
  }
  const wrapped: PhrasingContent[] = inner.length > 0 ? [{ type, children: inner } as PhrasingContent] : [];
  return [...before, ...wrapped, ...after];
}

function markKey(run: Run, level: MarkLevel): string {
  if (level === 'link') return run.link ?? '';
  return run[level] ? '1' : '';
}

/** Groups consecutive runs sharing a mark so `**a** **b**` comes out as one `**a b**`. */
function groupRuns(runs: Run[], depth: number, ctx: RichTextContext): PhrasingContent[] {
  if (depth === MARK_ORDER.length) return runs.flatMap((run) => leafNodes(run, ctx));
  const level = MARK_ORDER[depth];
  const out: PhrasingContent[] = [];
  for (let i = 0; i < runs.length; ) {
    const key = markKey(runs[i], level);
    let j = i + 1;
    while (j < runs.length && markKey(runs[j], level) === key) j += 1;
    const children = mergeText(groupRuns(runs.slice(i, j), depth + 1, ctx));
    if (!key) out.push(...children);
    else if (level === 'link') out.push({ type: 'link', url: key, children });
    else out.push(...wrapMark(level, children));
    i = j;
  }
  return mergeText(out);
}

/**
 * Rich text as phrasing content. Blanks at the very start and end are dropped: Markdown ignores
 * them, so the serialiser would otherwise have to encode them as `&#x20;`.
 */
function richText(rich: readonly RichTextItemResponse[] | undefined, ctx: RichTextContext): PhrasingContent[] {
  const runs = (rich ?? []).flatMap((item) => runsOf(item, ctx.opts));
  const nodes = groupRuns(runs, 0, ctx);
  const first = nodes[0];
  if (first?.type === 'text') first.value = first.value.trimStart();
  const last = nodes.at(-1);
  if (last?.type === 'text') last.value = last.value.trimEnd();
  return nodes.filter((node) => node.type !== 'text' || node.value !== '');
}

// ---------------------------------------------------------------------------------------------
// Blocks → flow content

interface BlockContext {
  opts: MarkdownOptions;
  inline: RichTextContext;
  flow: RichTextContext;
}

type ListKind = 'bulleted' | 'numbered' | 'todo' | 'toggle';

function listKindOf(block: BlockNode): ListKind | undefined {
  switch (block.type) {
    case 'bulleted_list_item':
      return 'bulleted';
    case 'numbered_list_item':
      return 'numbered';
    case 'to_do':
      return 'todo';
    case 'toggle':
      return 'toggle';
    default:
      return undefined;
  }
}

const paragraph = (children: PhrasingContent[]): BlockContent[] =>
  children.length > 0 ? [{ type: 'paragraph', children }] : [];

const placeholder = (text: string): BlockContent => ({ type: 'paragraph', children: [{ type: 'text', value: text }] });

function listItem(block: BlockNode, ctx: BlockContext): ListItem {
  let rich: readonly RichTextItemResponse[] = [];
  let checked: boolean | undefined;
  if (block.type === 'bulleted_list_item') rich = block.bulleted_list_item.rich_text;
  else if (block.type === 'numbered_list_item') rich = block.numbered_list_item.rich_text;
  else if (block.type === 'toggle') rich = block.toggle.rich_text;
  else if (block.type === 'to_do') {
    rich = block.to_do.rich_text;
    checked = block.to_do.checked;
  }
  const item: ListItem = {
    type: 'listItem',
    spread: false,
    children: [...paragraph(richText(rich, ctx.flow)), ...flow(block.children, ctx)],
  };
  if (checked !== undefined) item.checked = checked;
  return item;
}

function list(kind: ListKind, items: BlockNode[], ctx: BlockContext): List {
  const node: List = { type: 'list', ordered: kind === 'numbered', spread: false, children: [] };
  const first = items[0];
  if (first.type === 'numbered_list_item') node.start = first.numbered_list_item.list_start_index ?? 1;
  node.children = items.map((item) => listItem(item, ctx));
  return node;
}

function mediaUrl(block: BlockNode): { url: string; name?: string; caption?: RichTextItemResponse[] } | undefined {
  switch (block.type) {
    case 'image':
    case 'video':
    case 'pdf':
    case 'audio':
    case 'file': {
      const media = (block as Extract<BlockObjectResponse, { type: 'file' }>)[block.type as 'file'];
      const url = media.type === 'external' ? media.external.url : media.file.url;
      return { url, name: 'name' in media ? media.name : undefined, caption: media.caption };
    }
    case 'bookmark':
      return { url: block.bookmark.url, caption: block.bookmark.caption };
    case 'embed':
      return { url: block.embed.url, caption: block.embed.caption };
    case 'link_preview':
      return { url: block.link_preview.url };
    default:
      return undefined;
  }
}

function fileNameFromUrl(url: string): string | undefined {
  try {
    const last = new URL(url).pathname.split('/').filter(Boolean).at(-1);
    return last ? decodeURIComponent(last) : undefined;
  } catch {
    return undefined;
  }
}

function mediaBlock(block: BlockNode, ctx: BlockContext): BlockContent[] {
  const media = mediaUrl(block)!;
  const isFile = block.type !== 'bookmark' && block.type !== 'embed' && block.type !== 'link_preview';
  const url = (isFile && ctx.opts.linkForFile?.(block.id, media.url)) || media.url;
  if (block.type === 'image') {
    return [{ type: 'paragraph', children: [{ type: 'image', url, alt: plain(media.caption) || null }] }];
  }
  const caption = richText(media.caption, ctx.inline);
  const label: PhrasingContent[] =
    caption.length > 0
      ? caption
      : [{ type: 'text', value: media.name || (isFile ? fileNameFromUrl(media.url) : undefined) || media.url }];
  return [{ type: 'paragraph', children: [{ type: 'link', url, children: label }] }];
}

function pageLink(id: string, title: string, ctx: BlockContext): BlockContent[] {
  const url = ctx.opts.linkForPage?.(id);
  const text: PhrasingContent = { type: 'text', value: title || 'Untitled' };
  return [{ type: 'paragraph', children: [url ? { type: 'link', url, children: [text] } : text] }];
}

type TableRowBlock = Extract<BlockNode, { type: 'table_row' }>;

/** A GFM table; the first row is the header row (GFM tables always have one). */
function table(rows: TableRowBlock[], minWidth: number, ctx: BlockContext): BlockContent[] {
  if (rows.length === 0) return [];
  const width = Math.max(minWidth, ...rows.map((row) => row.table_row.cells.length));
  const children: TableRow[] = rows.map((row) => ({
    type: 'tableRow',
    children: Array.from({ length: width }, (_, i) => ({
      type: 'tableCell',
      children: richText(row.table_row.cells[i], ctx.inline),
    })),
  }));
  return [{ type: 'table', align: Array.from({ length: width }, () => null), children }];
}

function codeLanguage(language: string | undefined): string | undefined {
  if (!language || language === 'plain text') return undefined;
  return language.replace(/\s+/g, '-');
}

function blockToFlow(block: BlockNode, ctx: BlockContext): BlockContent[] {
  const children = () => flow(block.children, ctx);
  switch (block.type) {
    case 'paragraph':
      return [...paragraph(richText(block.paragraph.rich_text, ctx.flow)), ...children()];
    case 'heading_1':
    case 'heading_2':
    case 'heading_3':
    case 'heading_4': {
      const level = Number(block.type.slice(-1));
      const content = (block as Extract<BlockObjectResponse, { type: 'heading_1' }>)[block.type as 'heading_1'];
      const text = richText(content.rich_text, ctx.inline);
      const heading: BlockContent[] =
        text.length > 0 ? [{ type: 'heading', depth: Math.min(6, level + 1) as 2 | 3 | 4 | 5, children: text }] : [];
      return [...heading, ...children()];
    }
    case 'quote':
      return [{ type: 'blockquote', children: [...paragraph(richText(block.quote.rich_text, ctx.flow)), ...children()] }];
    case 'callout': {
      const icon = block.callout.icon;
      const iconText =
        icon?.type === 'emoji' ? icon.emoji : icon?.type === 'custom_emoji' ? `:${icon.custom_emoji.name}:` : undefined;
      const text = richText(block.callout.rich_text, ctx.flow);
      const content: PhrasingContent[] = iconText ? [{ type: 'text', value: `${iconText} ` }, ...text] : text;
      return [{ type: 'blockquote', children: [...paragraph(mergeText(content)), ...children()] }];
    }
    case 'code': {
      const caption = richText(block.code.caption, ctx.flow);
      return [
        { type: 'code', lang: codeLanguage(block.code.language), value: plain(block.code.rich_text) },
        ...paragraph(caption),
      ];
    }
    case 'equation':
      return [{ type: 'math', value: block.equation.expression }];
    case 'divider':
      return [{ type: 'thematicBreak' }];
    case 'table': {
      const rows = (block.children ?? []).filter((row): row is TableRowBlock => row.type === 'table_row');
      return table(rows, block.table.table_width, ctx);
    }
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
      return pageLink(block.id, block.child_page.title, ctx);
    case 'child_database':
      return pageLink(block.id, block.child_database.title, ctx);
    case 'link_to_page': {
      const target = block.link_to_page;
      const id = target.type === 'page_id' ? target.page_id : target.type === 'database_id' ? target.database_id : undefined;
      if (!id) return [];
      return pageLink(id, ctx.opts.titleForPage?.(id) ?? id, ctx);
    }
    case 'template':
      return [...paragraph(richText(block.template.rich_text, ctx.flow)), ...children()];
    case 'meeting_notes':
    case 'transcription': {
      const notes = (block as Extract<BlockObjectResponse, { type: 'meeting_notes' }>)[block.type as 'meeting_notes'];
      const title = richText(notes.title, ctx.flow);
      return [...paragraph(title.length > 0 ? [{ type: 'strong', children: title }] : []), ...children()];
    }
    case 'column_list':
    case 'column':
    case 'synced_block':
    case 'tab':
      return children();
    case 'table_of_contents':
    case 'breadcrumb':
      return [];
    case 'table_row': // only outside a table, which the API does not produce
      return table([block], 0, ctx);
    case 'unsupported':
      return [placeholder(`[unsupported block: ${block.unsupported.block_type}]`), ...children()];
    default:
      return [placeholder(`[unsupported block: ${(block as { type: string }).type}]`)];
  }
}

function flow(blocks: readonly BlockNode[] | undefined, ctx: BlockContext): BlockContent[] {
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
    out.push(list(kind, items.slice(i, j), ctx));
    i = j;
  }
  return out;
}

/** The mdast tree of a page: YAML front matter, the title as H1, then the blocks. */
export function pageToMdast(page: PageObjectResponse, blocks: readonly BlockNode[], opts: MarkdownOptions = {}): Root {
  const ctx: BlockContext = { opts, inline: { opts, breaks: false }, flow: { opts, breaks: true } };
  const children: RootContent[] = [
    { type: 'yaml', value: frontMatter(page) },
    { type: 'heading', depth: 1, children: [{ type: 'text', value: pageTitleOf(page) }] },
    ...flow(blocks, ctx),
  ];
  return { type: 'root', children };
}

const MARKDOWN_OPTIONS = {
  bullet: '-',
  emphasis: '*',
  strong: '*',
  rule: '-',
  fences: true,
  listItemIndent: 'one',
  extensions: [gfmToMarkdown(), mathToMarkdown(), frontmatterToMarkdown(['yaml'])],
} as const;

/** Serialises an mdast tree with our Markdown settings (GFM, math, YAML front matter). */
export function mdastToMarkdown(tree: Root): string {
  return toMarkdown(tree, { ...MARKDOWN_OPTIONS, extensions: [...MARKDOWN_OPTIONS.extensions] });
}

/**
 * A page as Markdown: front matter with its id, url, times and every property as a plain value,
 * the title as H1, then the blocks. All escaping is done by mdast-util-to-markdown.
 */
export function renderPageMarkdown(
  page: PageObjectResponse,
  blocks: readonly BlockNode[],
  opts: MarkdownOptions = {},
): string {
  return mdastToMarkdown(pageToMdast(page, blocks, opts));
}
