import { runInNewContext } from 'node:vm';
import MiniSearch from 'minisearch';
import { describe, expect, it } from 'vitest';
import { block, pageWithEveryProperty, text } from '@/server/export/render/notion-fixtures';
import type { BlockNode } from '@/server/export/render/block-node';
import { renderPageHtml } from '@/server/export/render/writers/html';
import { MAX_SEARCH_TEXT, minisearchScript, SEARCH_GLOBAL, SEARCH_SCRIPT, SearchIndexBuilder, searchTextOfBlocks, searchTextOfHtml } from './search-index';

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

  it('writes shards that the search box asks together from file://, best first', () => {
    // Two shards, as an export of more than SEARCH_SHARD_SIZE pages writes them.
    const first = new SearchIndexBuilder();
    first.add(pages[0]);
    first.add({ ...pages[2], title: 'Recipes </script><b>' });
    const second = new SearchIndexBuilder();
    second.add(pages[1]);
    second.add({ id: 'd', title: 'Basil', path: 'Basil.html', text: 'A herb.' });
    const shards = [first.toScript(), second.toScript()];
    for (const shard of shards) expect(shard).not.toContain('</script>');
    // A page in miniature: the elements the inline script reads, then the scripts in index.html's order.
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
    runInNewContext(minisearchScript(), window);
    for (const shard of shards) runInNewContext(shard, window);
    expect(window[SEARCH_GLOBAL]).toHaveLength(2);
    runInNewContext(SEARCH_SCRIPT, window);
    expect(elements.search.hidden).toBe(false);
    const search = (query: string) => {
      elements['search-box'].value = query;
      (elements['search-box'].listeners as Record<string, () => void>).input();
      return (elements['search-results'].children as { children: { href: string; text: string }[] }[]).map((hit) => hit.children[0]);
    };
    expect(search('pastel')).toEqual([expect.objectContaining({ href: 'Home/Travel.html', text: 'Travel' })]);
    expect(elements['search-status'].text).toBe('1 page found.');
    // Found in both shards, the title match (boosted) first.
    expect(search('basil').map((hit) => hit.text)).toEqual(['Basil', expect.any(String), expect.any(String)]);
    expect(elements['search-status'].text).toBe('3 pages found.');
    expect(search('')).toEqual([]);
  });

  it('writes a shard in parts that MiniSearch loads as its own serialisation', () => {
    const builder = new SearchIndexBuilder();
    for (const page of pages) builder.add({ ...page, title: `${page.title} <\u2028>` });
    // Replaced once: the index then counts a discarded document, which its serialisation carries.
    builder.add({ ...pages[0], text: 'Courgettes instead.' });
    const window: Record<string, unknown> = {};
    window.window = window;
    runInNewContext(builder.toScript(), window);
    const [pushed] = window[SEARCH_GLOBAL] as { options: unknown; index: unknown }[];
    const own = (builder as unknown as { index: MiniSearch }).index;
    expect(pushed.options).toEqual({ fields: ['title', 'text'], storeFields: ['title', 'path'] });
    expect(pushed.index).toEqual(JSON.parse(JSON.stringify(own.toJSON())));
    expect(builder.toScript()).not.toMatch(/[<\u2028\u2029]/);
    const loaded = MiniSearch.loadJS(pushed.index as never, { fields: ['title', 'text'], storeFields: ['title', 'path'] });
    expect(loaded.search('courgettes').map((hit) => hit.id)).toEqual(['a']);
  });

  it('reads a page’s text from its exported HTML: the article only, entities decoded, bounded', () => {
    const html = renderPageHtml(pageWithEveryProperty(), [
      block('paragraph', { rich_text: [text('Fish & chips <5 \u20ac')] } as never),
      block('equation', { expression: 'e^{i\\pi}' }),
    ] as BlockNode[], {});
    const found = searchTextOfHtml(html, 100_000);
    expect(found).toContain('Fish & chips <5 €');
    // Not the style sheet, and not the LaTeX kept as the equation's annotation.
    expect(found).not.toContain('color-scheme');
    expect(found).not.toContain('\\pi');
    expect(searchTextOfHtml(html, 10)).toHaveLength(10);
    // A prefix cut inside a tag or a style sheet still gives text.
    expect(searchTextOfHtml('<article><p>Cut he')).toBe('Cut he');
    expect(searchTextOfHtml('<p>No article &amp; &#x26; &#38; &bogus;</p><style>x{}')).toBe('No article & & & &bogus;');
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
