import type { Element, ElementContent } from 'hast';
import type KaTeX from 'katex';
import { element, text } from './html-document';


let loaded: typeof KaTeX | undefined;
/**
 * KaTeX, loaded at the first equation: its symbol and font tables cost a long-running worker
 * about 8 MB resident from start-up, and most workspaces have few equations or none.
 */
function katex(): typeof KaTeX {
  // A synchronous load on first use (bundled lazily by esbuild and Next).
  loaded ??= require('katex') as typeof KaTeX;
  return loaded;
}

/** KaTeX's MathML elements and the attributes it writes (the sanitiser lets these through). */
export const MATHML_TAGS = [
  'math',
  'semantics',
  'annotation',
  'mrow',
  'mi',
  'mn',
  'mo',
  'ms',
  'mtext',
  'mspace',
  'msup',
  'msub',
  'msubsup',
  'mfrac',
  'msqrt',
  'mroot',
  'mstyle',
  'mtable',
  'mtr',
  'mtd',
  'mover',
  'munder',
  'munderover',
  'mpadded',
  'mphantom',
  'menclose',
  'merror',
  'mglyph',
  'mlabeledtr',
] as const;

export const MATHML_ATTRIBUTES = [
  'display',
  'encoding',
  'mathvariant',
  'mathcolor',
  'mathbackground',
  'mathsize',
  'stretchy',
  'fence',
  'separator',
  'lspace',
  'rspace',
  'width',
  'height',
  'depth',
  'voffset',
  'accent',
  'accentunder',
  'linethickness',
  'scriptlevel',
  'displaystyle',
  'minsize',
  'maxsize',
  'symmetric',
  'largeop',
  'movablelimits',
  'notation',
  'columnalign',
  'columnlines',
  'columnspacing',
  'rowalign',
  'rowlines',
  'rowspacing',
  'frame',
  'framespacing',
  'equalrows',
  'equalcolumns',
  'side',
  'bevelled',
  'form',
] as const;

const ENTITIES: Record<string, string> = { amp: '&', lt: '<', gt: '>', quot: '"', apos: "'" };
const decode = (value: string) =>
  value.replace(/&(#x[\da-f]+|#\d+|\w+);/gi, (whole, name: string) => {
    if (name[0] === '#') return String.fromCodePoint(name[1] === 'x' || name[1] === 'X' ? Number.parseInt(name.slice(2), 16) : Number(name.slice(1)));
    return ENTITIES[name] ?? whole;
  });

/**
 * KaTeX's MathML markup as hast. The markup is KaTeX's own, always well formed (tags, double-quoted
 * attributes, escaped text), so a small reader suffices; whatever it yields still goes through the
 * sanitiser with the rest of the page.
 */
export function mathMlToHast(markup: string): ElementContent[] {
  const root: Element = element('root', {});
  const stack: Element[] = [root];
  const token = /<\/([\w-]+)\s*>|<([\w-]+)((?:\s+[\w:-]+="[^"]*")*)\s*(\/?)>|([^<]+)/g;
  for (const match of markup.matchAll(token)) {
    const [, closing, opening, attributes, selfClosing, content] = match;
    const parent = stack[stack.length - 1];
    if (content !== undefined) parent.children.push(text(decode(content)));
    else if (closing !== undefined) {
      if (stack.length > 1) stack.pop();
    } else if (opening !== undefined) {
      const properties: Record<string, string> = {};
      for (const [, name, value] of (attributes ?? '').matchAll(/([\w:-]+)="([^"]*)"/g)) properties[name] = decode(value);
      const child = element(opening, properties);
      parent.children.push(child);
      if (!selfClosing) stack.push(child);
    }
  }
  return root.children;
}

/**
 * An equation as MathML (with the LaTeX kept as its annotation), rendered on the server: the page
 * needs no script and no style sheet for it. LaTeX KaTeX cannot read stays as code, with a note.
 */
export function renderMath(latex: string, display: boolean): Element {
  const className = ['math', display ? 'math-display' : 'math-inline'];
  const tag = display ? 'div' : 'span';
  let markup: string;
  try {
    markup = katex().renderToString(latex, { output: 'mathml', displayMode: display, throwOnError: true, strict: 'ignore', trust: false });
  } catch (error) {
    const reason = error instanceof katex().ParseError ? error.rawMessage : 'it could not be rendered';
    return element(tag, { className: [...className, 'math-error'] }, [
      element('code', {}, [text(latex)]),
      text(' '),
      element('small', { className: ['math-note'] }, [text(`(equation shown as LaTeX: ${reason})`)]),
    ]);
  }
  // KaTeX wraps the <math> in a <span class="katex">; the page's own wrapper replaces it.
  const math = mathMlToHast(markup).flatMap((node) => (node.type === 'element' && node.tagName === 'span' ? node.children : [node]));
  return element(tag, { className }, math);
}
