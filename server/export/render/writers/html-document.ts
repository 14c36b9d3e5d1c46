import type { Element, ElementContent, Root } from 'hast';
import { toHtml } from 'hast-util-to-html';

/** Notion's palette: text colours, then background colours. */
const COLORS: [name: string, light: string, dark: string, lightBg: string, darkBg: string][] = [
  ['gray', '#787774', '#9b9b9b', '#f1f1ef', 'rgba(155,155,155,.18)'],
  ['brown', '#9f6b53', '#ba856f', '#f4eeee', 'rgba(186,133,111,.2)'],
  ['orange', '#d9730d', '#c77d48', '#fbecdd', 'rgba(199,125,72,.2)'],
  ['yellow', '#cb912f', '#ca9849', '#fbf3db', 'rgba(202,152,73,.2)'],
  ['green', '#448361', '#529e72', '#edf3ec', 'rgba(82,158,114,.2)'],
  ['blue', '#337ea9', '#5e87c9', '#e7f3f8', 'rgba(94,135,201,.2)'],
  ['purple', '#9065b0', '#9d68d3', '#f6f3f9', 'rgba(157,104,211,.2)'],
  ['pink', '#c14c8a', '#d15796', '#faf1f5', 'rgba(209,87,150,.2)'],
  ['red', '#d44c47', '#df5452', '#fdebec', 'rgba(223,84,82,.2)'],
];

const colorRules = (dark: boolean) =>
  COLORS.map(
    ([name, light, darkText, lightBg, darkBg]) =>
      `.color-${name}{color:${dark ? darkText : light}}.bg-${name}{background:${dark ? darkBg : lightBg}}`,
  ).join('');

/** Self-contained: system fonts only, no external request of any kind. */
export const PAGE_STYLE = [
  ':root{color-scheme:light dark;--fg:#37352f;--muted:#787774;--bg:#fff;--line:#e9e9e7;--soft:#f7f6f3;--link:#2e7bb4}',
  colorRules(false),
  // Later in the sheet, so the dark palette wins when the reader prefers it.
  '@media (prefers-color-scheme:dark){:root{--fg:#e6e6e4;--muted:#9b9b9b;--bg:#191919;--line:#373737;--soft:#252525;--link:#6ea8dc}',
  `${colorRules(true)}}`,
  'html{background:var(--bg);color:var(--fg)}',
  'body{margin:0;font:16px/1.6 ui-sans-serif,-apple-system,"Segoe UI",Helvetica,Arial,sans-serif}',
  'article{max-width:46rem;margin:0 auto;padding:3rem 1.25rem 5rem;overflow-wrap:break-word}',
  'h1{font-size:2.25rem;line-height:1.2;margin:0 0 1rem}h2{font-size:1.6rem}h3{font-size:1.3rem}h4,h5,h6{font-size:1.1rem}',
  'h2,h3,h4,h5,h6{line-height:1.3;margin:1.6em 0 .4em}',
  'a{color:var(--link)}img,video{max-width:100%;height:auto}audio{width:100%}',
  'code{font:.9em ui-monospace,SFMono-Regular,Menlo,Consolas,monospace;background:var(--soft);padding:.1em .3em;border-radius:4px}',
  'pre{background:var(--soft);padding:1rem;border-radius:6px;overflow:auto}pre code{background:none;padding:0}',
  'blockquote{margin:1em 0;padding:0 1em;border-left:3px solid var(--fg)}',
  'table{border-collapse:collapse;margin:1em 0;display:block;overflow-x:auto}',
  'th,td{border:1px solid var(--line);padding:.35em .6em;text-align:left;vertical-align:top}thead th,tbody th{background:var(--soft)}',
  'table.properties{display:table;border:0;margin:0 0 2rem}table.properties th,table.properties td{border:0;border-bottom:1px solid var(--line);background:none}',
  'table.properties th{color:var(--muted);font-weight:normal;white-space:nowrap;padding-right:1.5rem}',
  '.callout{display:flex;gap:.6rem;padding:1rem;border-radius:6px;background:var(--soft);margin:1em 0}',
  '.callout-body>:first-child{margin-top:0}.callout-body>:last-child{margin-bottom:0}',
  '.icon{display:inline-block;height:1.2em;width:auto;vertical-align:-.2em}',
  '.columns{display:flex;flex-wrap:wrap;gap:1.5rem}.column{flex:1 1 12rem;min-width:0}',
  'details{margin:.5em 0}details>summary{cursor:pointer}details>summary>h2,details>summary>h3,details>summary>h4,details>summary>h5{display:inline}',
  'details>:not(summary){margin-left:1.5rem}.indent{margin-left:1.5rem}',
  'figure{margin:1.5em 0}figcaption,.caption,.meeting-time{color:var(--muted);font-size:.9em}',
  '.page-link::before{content:"↗ ";color:var(--muted)}.unsupported{color:var(--muted);font-style:italic}',
  'li.task-list-item{list-style:none}li.task-list-item input{margin:0 .4em 0 -1.3em}',
  // Equations are MathML, laid out by the browser; only LaTeX KaTeX could not read is shown as code.
  '.math-display{overflow-x:auto;margin:1em 0}.math-display math{font-size:1.15em}',
  '.math-error code{white-space:pre-wrap}.math-note{color:var(--muted)}',
  '.meeting-notes{border:1px solid var(--line);border-radius:6px;padding:0 1rem;margin:1em 0}',
  'hr{border:0;border-top:1px solid var(--line);margin:2em 0}',
].join('\n');

/** A hast element (the writers and the Markdown preview build their trees with these two). */
export const element = (tagName: string, properties: Element['properties'], children: ElementContent[] = []): Element => ({
  type: 'element',
  tagName,
  properties,
  children,
});

export const text = (value: string): ElementContent => ({ type: 'text', value });

export interface HtmlDocumentOptions {
  title: string;
  /** Sanitised content of the page. */
  content: Root;
  /** Extra `<meta name content>` entries (e.g. the Notion id). */
  meta?: Record<string, string>;
  /** The page's language, where it is known (the exported pages' is Notion's, so it is left out). */
  lang?: string;
  /** Rules added after PAGE_STYLE. */
  style?: string;
  /** A small script of our own, inline at the end of the body (the page must work without it). */
  script?: string;
  /** Classes of the article (`wide` lets a database's table use the whole window). */
  articleClass?: string[];
}

/** One node as HTML, as it is written inside a document. */
export const htmlOf = (node: ElementContent): string => toHtml(node);

/**
 * A standalone HTML document around sanitised content: doctype, UTF-8, title, the embedded style
 * sheet. No web fonts, no external style sheets, and no script but an optional one of our own.
 */
export function renderHtmlDocument({ title, content, meta = {}, lang, style, script, articleClass }: HtmlDocumentOptions): string {
  const head = element('head', {}, [
    element('meta', { charSet: 'utf-8' }),
    element('meta', { name: 'viewport', content: 'width=device-width, initial-scale=1' }),
    ...Object.entries(meta).map(([name, value]) => element('meta', { name, content: value })),
    element('title', {}, [text(title)]),
    element('style', {}, [text(style ? `${PAGE_STYLE}\n${style}` : PAGE_STYLE)]),
  ]);
  const article = element('article', articleClass ? { className: articleClass } : {}, content.children as ElementContent[]);
  // The script is ours (a constant), never content: hast-util-to-html writes a script's text raw.
  const scripts = script ? [element('script', {}, [text(script)])] : [];
  const tree: Root = {
    type: 'root',
    children: [{ type: 'doctype' }, element('html', lang ? { lang } : {}, [head, element('body', {}, [article, ...scripts])])],
  };
  return `${toHtml(tree)}\n`;
}
