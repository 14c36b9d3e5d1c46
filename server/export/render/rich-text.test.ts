import type { PhrasingContent } from 'mdast';
import { describe, expect, it } from 'vitest';
import { mention, text } from './notion-fixtures';
import { colorClass, notionIdOfUrl, phrasingText, resolveLink, richTextToPhrasing, withoutLinks } from './rich-text';

const flow = { breaks: true };

describe('richTextToPhrasing', () => {
  it('nests marks outer to inner: link, strikethrough, bold, italic, underline, colour', () => {
    const nodes = richTextToPhrasing(
      [text('x', { bold: true, italic: true, strikethrough: true, underline: true, color: 'red' }, 'https://e.com')],
      {},
      flow,
    );
    expect(nodes).toEqual([
      {
        type: 'link',
        url: 'https://e.com',
        children: [
          {
            type: 'delete',
            children: [
              {
                type: 'strong',
                children: [
                  {
                    type: 'emphasis',
                    children: [{ type: 'styled', tag: 'u', children: [{ type: 'styled', tag: 'span', className: ['color-red'], children: [{ type: 'text', value: 'x' }] }] }],
                  },
                ],
              },
            ],
          },
        ],
      },
    ]);
  });

  it('reads items without annotations (as some payloads have) and names untitled page mentions', () => {
    const bare = { type: 'text', text: { content: 'plain', link: null }, plain_text: 'plain', href: null } as never;
    const empty = mention({ type: 'page', page: { id: 'p' } }, '');
    expect(richTextToPhrasing([bare, empty], { titleForPage: () => '' }, flow)).toEqual([{ type: 'text', value: 'plainUntitled' }]);
  });

  it('drops blanks and breaks at the edges, also inside underline/colour', () => {
    const nodes = richTextToPhrasing([text(' \n a ', { underline: true }), text(' ', { color: 'red' })], {}, flow);
    expect(nodes).toEqual([{ type: 'styled', tag: 'u', children: [{ type: 'text', value: 'a' }] }]);
    expect(richTextToPhrasing([text('  ')], {}, flow)).toEqual([]);
    expect(richTextToPhrasing(undefined, {}, flow)).toEqual([]);
  });
});

describe('links and helpers', () => {
  it('recognises Notion page URLs', () => {
    expect(notionIdOfUrl('/2e596511572a414caf28bc18da70cc7b#block')).toBe('2e596511572a414caf28bc18da70cc7b');
    expect(notionIdOfUrl('https://acme.notion.site/Page-2e596511572a414caf28bc18da70cc7b')).toBe('2e596511572a414caf28bc18da70cc7b');
    expect(notionIdOfUrl('https://example.com/2e596511572a414caf28bc18da70cc7b')).toBeUndefined();
    expect(resolveLink(null, {})).toBeUndefined();
    expect(resolveLink('/2e596511572a414caf28bc18da70cc7b', {})).toBe('/2e596511572a414caf28bc18da70cc7b');
  });

  it('maps colours to classes', () => {
    expect(colorClass('red')).toBe('color-red');
    expect(colorClass('red_background')).toBe('bg-red');
    expect(colorClass('default')).toBeUndefined();
    expect(colorClass('default_background')).toBeUndefined();
    expect(colorClass('Not-A-Colour')).toBeUndefined();
    expect(colorClass(undefined)).toBeUndefined();
  });

  it('removes links and reads text of phrasing', () => {
    const nodes: PhrasingContent[] = [
      { type: 'text', value: 'a ' },
      { type: 'link', url: 'u', children: [{ type: 'strong', children: [{ type: 'text', value: 'b' }] }] },
      { type: 'break' },
      { type: 'icon', kind: 'emoji', value: '🙂' },
      { type: 'icon', kind: 'custom_emoji', value: 'ok' },
      { type: 'icon', kind: 'image', value: 'icon', url: 'i.png' },
      { type: 'inlineMath', value: 'x' },
    ];
    expect(withoutLinks(nodes)).toEqual([
      { type: 'text', value: 'a ' },
      { type: 'strong', children: [{ type: 'text', value: 'b' }] },
      ...nodes.slice(2),
    ]);
    expect(phrasingText(nodes)).toBe('a b 🙂:ok:x');
  });
});
