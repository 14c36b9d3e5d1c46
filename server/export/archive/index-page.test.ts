import { describe, expect, it } from 'vitest';
import { expectGolden } from '@/server/testing/golden';
import type { ArchiveItem } from './archive-model';
import { compareTitles, type ExportFacts, outlineOf, outlineOfTable, parentIndexes, renderIndexHtml, renderIndexMarkdown, workspaceTree } from './index-page';

const facts: ExportFacts = {
  exportId: 'exp-1',
  finishedAt: '2026-12-02T10:31:00.000Z',
  formats: ['markdown', 'html', 'csv'],
  mode: 'full',
  counts: { pages: 5, databases: 1, dataSources: 1, attachments: 3, skipped: 1 },
};

const both = (stem: string) => ({ html: `${stem}.html`, markdown: `${stem}.md` });

/** A small workspace: two top-level pages, a database with rows, a title that tries to be HTML and Markdown. */
const SAMPLE_ITEMS: ArchiveItem[] = [
  { id: 'p-home', kind: 'page', title: 'Home', parentId: null, paths: both('Home 1') },
  { id: 'd-tasks', kind: 'database', title: 'Tasks', parentId: 'p-home', paths: both('Home 1/Tasks 2') },
  { id: 'r-2', kind: 'page', title: 'Write the #2 report?', parentId: 'd-tasks', paths: both('Home 1/Tasks 2/Write the #2 report 4') },
  { id: 'r-1', kind: 'page', title: 'Buy milk', parentId: 'd-tasks', paths: both('Home 1/Tasks 2/Buy milk 3') },
  { id: 'p-evil', kind: 'page', title: '<script>alert(1)</script> & [link](x) *bold*', parentId: null, paths: both('_deep/evil 5') },
  { id: 'p-blank', kind: 'page', title: '  ', parentId: 'p-home', paths: { json: 'Home 1/Untitled 6.json' } },
];

describe('index.html and index.md', () => {
  it('renders the workspace tree, the facts and the links (golden)', () => {
    const html = renderIndexHtml({ facts, items: SAMPLE_ITEMS }, { searchShards: 2 });
    expectGolden(import.meta.dirname, 'index.html', html);
    expectGolden(import.meta.dirname, 'index.md', renderIndexMarkdown({ facts, items: SAMPLE_ITEMS }));
  });

  it('without the search box when the export has no HTML search index, and says when it is empty', () => {
    const html = renderIndexHtml({ facts: { ...facts, mode: 'sync' }, items: [] }, { searchShards: 0 });
    expectGolden(import.meta.dirname, 'index-empty.html', html);
    expect(html).not.toContain('<script');
    expect(renderIndexMarkdown({ facts, items: [] })).toContain('This export holds no pages.');
  });

  it('escapes titles and encodes links', () => {
    const html = renderIndexHtml({ facts, items: SAMPLE_ITEMS }, { searchShards: 0 });
    expect(html).not.toContain('<script>alert');
    expect(html).toContain('&lt;script&gt;alert(1)&lt;/script&gt; &amp; [link](x) *bold*');
    expect(html).toContain('href="Home%201/Tasks%202/Write%20the%20%232%20report%204.html"');
    const md = renderIndexMarkdown({ facts, items: SAMPLE_ITEMS });
    expect(md).toContain('[\\<script\\>alert(1)\\</script\\> \\& \\[link\\](x) \\*bold\\*](<_deep/evil%205.md>)');
  });

  it('refuses a path that leaves the export', () => {
    const bad = [{ ...SAMPLE_ITEMS[0], paths: { html: '../outside.html' } }];
    expect(() => renderIndexHtml({ facts, items: bad }, { searchShards: 0 })).toThrow(/inside the export/);
  });

  it('places items whose parent is missing or that form a cycle at the top, each once', () => {
    const items: ArchiveItem[] = [
      { id: 'a', kind: 'page', title: 'A', parentId: 'b', paths: {} },
      { id: 'b', kind: 'page', title: 'B', parentId: 'a', paths: {} },
      { id: 'c', kind: 'page', title: 'C', parentId: 'gone', paths: {} },
      { id: 'd', kind: 'page', title: 'D', parentId: 'd', paths: {} },
    ];
    const roots = workspaceTree(items);
    const seen = (nodes: typeof roots): string[] => nodes.flatMap((n) => [n.item.id, ...seen(n.children)]);
    expect(seen(roots).sort()).toEqual(['a', 'b', 'c', 'd']);
    expect(roots.map((r) => r.item.id)).toEqual(expect.arrayContaining(['c', 'd']));
  });

  it('renders 10,000 items, 200 levels deep in places, in bounded time', () => {
    const items: ArchiveItem[] = [];
    for (let i = 0; i < 10_000; i++) {
      const parentId = i === 0 ? null : i < 200 ? `n${i - 1}` : `n${i % 97}`;
      items.push({ id: `n${i}`, kind: i % 50 === 0 ? 'database' : 'page', title: `Page ${i}`, parentId, paths: { html: `p/${i}.html`, markdown: `p/${i}.md` } });
    }
    const started = performance.now();
    const html = renderIndexHtml({ facts, items }, { searchShards: 0 });
    const md = renderIndexMarkdown({ facts, items });
    const elapsed = performance.now() - started;
    expect(html.match(/<li>(<details( open)?><summary>)?<a /g)?.length).toBe(10_000);
    expect(html.match(/<details/g)?.length).toBe(html.match(/<\/details>/g)?.length);
    expect(md.split('\n').filter((l) => l.trimStart().startsWith('- ')).length).toBe(10_000);
    expect(elapsed).toBeLessThan(3_000);
  });

  describe('items held in parallel arrays', () => {
    /** A workspace with everything the tree must handle: equal titles, numbers in titles, missing parents, cycles, self-parents. */
    function randomItems(seed: number, n: number): ArchiveItem[] {
      let state = seed;
      const next = (k: number) => {
        state = (state * 1103515245 + 12345) % 2147483648;
        return state % k;
      };
      const titles = ['Plan', 'plan', 'Page 2', 'Page 10', 'Ärger', 'Zebra', '', 'Notes'];
      return Array.from({ length: n }, (_, i) => {
        const roll = next(10);
        const parentId = roll === 0 ? null : roll === 1 ? 'gone' : roll === 2 ? `i${String(i).padStart(4, '0')}` : `i${String(next(n)).padStart(4, '0')}`;
        return { id: `i${String(i).padStart(4, '0')}`, kind: 'page', title: titles[next(titles.length)], parentId, paths: {} };
      });
    }

    it('gives the same outline as the tree of objects, cycles and missing parents included', () => {
      for (const seed of [1, 2, 3, 42, 1234]) {
        const items = randomItems(seed, 300);
        const expected = [...outlineOf(workspaceTree(items), (item) => item)].map((e) => [e.item.id, e.depth, e.children]);
        const ids = items.map((item) => item.id);
        const parents = parentIndexes(
          ids,
          items.map((item) => item.parentId),
        );
        const actual = [...outlineOfTable(ids, items.map((item) => item.title), parents)].map((e) => [ids[e.index], e.depth, e.children]);
        expect(actual).toEqual(expected);
        expect(actual).toHaveLength(300);
      }
    });

    it('finds parents by binary search in sorted ids, and by a map when the ids are not in order', () => {
      expect([...parentIndexes(['a', 'b', 'c'], ['c', null, 'x'])]).toEqual([2, -1, -1]);
      expect([...parentIndexes(['c', 'a', 'b'], ['b', 'c', 'zz'])]).toEqual([2, 0, -1]);
      expect([...parentIndexes([], [])]).toEqual([]);
    });
  });
});

describe('compareTitles', () => {
  it('orders as the reader expects: accents and case aside, numbers by value, without ICU', () => {
    const titles = ['Page 10', 'page 2', 'Éclair', 'eclairs', 'Apple', 'Page 02b', 'zebra', 'Zoë', 'Page 1', 'Ábaco', '10 things', '9 lives'];
    const sorted = [...titles].sort(compareTitles);
    expect(sorted).toEqual(['9 lives', '10 things', 'Ábaco', 'Apple', 'Éclair', 'eclairs', 'Page 1', 'page 2', 'Page 02b', 'Page 10', 'zebra', 'Zoë']);
    // The order Intl.Collator('en', { sensitivity: 'base', numeric: true }) gives for such titles.
    const collator = new Intl.Collator('en', { sensitivity: 'base', numeric: true });
    expect([...titles].sort((a, b) => collator.compare(a, b) || (a < b ? -1 : 1))).toEqual(
      [...titles].sort((a, b) => compareTitles(a, b) || (a < b ? -1 : 1)),
    );
    expect(compareTitles('Résumé', 'resume')).toBe(0);
  });
});
