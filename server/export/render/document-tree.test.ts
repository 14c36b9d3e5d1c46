import type { BlockObjectResponse, PageObjectResponse } from '@notionhq/client/build/src/api-endpoints';
import type { Nodes, Root } from 'mdast';
import { describe, expect, it, vi } from 'vitest';
import YAML from 'yaml';
import {
  blocksToMdast,
  createSlugger,
  frontMatterYaml,
  iconNode,
  orderedPropertyNames,
  pageTitleOf,
  pageToMdast,
} from './document-tree';
import type { BlockNode } from './block-node';
import {
  block,
  dataSourceWithEveryProperty,
  everyBlock,
  modernise,
  pageWithEveryProperty,
  paragraph,
  sample,
  text,
} from './notion-fixtures';

const childPage = sample<PageObjectResponse>('v2025-09-03_pages.retrieve__page-parent.json');

/** Node types in document order (depth first), e.g. to see what a block became. */
function types(node: Nodes): string[] {
  const own = [node.type];
  return 'children' in node ? [...own, ...node.children.flatMap((child) => types(child))] : own;
}

function texts(node: Nodes): string {
  if ('value' in node && typeof node.value === 'string' && node.type !== 'yaml') return node.value;
  return 'children' in node ? node.children.map((child) => texts(child)).join('|') : '';
}

const tree = (blocks: BlockNode[], ctx = {}): Root => blocksToMdast(blocks, ctx);

describe('blocksToMdast: every block type of the SDK union', () => {
  const all = everyBlock();
  const expected: { [T in BlockObjectResponse['type']]: string[] } = {
    paragraph: ['paragraph'],
    heading_1: ['heading'],
    heading_2: ['heading'],
    heading_3: ['toggle'],
    heading_4: ['heading'],
    bulleted_list_item: ['list'],
    numbered_list_item: ['list'],
    quote: ['blockquote'],
    to_do: ['list'],
    toggle: ['toggle'],
    template: ['paragraph', 'container'],
    synced_block: ['paragraph'],
    child_page: ['paragraph'],
    child_database: ['paragraph'],
    equation: ['math'],
    code: ['code', 'paragraph'],
    callout: ['callout'],
    divider: ['thematicBreak'],
    breadcrumb: [],
    table_of_contents: ['list'],
    tab: ['container'],
    column_list: ['container'],
    column: ['container'],
    link_to_page: ['paragraph'],
    table: ['table'],
    table_row: ['table'],
    meeting_notes: ['container'],
    transcription: ['container'],
    embed: ['media'],
    bookmark: ['media'],
    image: ['media'],
    video: ['media'],
    pdf: ['media'],
    file: ['media'],
    audio: ['media'],
    link_preview: ['media'],
    unsupported: ['paragraph'],
  };

  for (const [type, nodes] of Object.entries(expected)) {
    it(`renders ${type}`, () => {
      const source = all[type as BlockObjectResponse['type']];
      // The table of contents needs headings to list.
      const blocks = type === 'table_of_contents' ? [source, all.heading_1] : [source];
      const result = tree(blocks);
      expect(result.children.slice(0, nodes.length).map((node) => node.type)).toEqual(nodes);
      const placeholder = type === 'unsupported' ? '[Unsupported block: ai_block]' : undefined;
      if (placeholder) expect(texts(result)).toBe(placeholder);
      else expect(texts(result)).not.toContain('Unsupported block');
    });
  }

  it('renders a block type newer than the SDK as a visible placeholder', () => {
    const future = { ...paragraph(text('x')), type: 'ai_summary' } as unknown as BlockNode;
    expect(texts(tree([future]))).toBe('[Unsupported block: ai_summary]');
  });

  it('keeps the children of unsupported blocks', () => {
    const unsupported = block('unsupported', { block_type: 'form' }, [paragraph(text('kept'))]);
    expect(texts(tree([unsupported]))).toBe('[Unsupported block: form]|kept');
  });

  it('skips link_to_page blocks that point at comments', () => {
    expect(tree([block('link_to_page', { type: 'comment_id', comment_id: 'c1' })]).children).toEqual([]);
  });
});

describe('blocksToMdast: structure', () => {
  it('groups consecutive list items of one kind, nests children and keeps to-do state', () => {
    const result = tree([
      block('bulleted_list_item', { rich_text: [text('a')], color: 'default' }, [
        block('numbered_list_item', { rich_text: [text('a.1')], color: 'default', list_format: 'letters' }),
      ]),
      block('bulleted_list_item', { rich_text: [text('b')], color: 'red' }),
      block('to_do', { rich_text: [text('c')], color: 'default', checked: false }),
    ]);
    expect(result.children.map((node) => node.type)).toEqual(['list', 'list']);
    const [bullets, todos] = result.children as [Extract<Nodes, { type: 'list' }>, Extract<Nodes, { type: 'list' }>];
    expect(bullets.children).toHaveLength(2);
    expect(bullets.children[1].data?.hProperties?.className).toEqual(['color-red']);
    const nested = bullets.children[0].children[1] as Extract<Nodes, { type: 'list' }>;
    expect(nested).toMatchObject({ type: 'list', ordered: true, start: 1, data: { hProperties: { type: 'a' } } });
    expect(todos.children[0].checked).toBe(false);
  });

  it('gives headings GitHub-style anchors and lists them in the table of contents, nested by level', () => {
    const result = tree([
      block('table_of_contents', { color: 'default' }),
      block('heading_1', { rich_text: [text('Intro: *why*?')], color: 'default', is_toggleable: false }),
      block('heading_2', { rich_text: [text('Details')], color: 'default', is_toggleable: false }),
      block('toggle', { rich_text: [text('More')], color: 'default' }, [
        block('heading_3', { rich_text: [text('Details')], color: 'default', is_toggleable: false }),
      ]),
      block('heading_1', { rich_text: [text('Ende — Ünïcödé')], color: 'default', is_toggleable: false }),
      block('heading_2', { rich_text: [], color: 'default', is_toggleable: false }),
    ]);
    const toc = result.children[0];
    expect(toc.type).toBe('list');
    expect(toc.data?.hProperties?.className).toEqual(['toc']);
    const links: string[] = [];
    const visit = (node: Nodes, depth: number) => {
      if (node.type === 'link') links.push(`${depth}:${node.url}:${texts(node)}`);
      if ('children' in node) for (const child of node.children) visit(child, depth + (node.type === 'list' ? 1 : 0));
    };
    visit(toc, 0);
    expect(links).toEqual([
      '1:#intro-why:Intro: *why*?',
      '2:#details:Details',
      '3:#details-1:Details',
      '1:#ende--ünïcödé:Ende — Ünïcödé',
    ]);
    const heading = result.children[1];
    expect(heading).toMatchObject({ type: 'heading', depth: 2, data: { hProperties: { id: 'intro-why' } } });
    // An empty heading renders nothing and gets no anchor.
    expect(result.children.filter((node) => node.type === 'heading')).toHaveLength(3);
  });

  it('renders no table of contents on a page without headings', () => {
    expect(tree([block('table_of_contents', { color: 'default' }), paragraph(text('x'))]).children.map((n) => n.type)).toEqual([
      'paragraph',
    ]);
  });

  it('makes a toggleable heading a toggle whose summary is the heading', () => {
    const [toggle] = tree([
      block('heading_2', { rich_text: [text('Open')], color: 'blue', is_toggleable: true }, [paragraph(text('inside'))]),
    ]).children;
    expect(toggle.type).toBe('toggle');
    expect(types(toggle)).toEqual(['toggle', 'heading', 'text', 'paragraph', 'text']);
    expect(toggle.type === 'toggle' && toggle.children[0].data?.hProperties).toEqual({ id: 'open', className: ['color-blue'] });
  });

  it('renders synced blocks through their children: the original, and a reference given the original’s children', () => {
    const [original, reference] = sample<BlockNode[]>('blocks__synced_block-original-and-reference.json');
    original.children = [paragraph(text('shared text'))];
    reference.children = original.children;
    expect(texts(tree([original, reference]))).toBe('shared text|shared text');
    // A reference whose original could not be fetched has no children and renders nothing.
    expect(tree([{ ...reference, children: undefined }]).children).toEqual([]);
  });

  it('keeps columns in order inside a columns container', () => {
    const jomei = sample<BlockNode[]>('blocks__callout-child_database-column_list.json');
    const columns = jomei.find((b) => b.type === 'column_list')!;
    columns.children = [
      block('column', {}, [paragraph(text('left'))]),
      block('column', {}, [paragraph(text('right'))]),
    ];
    const result = tree([columns]);
    expect(types(result)).toEqual(['root', 'container', 'container', 'paragraph', 'text', 'container', 'paragraph', 'text']);
    expect(texts(result)).toBe('left|right');
  });

  it('passes hosted media through linkForFile with the block id, and marks local copies', () => {
    const all = everyBlock();
    const linkForFile = vi.fn((ref: { blockId?: string; url: string; name?: string }) =>
      ref.url.includes('report') ? 'files/report final.xlsx' : undefined,
    );
    const result = tree([all.file, all.image, all.bookmark, all.embed, all.link_preview, all.video], { linkForFile });
    expect(linkForFile).toHaveBeenCalledTimes(3);
    expect(linkForFile).toHaveBeenCalledWith({ blockId: all.file.id, url: expect.stringContaining('report%20final.xlsx'), name: 'report final.xlsx' });
    expect(result.children[0]).toMatchObject({ type: 'media', kind: 'file', url: 'files/report final.xlsx', local: true, label: 'report final.xlsx' });
    expect(result.children[1]).toMatchObject({ type: 'media', kind: 'image', local: false, label: 'cat.png' });
    expect(result.children[2]).toMatchObject({ type: 'media', kind: 'bookmark', url: 'https://example.com/bookmark', label: 'https://example.com/bookmark' });
  });

  it('links child pages, databases and link_to_page targets through linkForPage and titleForPage', () => {
    const all = everyBlock();
    const target = '2e596511-572a-414c-af28-bc18da70cc7b';
    const ctx = {
      linkForPage: (id: string) => ({ [all.child_page.id]: 'Child.md', [target]: 'Target.md' })[id],
      titleForPage: (id: string) => (id === target ? 'Target page' : undefined),
    };
    const result = tree([all.child_page, all.child_database, all.link_to_page], ctx);
    expect(result.children.map((node) => texts(node))).toEqual(['Child page', 'Child database', 'Target page']);
    expect(types(result)).toEqual(['root', 'paragraph', 'link', 'text', 'paragraph', 'text', 'paragraph', 'link', 'text']);
    // Without a title, the id is shown.
    expect(texts(tree([all.link_to_page]))).toBe(target);
  });

  it('renders callout icons of every kind', () => {
    const icons = [
      { type: 'emoji', emoji: '💡' },
      { type: 'custom_emoji', custom_emoji: { id: 'e', name: 'party', url: 'https://s3/party.png' } },
      { type: 'external', external: { url: 'https://img.example/i.svg' } },
      { type: 'file', file: { url: 'https://s3/icon.png', expiry_time: '' } },
      { type: 'icon', icon: { name: 'book-closed', color: 'lightgray' } },
      null,
    ] as const;
    const callouts = icons.map((icon) => block('callout', { rich_text: [text('c')], color: 'default', icon: icon as never }));
    const result = tree(callouts, { linkForFile: ({ url }: { url: string }) => (url.includes('icon.png') ? 'icon.png' : undefined) });
    expect(result.children.map((node) => (node.type === 'callout' ? node.icon : 'not a callout'))).toEqual([
      { type: 'icon', kind: 'emoji', value: '💡' },
      { type: 'icon', kind: 'custom_emoji', value: 'party', url: 'https://s3/party.png' },
      { type: 'icon', kind: 'image', value: 'icon', url: 'https://img.example/i.svg' },
      { type: 'icon', kind: 'image', value: 'icon', url: 'icon.png' },
      undefined,
      undefined,
    ]);
  });

  it('renders the legacy capture (rich text under `text`, normalised) without placeholders', () => {
    const legacy = modernise(sample<{ results: unknown[] }>('legacy-2021_blocks.children.list__real-capture-many-types.json')) as {
      results: BlockNode[];
    };
    const result = tree(legacy.results);
    const kinds = new Set(types(result));
    for (const kind of ['heading', 'list', 'listItem', 'code', 'blockquote', 'callout', 'thematicBreak', 'media']) {
      expect(kinds).toContain(kind);
    }
    expect(texts(result)).not.toContain('Unsupported');
  });

  it('describes meeting notes with their title and time', () => {
    const notes = sample<BlockNode>('block__meeting_notes.json');
    notes.children = [paragraph(text('Summary'))];
    expect(texts(tree([notes]))).toBe('Team Sync|2026-02-24 10:00 UTC → 2026-02-24 10:45 UTC|Summary');
    const untitled = block('meeting_notes', {});
    expect(texts(tree([untitled]))).toBe('Meeting notes');
  });
});

describe('pageToMdast', () => {
  it('starts with YAML front matter and the title as H1', () => {
    const result = pageToMdast(childPage, [paragraph(text('x'))]);
    expect(result.children.map((node) => node.type)).toEqual(['yaml', 'heading', 'paragraph']);
    expect(result.children[1]).toEqual({ type: 'heading', depth: 1, children: [{ type: 'text', value: pageTitleOf(childPage) }] });
  });

  it('falls back to "Untitled"', () => {
    expect(pageTitleOf({ ...childPage, properties: {} })).toBe('Untitled');
    const blank = { ...childPage, properties: { title: { id: 'title', type: 'title', title: [] } } };
    expect(pageTitleOf(blank as unknown as PageObjectResponse)).toBe('Untitled');
  });
});

describe('frontMatterYaml', () => {
  it('orders properties title first, then as the data source schema lists them', () => {
    const page = pageWithEveryProperty();
    const dataSource = dataSourceWithEveryProperty();
    const order = orderedPropertyNames(page, dataSource);
    expect(order[0]).toBe('Name');
    expect(order.slice(1)).toEqual(Object.keys(dataSource.properties).filter((name) => name !== 'Name'));
    expect(orderedPropertyNames(page)).toEqual(['Name', ...Object.keys(page.properties).filter((name) => name !== 'Name')]);
  });

  it('writes relations as titles and people as names when the context knows them', () => {
    const page = pageWithEveryProperty();
    const data = YAML.parse(
      frontMatterYaml(page, {
        titleForPage: (id) => (id === 'rel-1' ? 'First' : undefined),
        userName: (id) => (id === 'u1' ? 'Ada Lovelace' : undefined),
      }),
    );
    expect(data.Related).toEqual(['First', 'rel-2']);
    expect(data.People).toEqual(['Ada Lovelace', 'Team']);
    expect(data.Author).toBe('Ada Lovelace');
    expect(data).not.toHaveProperty('Action');
  });
});

describe('createSlugger and iconNode', () => {
  it('numbers repeated anchors and never returns an empty one', () => {
    const slug = createSlugger();
    expect([slug('A b'), slug('A b'), slug('a-b'), slug('!!!'), slug('!!!')]).toEqual(['a-b', 'a-b-1', 'a-b-2', 'section', 'section-1']);
  });

  it('gives nothing for pages without an icon', () => {
    expect(iconNode(null, {})).toBeUndefined();
  });
});
