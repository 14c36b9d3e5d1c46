import type { PageObjectResponse } from '@notionhq/client/build/src/api-endpoints';
import { describe, expect, it } from 'vitest';
import type { BlockNode } from '@/server/export/render/block-node';
import { block, equation, mention, pageWithEveryProperty, text } from '@/server/export/render/notion-fixtures';
import { expectGolden } from '@/server/testing/golden';
import { renderPageHtml } from './html';
import { renderPageMarkdown } from './markdown';
import { mathMlToHast } from './math-ml';

/** A page with the equations and people issue 15 names: blocks, inline, invalid LaTeX, mentions, people properties. */
function page(): { page: PageObjectResponse; blocks: BlockNode[] } {
  const base = pageWithEveryProperty();
  const { Name, People, Author, Editor, Verified } = base.properties;
  const row = { ...base, properties: { Name, People, Author, Editor, Verified } } as PageObjectResponse;
  const blocks = [
    block('equation', { expression: 'e^{i\\pi} + 1 = 0' }),
    block('equation', { expression: '\\sum_{k=1}^{n} k = \\frac{n(n+1)}{2}' }),
    block('equation', { expression: '\\frac{1}{' }),
    block('paragraph', { rich_text: [text('Inline '), equation('a^2 + b^2 = c^2'), text(' and broken '), equation('x^{'), text('.')] } as never),
    block('paragraph', {
      rich_text: [
        mention({ type: 'user', user: { object: 'user', id: 'u1' } }, '@Someone'),
        text(' asked '),
        mention({ type: 'user', user: { object: 'user', id: 'u-gone' } }, ''),
      ],
    } as never),
  ] as BlockNode[];
  return { page: row, blocks };
}

const ctx = { userName: (id: string) => ({ u1: 'Ada Lovelace' })[id] };

describe('equations and people by name', () => {
  it('HTML: MathML with the LaTeX as annotation, invalid LaTeX as code with a note, people by name (golden)', () => {
    const { page: p, blocks } = page();
    const html = renderPageHtml(p, blocks, ctx);
    expectGolden(import.meta.dirname, 'math-and-people.html', html);
    expect(html).toContain('<annotation encoding="application/x-tex">e^{i\\pi} + 1 = 0</annotation>');
    expect(html).toContain('<code>\\frac{1}{</code> <small class="math-note">(equation shown as LaTeX:');
    expect(html).not.toContain('<script');
    expect(html).toContain('@u-gone (unknown user)');
  });

  it('Markdown keeps $…$ and $$…$$ (golden)', () => {
    const { page: p, blocks } = page();
    const md = renderPageMarkdown(p, blocks, ctx);
    expectGolden(import.meta.dirname, 'math-and-people.md', md);
    expect(md).toContain('$$\ne^{i\\pi} + 1 = 0\n$$');
    expect(md).toContain('$a^2 + b^2 = c^2$');
  });

  it('reads KaTeX markup: attributes, entities, self-closing elements', () => {
    expect(mathMlToHast('<mi mathvariant="normal">&lt;&#x3B1;&#946;&amp;&unknown;</mi><mspace width="1em"/></x></y>')).toEqual([
      { type: 'element', tagName: 'mi', properties: { mathvariant: 'normal' }, children: [{ type: 'text', value: '<αβ&&unknown;' }] },
      { type: 'element', tagName: 'mspace', properties: { width: '1em' }, children: [] },
    ]);
  });
});
