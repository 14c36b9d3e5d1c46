import type { RichTextItemResponse } from '@notionhq/client/build/src/api-endpoints';
import type { PhrasingContent } from 'mdast';
import { type DocumentContext, type Icon, UNKNOWN_USER_NOTE } from './document-nodes';
import { formatNotionDate } from './notion-date';

/** How rich text is placed: hard line breaks are allowed in paragraphs, not in headings or table cells. */
export interface RichTextOptions {
  breaks: boolean;
}

/** The text of rich text without any formatting. */
export const plainText = (rich: readonly RichTextItemResponse[] | undefined): string =>
  (rich ?? []).map((item) => item.plain_text ?? '').join('');

/** `red` → `color-red`, `red_background` → `bg-red`; the default colours get no class. */
export function colorClass(color: string | undefined): string | undefined {
  if (!color || color === 'default' || color === 'default_background') return undefined;
  const background = /^([a-z]+)_background$/.exec(color);
  if (background) return `bg-${background[1]}`;
  return /^[a-z]+$/.test(color) ? `color-${color}` : undefined;
}

const NOTION_RELATIVE_LINK = /^\/([0-9a-f]{32})(?:[?#].*)?$/i;
const NOTION_ABSOLUTE_LINK =
  /^https?:\/\/(?:[\w-]+\.)*notion\.(?:so|site|com)\/(?:[^?#]*[-/])?([0-9a-f]{32})(?:[?#].*)?$/i;

/** The Notion page id a URL points at, when it is a link to a Notion page. */
export function notionIdOfUrl(url: string): string | undefined {
  return NOTION_RELATIVE_LINK.exec(url)?.[1] ?? NOTION_ABSOLUTE_LINK.exec(url)?.[1];
}

/** Links to other Notion pages become links into the export when the page is part of it. */
export function resolveLink(url: string | undefined | null, ctx: DocumentContext): string | undefined {
  if (!url) return undefined;
  const id = notionIdOfUrl(url);
  return (id && ctx.linkForPage?.(id)) || url;
}

// ---------------------------------------------------------------------------------------------
// Runs: one rich text item with its marks, before marks are grouped into a tree.

type MarkLevel = 'link' | 'delete' | 'strong' | 'emphasis' | 'underline' | 'color';
/**
 * Outer to inner. Underline and colour come last: Markdown has no syntax for them, so they must sit
 * innermost, where dropping them cannot leave two `**…**` next to each other.
 */
const MARK_ORDER: MarkLevel[] = ['link', 'delete', 'strong', 'emphasis', 'underline', 'color'];

interface Run {
  link?: string;
  delete: boolean;
  strong: boolean;
  emphasis: boolean;
  underline: boolean;
  color: string;
  leaf: { type: 'text' | 'code' | 'math'; value: string } | Icon;
}

/** Rich text with no annotation at all (Notion's defaults). */
export const NO_ANNOTATIONS: RichTextItemResponse['annotations'] = {
  bold: false,
  italic: false,
  strikethrough: false,
  underline: false,
  code: false,
  color: 'default',
};

type Mention = Extract<RichTextItemResponse, { type: 'mention' }>;

/** What a mention shows and where it links. */
function mentionParts(item: Mention, ctx: DocumentContext): { text: string; link?: string; icon?: Icon } {
  const mention = item.mention;
  switch (mention.type) {
    case 'user': {
      const user = mention.user as { id: string; name?: string | null };
      const name = ctx.userName?.(user.id);
      if (name) return { text: `@${name}` };
      if (item.plain_text) return { text: item.plain_text };
      return { text: user.name ? `@${user.name}` : `@${user.id} ${UNKNOWN_USER_NOTE}` };
    }
    case 'page':
    case 'database': {
      const id = mention.type === 'page' ? mention.page.id : mention.database.id;
      const text = item.plain_text || ctx.titleForPage?.(id) || 'Untitled';
      return { text, link: ctx.linkForPage?.(id) };
    }
    case 'date':
      return { text: formatNotionDate(mention.date) };
    case 'link_preview':
      return { text: item.plain_text || mention.link_preview.url, link: resolveLink(mention.link_preview.url, ctx) };
    case 'link_mention': {
      const { href, title } = mention.link_mention;
      return { text: title || item.plain_text || href, link: resolveLink(href, ctx) };
    }
    case 'template_mention': {
      const template = mention.template_mention;
      const word =
        template.type === 'template_mention_date'
          ? template.template_mention_date === 'now'
            ? 'Now'
            : 'Today'
          : 'Me';
      return { text: `@${word}` };
    }
    case 'custom_emoji': {
      const emoji = mention.custom_emoji;
      const url = ctx.linkForFile?.({ url: emoji.url, name: emoji.name }) ?? emoji.url;
      return { text: `:${emoji.name}:`, icon: { type: 'icon', kind: 'custom_emoji', value: emoji.name, url } };
    }
    default: {
      const _exhaustive: never = mention;
      return { text: item.plain_text ?? '' };
    }
  }
}

function runOf(item: RichTextItemResponse, ctx: DocumentContext): Run | undefined {
  const annotations = { ...NO_ANNOTATIONS, ...item.annotations };
  const marks = {
    delete: annotations.strikethrough,
    strong: annotations.bold,
    emphasis: annotations.italic,
    underline: annotations.underline,
    color: annotations.color ?? 'default',
  };
  switch (item.type) {
    case 'equation':
      return { ...marks, link: resolveLink(item.href, ctx), leaf: { type: 'math', value: item.equation.expression } };
    case 'mention': {
      const { text, link, icon } = mentionParts(item, ctx);
      if (icon) return { ...marks, link, leaf: icon };
      if (text === '') return undefined;
      return { ...marks, link, leaf: { type: annotations.code ? 'code' : 'text', value: text } };
    }
    default: {
      const value = item.text?.content ?? item.plain_text ?? '';
      if (value === '') return undefined;
      const link = resolveLink(item.text?.link?.url ?? item.href, ctx);
      return { ...marks, link, leaf: { type: annotations.code ? 'code' : 'text', value } };
    }
  }
}

// ---------------------------------------------------------------------------------------------
// Runs → phrasing nodes

function leafNodes(run: Run, options: RichTextOptions): PhrasingContent[] {
  const leaf = run.leaf;
  if (leaf.type === 'icon') return [{ ...leaf }];
  if (leaf.type === 'math') return [{ type: 'inlineMath', value: leaf.value }];
  if (leaf.type === 'code') return [{ type: 'inlineCode', value: leaf.value.replace(/\r?\n/g, ' ') }];
  const lines = leaf.value.split(/\r?\n/);
  if (!options.breaks) return [{ type: 'text', value: lines.join(' ') }];
  const nodes: PhrasingContent[] = [];
  lines.forEach((line, index) => {
    if (index > 0) nodes.push({ type: 'break' });
    if (line) nodes.push({ type: 'text', value: line });
  });
  return nodes;
}

/** Joins neighbouring text nodes (and drops empty ones), as a Markdown parser would see them. */
export function mergeText(nodes: PhrasingContent[]): PhrasingContent[] {
  const out: PhrasingContent[] = [];
  for (const node of nodes) {
    if (node.type === 'text' && node.value === '') continue;
    const last = out.at(-1);
    if (node.type === 'text' && last?.type === 'text') out[out.length - 1] = { ...last, value: last.value + node.value };
    else out.push(node);
  }
  return out;
}

type Edge = 'start' | 'end';

/**
 * Splits blanks and line breaks off one edge of `nodes`, looking through underline/colour wrappers
 * (which Markdown does not show). Returns the blanks and what remains.
 */
function peelBlanks(nodes: PhrasingContent[], edge: Edge): { blanks: PhrasingContent[]; rest: PhrasingContent[] } {
  const rest = [...nodes];
  const blanks: PhrasingContent[] = [];
  const take = () => (edge === 'start' ? rest.shift() : rest.pop());
  const put = (node: PhrasingContent) => (edge === 'start' ? rest.unshift(node) : rest.push(node));
  const keep = (node: PhrasingContent) => (edge === 'start' ? blanks.push(node) : blanks.unshift(node));
  const pattern = edge === 'start' ? /^\s+/ : /\s+$/;
  for (let node = take(); node; node = take()) {
    if (node.type === 'break') {
      keep(node);
      continue;
    }
    if (node.type === 'text') {
      const blank = pattern.exec(node.value)?.[0];
      if (!blank) {
        put(node);
        break;
      }
      keep({ type: 'text', value: blank });
      const remaining = edge === 'start' ? node.value.slice(blank.length) : node.value.slice(0, -blank.length);
      if (remaining) {
        put({ type: 'text', value: remaining });
        break;
      }
      continue;
    }
    if (node.type === 'styled') {
      const inner = peelBlanks(node.children, edge);
      for (const blank of edge === 'start' ? inner.blanks : [...inner.blanks].reverse()) keep(blank);
      if (inner.rest.length > 0) {
        put({ ...node, children: inner.rest });
        break;
      }
      continue;
    }
    put(node);
    break;
  }
  return { blanks, rest };
}

/**
 * Wraps content in emphasis/strong/delete. Markdown cannot open or close those next to a blank
 * (`** bold**` is not bold), so blanks and line breaks at the edges move outside the mark.
 */
function wrapMark(type: 'delete' | 'strong' | 'emphasis', children: PhrasingContent[]): PhrasingContent[] {
  const start = peelBlanks(children, 'start');
  const end = peelBlanks(start.rest, 'end');
  const wrapped: PhrasingContent[] = end.rest.length > 0 ? [{ type, children: end.rest }] : [];
  return [...start.blanks, ...wrapped, ...end.blanks];
}

function markKey(run: Run, level: MarkLevel): string {
  if (level === 'link') return run.link ?? '';
  if (level === 'color') return run.color === 'default' ? '' : run.color;
  return run[level] ? '1' : '';
}

/** Groups consecutive runs sharing a mark so `**a** **b**` comes out as one `**a b**`. */
function groupRuns(runs: Run[], depth: number, options: RichTextOptions): PhrasingContent[] {
  if (depth === MARK_ORDER.length) return runs.flatMap((run) => leafNodes(run, options));
  const level = MARK_ORDER[depth];
  const out: PhrasingContent[] = [];
  for (let i = 0; i < runs.length; ) {
    const key = markKey(runs[i], level);
    let j = i + 1;
    while (j < runs.length && markKey(runs[j], level) === key) j += 1;
    const children = mergeText(groupRuns(runs.slice(i, j), depth + 1, options));
    if (!key) out.push(...children);
    else if (level === 'link') out.push({ type: 'link', url: key, children });
    else if (level === 'underline') out.push({ type: 'styled', tag: 'u', children });
    else if (level === 'color') {
      const className = colorClass(key);
      if (className) out.push({ type: 'styled', tag: 'span', className: [className], children });
      else out.push(...children);
    } else out.push(...wrapMark(level, children));
    i = j;
  }
  return mergeText(out);
}

/**
 * Rich text as phrasing content, every annotation kept: bold/italic/strikethrough as Markdown marks,
 * underline and colour as `styled` nodes (HTML only), code, links, mentions and inline equations.
 * Blanks at the very start and end are dropped: Markdown ignores them there.
 */
export function richTextToPhrasing(
  rich: readonly RichTextItemResponse[] | undefined,
  ctx: DocumentContext,
  options: RichTextOptions,
): PhrasingContent[] {
  const runs = (rich ?? []).flatMap((item) => runOf(item, ctx) ?? []);
  const grouped = groupRuns(runs, 0, options);
  const start = peelBlanks(grouped, 'start').rest;
  return mergeText(peelBlanks(start, 'end').rest);
}

/** The same phrasing without links (a link inside a link is not allowed in Markdown or HTML). */
export function withoutLinks(nodes: readonly PhrasingContent[]): PhrasingContent[] {
  return mergeText(
    nodes.flatMap((node): PhrasingContent[] => {
      if (node.type === 'link') return withoutLinks(node.children);
      if ('children' in node) return [{ ...node, children: withoutLinks(node.children) } as PhrasingContent];
      return [node];
    }),
  );
}

/** The text of phrasing content (icons as their value), e.g. for an image's alternative text. */
export function phrasingText(nodes: readonly PhrasingContent[]): string {
  return nodes
    .map((node) => {
      if (node.type === 'break') return ' ';
      if ('children' in node) return phrasingText(node.children);
      if (node.type === 'icon') return node.kind === 'custom_emoji' ? `:${node.value}:` : node.kind === 'emoji' ? node.value : '';
      return 'value' in node ? node.value : '';
    })
    .join('');
}
