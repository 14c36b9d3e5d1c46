import { runInNewContext } from 'node:vm';
import { describe, expect, it } from 'vitest';
import { block, text } from '@/server/export/render/notion-fixtures';
import type { BlockNode } from '@/server/export/render/block-node';
import { MAX_SEARCH_TEXT, SEARCH_GLOBAL, SEARCH_SCRIPT, SearchIndexBuilder, searchTextOfBlocks } from './search-index';

const pages = [
  { id: 'a', title: 'Gardening notes', path: 'Home/Gardening notes.html', text: 'Tomatoes need sun. Basil likes warmth.' },
  { id: 'b', title: 'Travel', path: 'Home/Travel.html', text: 'Lisbon trams and pastel de nata.' },
  { id: 'c', title: 'Recipes', path: 'Recipes.html', text: 'Pesto: basil, pine nuts, garlic.' },
];

describe('the search index', () => {
  it('finds pages by title and by a word of their text, titles first', () => {
    const builder = new SearchIndexBuilder();
    for (const page of pages) builder.add(page);
    expect(builder.pageCount).toBe(3);
    expect([builder.has('a'), builder.has('z')]).toEqual([true, false]);
    expect(builder.search('lisbon').map((h) => h.id)).toEqual(['b']);
    expect(builder.search('basil').map((h) => h.id).sort()).toEqual(['a', 'c']);
    expect(builder.search('garden')[0]).toEqual({ id: 'a', title: 'Gardening notes', path: 'Home/Gardening notes.html' });
    expect(builder.search('nothing-like-this')).toEqual([]);
  });

  it('replaces a page added twice and indexes only the first MAX_SEARCH_TEXT characters', () => {
    const builder = new SearchIndexBuilder();
    builder.add(pages[0]);
    builder.add({ ...pages[0], text: `${'filler '.repeat(MAX_SEARCH_TEXT / 7 + 10)} zanzibar` });
    expect(builder.pageCount).toBe(1);
    expect(builder.search('tomatoes')).toEqual([]);
    expect(builder.search('zanzibar')).toEqual([]);
  });

  it('writes a script that loads MiniSearch and the index into a global, and the search box finds pages with it', () => {
    const builder = new SearchIndexBuilder();
    for (const page of pages) builder.add({ ...page, title: page.id === 'c' ? 'Recipes </script><b>' : page.title });
    const script = builder.toScript();
    expect(script).not.toContain('</script>');
    // A page in miniature: the elements the inline script reads, then both scripts as the browser runs them.
    const elements: Record<string, Record<string, unknown>> = {};
    const make = (id: string) => {
      const children: Record<string, unknown>[] = [];
      const el: Record<string, unknown> = { id, hidden: true, value: '', children, listeners: {} as Record<string, () => void> };
      el.appendChild = (child: Record<string, unknown>) => children.push(child);
      el.addEventListener = (type: string, fn: () => void) => ((el.listeners as Record<string, () => void>)[type] = fn);
      Object.defineProperty(el, 'textContent', { set: (v: string) => { if (v === '') children.length = 0; el.text = v; }, get: () => el.text });
      return el;
    };
    for (const id of ['search', 'search-box', 'search-results', 'search-status']) elements[id] = make(id);
    // In a browser the global object is `window`: MiniSearch's UMD build assigns to it.
    const window: Record<string, unknown> = { document: { getElementById: (id: string) => elements[id], createElement: () => make('') } };
    window.window = window;
    const context = window;
    runInNewContext(script, context);
    expect(window[SEARCH_GLOBAL]).toBeDefined();
    runInNewContext(SEARCH_SCRIPT, context);
    expect(elements.search.hidden).toBe(false);
    elements['search-box'].value = 'pastel';
    (elements['search-box'].listeners as Record<string, () => void>).input();
    expect(elements['search-status'].text).toBe('1 page found.');
    const [hit] = elements['search-results'].children as { children: { href: string; text: string }[] }[];
    expect(hit.children[0]).toMatchObject({ href: 'Home/Travel.html', text: 'Travel' });
    elements['search-box'].value = '';
    (elements['search-box'].listeners as Record<string, () => void>).input();
    expect(elements['search-results'].children).toHaveLength(0);
  });

  it('collects the text of a page’s blocks, children included, up to a limit', () => {
    const blocks = [
      block('paragraph', { rich_text: [text('Hello'), text(' world')] } as never),
      { ...block('toggle', { rich_text: [text('More')] } as never), children: [block('paragraph', { rich_text: [text('Inside')] } as never)] },
      block('equation', { expression: 'e=mc^2' }),
      block('image', { type: 'external', external: { url: 'https://x/y.png' }, caption: [text('A photo')] }),
      block('child_page', { title: 'Sub page' }),
      block('divider', {}),
    ] as BlockNode[];
    expect(searchTextOfBlocks(blocks)).toBe('Hello world\nMore\nInside\ne=mc^2\nA photo\nSub page');
    expect(searchTextOfBlocks(blocks, 8)).toBe('Hello wo');
  });

  // Measured with node --expose-gc for 10,000 pages of 1 KB each (3,000-word vocabulary): heap +55 MB
  // after collection, 11 s of adds in all (about 1 ms a page, beside seconds of Notion requests per
  // page), search-index.js 13 MB written in 2.7 s. Here 2,000 pages keep the test quick; the bound
  // is per page, so it fails if what is kept per page grows.
  it('keeps a bounded amount per page (2,000 pages of MAX_SEARCH_TEXT characters)', () => {
    const words = Array.from({ length: 3000 }, (_, i) => `word${i.toString(36)}`);
    const textOf = (i: number) => {
      let out = '';
      for (let n = 0; out.length < MAX_SEARCH_TEXT * 4; n++) out += `${words[(i * 7919 + n * 104729) % words.length]} `;
      return out;
    };
    global.gc?.();
    const before = process.memoryUsage().heapUsed;
    const builder = new SearchIndexBuilder();
    const pages = 2_000;
    for (let i = 0; i < pages; i++) builder.add({ id: `p${i}`, title: `Page ${i}`, path: `p/${i}.html`, text: textOf(i) });
    global.gc?.();
    const perPage = (process.memoryUsage().heapUsed - before) / pages;
    expect(builder.search(words[5]).length).toBeGreaterThan(0);
    // Text past MAX_SEARCH_TEXT is not indexed, so a page costs a few KB whatever its length.
    expect(perPage).toBeLessThan(16 * 1024);
  }, 60_000);
});
