import type { PageObjectResponse } from '@notionhq/client/build/src/api-endpoints';
import type { Element, ElementContent, Root as HastRoot } from 'hast';
import { defaultSchema, type Schema, sanitize } from 'hast-util-sanitize';
import type { Heading, PhrasingContent, Root, RootContent, Table, TableRow } from 'mdast';
import type { InlineMath, Math as MathNode } from 'mdast-util-math';
import { type Handlers, type State, toHast } from 'mdast-util-to-hast';
import {
  type Callout,
  type Container,
  type DocumentContext,
  type Icon,
  iconNode,
  type Media,
  orderedPropertyNames,
  pageTitleOf,
  pageToMdast,
  type Styled,
  type Toggle,
} from '@/server/export/render/document-tree';
import type { BlockNode } from '@/server/export/render/block-node';
import { element, renderHtmlDocument, text } from './html-document';
import { MATHML_ATTRIBUTES, MATHML_TAGS, renderMath } from './math-ml';
import { propertyItems } from '@/server/export/render/property-format';
import { phrasingText, richTextToPhrasing } from '@/server/export/render/rich-text';

const asArray = (result: ElementContent | ElementContent[] | undefined): ElementContent[] =>
  result === undefined ? [] : Array.isArray(result) ? result : [result];

function iconElement(icon: Icon): ElementContent[] {
  if (icon.kind === 'emoji') return [element('span', { className: ['emoji'] }, [text(icon.value)])];
  const alt = icon.kind === 'custom_emoji' ? `:${icon.value}:` : '';
  if (!icon.url) return alt ? [text(alt)] : [];
  return [element('img', { className: ['icon'], src: icon.url, alt, ...(alt ? { title: alt } : {}) })];
}

function mediaElement(state: State, node: Media): Element {
  const caption = node.children.length > 0 ? [element('figcaption', {}, state.all(node))] : [];
  const link = element('a', { href: node.url }, [text(node.label)]);
  let body: Element;
  if (node.kind === 'image') body = element('img', { src: node.url, alt: phrasingText(node.children) });
  // Players only for downloaded files: the page must not fetch anything from the web by itself.
  else if (node.kind === 'video' && node.local) body = element('video', { src: node.url, controls: true }, [link]);
  else if (node.kind === 'audio' && node.local) body = element('audio', { src: node.url, controls: true }, [link]);
  else body = link;
  return element('figure', { className: ['media', node.kind.replace('_', '-')] }, state.wrap([body, ...caption], true));
}

/** Notion's header row / header column flags decide between `th` and `td` (GFM would always use a header row). */
function tableElement(state: State, node: Table): Element {
  const hasColumnHeader = node.data?.hasColumnHeader ?? true;
  const hasRowHeader = node.data?.hasRowHeader ?? false;
  const rows = node.children.map((row: TableRow, r) =>
    element(
      'tr',
      {},
      state.wrap(
        row.children.map((cell, c) => {
          const header = (hasColumnHeader && r === 0) || (hasRowHeader && c === 0);
          const scope = header ? { scope: hasColumnHeader && r === 0 ? 'col' : 'row' } : {};
          return element(header ? 'th' : 'td', scope, state.all(cell));
        }),
        true,
      ),
    ),
  );
  const head = hasColumnHeader && rows.length > 0 ? [element('thead', {}, state.wrap([rows[0]], true))] : [];
  const bodyRows = hasColumnHeader ? rows.slice(1) : rows;
  const body = bodyRows.length > 0 ? [element('tbody', {}, state.wrap(bodyRows, true))] : [];
  const result = element('table', {}, state.wrap([...head, ...body], true));
  state.patch(node, result);
  return state.applyData(node, result);
}

/** How the nodes Markdown cannot show become HTML. */
const HANDLERS: Handlers = {
  styled: (state, node: Styled) => element(node.tag, node.className ? { className: node.className } : {}, state.all(node)),
  icon: (_state, node: Icon) => iconElement(node),
  toggle(state, node: Toggle) {
    const [summary, ...body] = node.children;
    const head = summary?.type === 'paragraph' ? state.all(summary) : asArray(summary && state.one(summary, node));
    const rest = body.flatMap((child) => asArray(state.one(child, node)));
    const className = ['toggle', ...(node.className ?? [])];
    return element('details', { className }, state.wrap([element('summary', {}, head), ...rest], true));
  },
  container: (state, node: Container) => element(node.tag, { className: node.className }, state.wrap(state.all(node), true)),
  callout(state, node: Callout) {
    const icon = node.icon ? [element('div', { className: ['callout-icon'] }, iconElement(node.icon))] : [];
    const body = element('div', { className: ['callout-body'] }, state.wrap(state.all(node), true));
    return element('aside', { className: node.className }, state.wrap([...icon, body], true));
  },
  media: mediaElement,
  math: (_state, node: MathNode) => renderMath(node.value, true),
  inlineMath: (_state, node: InlineMath) => renderMath(node.value, false),
  table: tableElement,
};

/** Classes the writers generate; nothing else survives sanitising. */
const ALLOWED_CLASSES: (string | RegExp)[] = [
  /^(?:color|bg)-(?:gray|brown|orange|yellow|green|blue|purple|pink|red)$/,
  /^language-[\w#+.-]+$/,
  'callout',
  'checkbox',
  'database-table',
  'tag',
  'visually-hidden',
  'callout-icon',
  'callout-body',
  'caption',
  'column',
  'columns',
  'contains-task-list',
  'database',
  'emoji',
  'icon',
  'indent',
  'math',
  'math-display',
  'math-inline',
  'math-error',
  'math-note',
  'media',
  'image',
  'video',
  'audio',
  'pdf',
  'file',
  'bookmark',
  'embed',
  'link-preview',
  'meeting-notes',
  'meeting-time',
  'page',
  'page-link',
  'properties',
  'tabs',
  'task-list-item',
  'template',
  'toc',
  'toggle',
  'unsupported',
];

function extendClassNames(attributes: NonNullable<Schema['attributes']>): NonNullable<Schema['attributes']> {
  const out: NonNullable<Schema['attributes']> = {};
  for (const [tag, definitions] of Object.entries(attributes)) {
    // A tag's own className rule replaces the `*` one, so our classes go into both.
    out[tag] = definitions.map((definition) =>
      Array.isArray(definition) && definition[0] === 'className' ? ['className', ...ALLOWED_CLASSES] : definition,
    );
  }
  out['*'] = [...(out['*'] ?? []), ['className', ...ALLOWED_CLASSES]];
  return out;
}

/**
 * GitHub's schema, plus what the writers generate: KaTeX's MathML, colour and layout classes, `details`/`summary`,
 * `u`, `aside`, `figure`, players for downloaded media, `tel:` links, the type of ordered lists, and
 * heading ids kept as they are (no `user-content-` prefix) so table-of-contents links work.
 */
export const SANITIZE_SCHEMA: Schema = {
  ...defaultSchema,
  tagNames: [...(defaultSchema.tagNames ?? []), 'u', 'aside', 'figure', 'figcaption', 'video', 'audio', 'small', ...MATHML_TAGS],
  attributes: {
    ...extendClassNames(defaultSchema.attributes ?? {}),
    ...Object.fromEntries(MATHML_TAGS.map((tag) => [tag, [...MATHML_ATTRIBUTES]])),
    ol: [...(defaultSchema.attributes?.ol ?? []), 'type'],
    video: ['src', 'controls'],
    audio: ['src', 'controls'],
    span: [...(defaultSchema.attributes?.span ?? []), 'ariaHidden'],
    // Database tables: the sort key of each cell, and the header cells' scope.
    td: [...(defaultSchema.attributes?.td ?? []), 'dataSort'],
    th: [...(defaultSchema.attributes?.th ?? []), 'dataSort', 'scope'],
  },
  clobber: (defaultSchema.clobber ?? []).filter((name) => name !== 'id'),
  protocols: { ...defaultSchema.protocols, href: [...(defaultSchema.protocols?.href ?? []), 'tel'] },
};

/** Hast built by a writer, sanitised like every page (its links and text come from Notion). */
export function sanitizeHast(tree: HastRoot): HastRoot {
  return sanitize(tree, SANITIZE_SCHEMA) as HastRoot;
}

/** A document tree as sanitised hast (no raw HTML is ever let through). */
export function mdastToSafeHast(tree: Root): HastRoot {
  const hast = toHast(tree, { handlers: HANDLERS, allowDangerousHtml: false }) as HastRoot;
  return sanitize(hast, SANITIZE_SCHEMA) as HastRoot;
}

/** The page's properties (except the title and buttons) as a two-column table. */
function propertiesTable(page: PageObjectResponse, ctx: DocumentContext): Table | undefined {
  const rows: TableRow[] = [];
  for (const name of orderedPropertyNames(page, ctx.dataSource)) {
    const value = page.properties[name];
    if (value.type === 'title') continue;
    let cell: PhrasingContent[];
    if (value.type === 'rich_text') cell = richTextToPhrasing(value.rich_text, ctx, { breaks: true });
    else {
      const items = propertyItems(value, ctx, ctx.dataSource?.properties[name]);
      if (!items) continue;
      cell = items.flatMap((item, i): PhrasingContent[] => [
        ...(i > 0 ? [{ type: 'text', value: ', ' } as const] : []),
        item.href ? { type: 'link', url: item.href, children: [{ type: 'text', value: item.text }] } : { type: 'text', value: item.text },
      ]);
    }
    rows.push({ type: 'tableRow', children: [{ type: 'tableCell', children: [{ type: 'text', value: name }] }, { type: 'tableCell', children: cell }] });
  }
  if (rows.length === 0) return undefined;
  return {
    type: 'table',
    align: [null, null],
    children: rows,
    data: { hasColumnHeader: false, hasRowHeader: true, hProperties: { className: ['properties'] } },
  };
}

/**
 * A page as a standalone HTML document: the title (with the page icon), a table of the page's
 * properties, then the blocks — the same document tree as the Markdown writer, turned into hast,
 * sanitised, and wrapped with an embedded style sheet. No scripts, no external assets.
 */
export function renderPageHtml(page: PageObjectResponse, blocks: readonly BlockNode[], ctx: DocumentContext = {}): string {
  const tree = pageToMdast(page, blocks, ctx);
  const children: RootContent[] = [];
  for (const node of tree.children) {
    if (node.type === 'heading' && node.depth === 1) {
      const icon = iconNode(page.icon, ctx);
      const title: Heading = icon ? { ...node, children: [icon, { type: 'text', value: ' ' }, ...node.children] } : node;
      const properties = propertiesTable(page, ctx);
      children.push(title, ...(properties ? [properties] : []));
    } else children.push(node);
  }
  const content = mdastToSafeHast({ type: 'root', children });
  return renderHtmlDocument({ title: pageTitleOf(page), content, meta: { 'notion-id': page.id } });
}
