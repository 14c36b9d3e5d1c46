import type { Element, ElementContent, Root as HastRoot, RootContent } from 'hast';
import { defaultSchema, sanitize } from 'hast-util-sanitize';
import type { Root, Yaml } from 'mdast';
import { fromMarkdown } from 'mdast-util-from-markdown';
import { frontmatterFromMarkdown } from 'mdast-util-frontmatter';
import { gfmFromMarkdown } from 'mdast-util-gfm';
import { mathFromMarkdown } from 'mdast-util-math';
import { toHast } from 'mdast-util-to-hast';
import { frontmatter } from 'micromark-extension-frontmatter';
import { gfm } from 'micromark-extension-gfm';
import { math } from 'micromark-extension-math';
import YAML from 'yaml';
import { describeBytes } from '@/server/export/domain/export-status';
import { element, renderHtmlDocument, text } from '@/server/export/render/writers/html-document';

/**
 * A Markdown file of an export shown as a page, on the server: parsed as the Markdown writer
 * writes it (GFM tables and task lists, `$…$` math, YAML front matter), turned into HTML with no raw
 * HTML let through, then sanitised with GitHub's schema. Front matter (a page's properties) becomes
 * a table above the page; links to other Markdown files of the export open their preview.
 */

/** Larger files are not rendered (a page of Notion is far smaller); the preview says so and links to the file. */
export const MAX_PREVIEW_BYTES = 2 * 1024 * 1024;

const PREVIEW_STYLE = '.front-matter{margin:0 0 2rem}.front-matter th{white-space:nowrap}';

/** A front matter value as one line of text: lists joined, anything nested as JSON (YAML 1.2 makes no dates). */
function valueText(value: unknown): string {
  if (value === null || value === undefined) return '';
  if (Array.isArray(value)) return value.map(valueText).join(', ');
  if (typeof value === 'object') return JSON.stringify(value);
  return String(value);
}

/** The YAML front matter as a two-column table; as the YAML itself when it is not a mapping. */
function frontMatterElement(yaml: Yaml): Element {
  let data: unknown;
  try {
    data = YAML.parse(yaml.value);
  } catch {
    data = undefined;
  }
  if (data && typeof data === 'object' && !Array.isArray(data)) {
    const rows = Object.entries(data).map(([key, value]) =>
      element('tr', {}, [element('th', { scope: 'row' }, [text(key)]), element('td', {}, [text(valueText(value))])]),
    );
    return element('table', { className: ['properties', 'front-matter'] }, [element('tbody', {}, rows)]);
  }
  return element('pre', { className: ['front-matter'] }, [element('code', {}, [text(yaml.value)])]);
}

/** Whether `href` points at another file of the export (no scheme, no host, not only a fragment). */
const isRelative = (href: string) => !/^[a-z][a-z0-9+.-]*:/i.test(href) && !href.startsWith('/') && !href.startsWith('#');

/** Links to Markdown files of the export open their preview too. */
function previewLinks(node: HastRoot | ElementContent | RootContent): void {
  if (node.type === 'element' && node.tagName === 'a') {
    const href = node.properties.href;
    if (typeof href === 'string' && isRelative(href)) {
      const [target = '', hash] = href.split('#', 2);
      if (/\.md$/i.test(target.split('?')[0] ?? '')) {
        node.properties.href = `${target.split('?')[0]}?view=preview${hash === undefined ? '' : `#${hash}`}`;
      }
    }
  }
  if ('children' in node) for (const child of node.children) previewLinks(child);
}

/** The page around a body: self-contained, the export's own HTML style, nothing loaded from elsewhere. */
function pageDocument(title: string, body: ElementContent[]): string {
  return renderHtmlDocument({ title, content: { type: 'root', children: body }, lang: 'en', style: PREVIEW_STYLE });
}

/** `markdown` (the file `fileName`) as a standalone, sanitised HTML page. */
export function renderMarkdownPreview(markdown: string, fileName: string): string {
  const tree: Root = fromMarkdown(markdown, {
    extensions: [gfm(), math(), frontmatter(['yaml'])],
    mdastExtensions: [gfmFromMarkdown(), mathFromMarkdown(), frontmatterFromMarkdown(['yaml'])],
  });
  const yaml = tree.children.find((node): node is Yaml => node.type === 'yaml');
  const hast = sanitize(toHast(tree, { allowDangerousHtml: false }), defaultSchema) as HastRoot;
  previewLinks(hast);
  const body = hast.children.filter((node): node is ElementContent => node.type !== 'doctype');
  return pageDocument(fileName, yaml ? [frontMatterElement(yaml), ...body] : body);
}

/** The page shown instead of a preview of a Markdown file larger than MAX_PREVIEW_BYTES. */
export function tooLargeToPreview(fileName: string, bytes: number): string {
  return pageDocument(fileName, [
    element('p', {}, [
      text(`${fileName} is ${describeBytes(bytes)}, too large to preview here. `),
      element('a', { href: encodeURIComponent(fileName) }, [text('Open the file as text')]),
      text('.'),
    ]),
  ]);
}
