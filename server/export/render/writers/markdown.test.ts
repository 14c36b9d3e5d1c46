import type { BlockObjectResponse, PageObjectResponse, RichTextItemResponse } from '@notionhq/client/build/src/api-endpoints';
import type { Nodes, Root } from 'mdast';
import { fromMarkdown } from 'mdast-util-from-markdown';
import { frontmatterFromMarkdown } from 'mdast-util-frontmatter';
import { gfmFromMarkdown } from 'mdast-util-gfm';
import { mathFromMarkdown } from 'mdast-util-math';
import { frontmatter } from 'micromark-extension-frontmatter';
import { gfm } from 'micromark-extension-gfm';
import { math } from 'micromark-extension-math';
import { describe, expect, it } from 'vitest';
import YAML from 'yaml';
import { blocksToMdast, type DocumentContext } from '@/server/export/render/document-tree';
import type { BlockNode } from '@/server/export/render/block-node';
import { lowerForMarkdown } from '@/server/export/render/markdown-lowering';
import { pageTitleOf, pageToMdast } from '@/server/export/render/document-tree';
import { propertyPlainValue } from '@/server/export/render/property-format';
import { mdastToMarkdown, renderPageMarkdown } from './markdown';
import {
  block,
  equation,
  everyBlock,
  mention,
  modernise,
  pageWithEveryProperty,
  paragraph,
  SPECIAL,
  sample,
  text,
} from '@/server/export/render/notion-fixtures';

const rowPage = sample<PageObjectResponse>('pages.retrieve__database-row-many-property-types.json');
const childPage = sample<PageObjectResponse>('v2025-09-03_pages.retrieve__page-parent.json');

/** Splits the output into its YAML front matter (parsed) and the Markdown body. */
function split(markdown: string): { data: Record<string, unknown>; body: string } {
  const match = /^---\n([\s\S]*?)\n---\n\n([\s\S]*)$/.exec(markdown);
  if (!match) throw new Error(`no front matter in:\n${markdown}`);
  return { data: YAML.parse(match[1]) as Record<string, unknown>, body: match[2] };
}

const render = (blocks: BlockNode[], ctx: DocumentContext = {}) => split(renderPageMarkdown(childPage, blocks, ctx)).body;
const body = (blocks: BlockNode[], ctx: DocumentContext = {}) => mdastToMarkdown(blocksToMdast(blocks, ctx));

const parse = (markdown: string): Root =>
  fromMarkdown(markdown, {
    extensions: [gfm(), math(), frontmatter(['yaml'])],
    mdastExtensions: [gfmFromMarkdown(), mathFromMarkdown(), frontmatterFromMarkdown(['yaml'])],
  });

/** What a Markdown reader sees of a tree: node types, texts, levels, urls, checks (no positions). */
function shape(node: Nodes): unknown {
  const out: Record<string, unknown> = { type: node.type };
  if ('value' in node) out.value = node.value;
  if (node.type === 'heading') out.depth = node.depth;
  if (node.type === 'list') {
    out.ordered = node.ordered ?? false;
    if (node.ordered) out.start = node.start ?? 1;
  }
  if (node.type === 'listItem' && typeof node.checked === 'boolean') out.checked = node.checked;
  if (node.type === 'link' || node.type === 'image') out.url = node.url;
  if (node.type === 'image') out.alt = node.alt ?? '';
  if (node.type === 'code') out.lang = node.lang ?? null;
  if ('children' in node) out.children = node.children.map((child) => shape(child));
  return out;
}

/** Renders, parses the Markdown back, and expects the same structure as the tree that was rendered. */
function expectRoundTrip(tree: Root): string {
  const markdown = mdastToMarkdown(tree);
  expect(shape(parse(markdown))).toEqual(shape(lowerForMarkdown(tree)));
  return markdown;
}

describe('renderPageMarkdown: one golden per block type', () => {
  const all = everyBlock();
  const hosted = (name: string) => `https://prod-files-secure.s3.us-west-2.amazonaws.com/ws/${name}?X-Amz-Expires=3600`;
  const golden: { [T in BlockObjectResponse['type']]: string } = {
    paragraph: "Paragraph a\\*b_c #d \\[e] f|g \\<h> \\`i\\` \"j\" 'k', l & m \\~n\\~ \\$o\\$ \\p\n",
    heading_1: '## Heading one\n',
    heading_2: '### Heading two\n',
    heading_3: '#### Heading three\n\nInside toggle heading\n',
    heading_4: '##### Heading four\n',
    bulleted_list_item: '- Bullet\n  - Nested bullet\n',
    numbered_list_item: '3. Numbered\n',
    quote: '> Quoted\n',
    to_do: '- [x] Done task\n',
    toggle: '- Toggle summary\n\n  Toggle body\n',
    template: 'Template button\n\nTemplate body\n',
    synced_block: 'Synced content\n',
    child_page: 'Child page\n',
    child_database: 'Child database\n',
    equation: '$$\ne^{i\\pi} + 1 = 0\n$$\n',
    code: '````typescript\nconst x = "```";\n````\n\nCode caption\n',
    callout: '> 💡 Callout text\n',
    divider: '---\n',
    breadcrumb: '',
    table_of_contents: '- [Heading one](#heading-one)\n\n## Heading one\n',
    tab: 'Tab title\n\nTab body\n',
    column_list: 'Left column\n\nRight column\n',
    column: 'Lone column\n',
    link_to_page: '2e596511-572a-414c-af28-bc18da70cc7b\n',
    table: '| Key  | Value |\n| ---- | ----- |\n| a\\|b | 1     |\n',
    table_row: '| Orphan row |\n| ---------- |\n',
    meeting_notes: '**Weekly sync**\n\n2026-02-24 10:00 UTC → 2026-02-24 10:45 UTC\n\nMeeting summary\n',
    transcription: '**Old transcription**\n\n2026-02-24 09:00 UTC\n',
    embed: '[Embed caption](https://example.com/embed)\n',
    bookmark: '<https://example.com/bookmark>\n',
    image: `![A cat](${hosted('cat.png')})\n`,
    video: '[A video](https://videos.example/v.mp4)\n',
    pdf: `[doc.pdf](${hosted('doc.pdf')})\n`,
    file: `[report final.xlsx](${hosted('report%20final.xlsx')})\n`,
    audio: `[A song](${hosted('song.mp3')})\n`,
    link_preview: '<https://github.com/makenotion/notion-sdk-js/pull/1>\n',
    unsupported: '\\[Unsupported block: ai_block]\n',
  };

  for (const [type, expected] of Object.entries(golden)) {
    it(`renders ${type} and parses back to the same structure`, () => {
      const source = all[type as BlockObjectResponse['type']];
      const blocks = type === 'table_of_contents' ? [source, all.heading_1] : [source];
      const markdown = expectRoundTrip(blocksToMdast(blocks));
      expect(markdown).toBe(expected);
    });
  }

  it('renders a whole page of every block type and parses it back to the same structure', () => {
    const tree = pageToMdast(pageWithEveryProperty(), Object.values(everyBlock()));
    const markdown = expectRoundTrip(tree);
    expect(markdown.startsWith('---\nnotion_id: ')).toBe(true);
  });
});

describe('renderPageMarkdown: front matter', () => {
  it('holds id, url, times and every property as a readable value (valid YAML)', () => {
    const { data, body } = split(renderPageMarkdown(rowPage, []));
    expect(data).toEqual({
      notion_id: '59833787-2cf9-4fdf-8782-e53db20768a5',
      url: 'https://www.notion.so/Tuscan-kale-598337872cf94fdf8782e53db20768a5',
      created_time: '2022-03-01T19:05:00.000Z',
      last_edited_time: '2022-07-06T20:25:00.000Z',
      'Store availability': ["Gus's Community Market", 'Rainbow Grocery'],
      'Food group': '🥬 Vegetable',
      Price: 2.5,
      'Responsible Person': ['Cristina Cordova'],
      'Last ordered': '2022-02-22',
      'Cost of next trip': 0,
      Recipes: ['90eeeed8-2cdd-4af4-9cc1-3d24aff5f63c', 'a2da43ee-d43c-4285-8ae2-6d811f12629a'],
      Description: 'A dark green leafy vegetable',
      'In stock': true,
      'Number of meals': 2,
      Photo: 'https://i.insider.com/612fb23c9ef1e50018f93198?width=1136&format=jpeg',
      Name: 'Tuscan kale',
    });
    expect(Object.keys(data)[4]).toBe('Name');
    expect(body.startsWith('# Tuscan kale\n')).toBe(true);
  });

  it('writes every property type with special characters as YAML that parses back', () => {
    const page = pageWithEveryProperty();
    const { data, body } = split(
      renderPageMarkdown(page, [], {
        titleForPage: (id) => ({ 'rel-1': 'First: "one"' })[id],
        linkForFile: ({ url }) => (url.includes('hosted.pdf') ? 'files/hosted.pdf' : undefined),
      }),
    );
    expect(data).toMatchObject({
      Name: `Row ${SPECIAL}`,
      Notes: 'line 1\nline 2, "quoted"',
      Price: 1234.5,
      Tags: ['a', 'b "c"'],
      When: '2026-01-05T09:30:00.000+01:00 → 2026-01-05T11:00:00.000+01:00',
      People: ['Ada', 'Team'],
      Files: ['files/hosted.pdf', 'https://example.com/x.png'],
      Done: false,
      Related: ['First: "one"', 'rel-2'],
      Rolled: [3, 4],
      Author: 'u1',
      Editor: 'Grace',
      Ticket: 'TASK-42',
      Verified: 'verified',
      Where: 'Paris',
    });
    expect(data).not.toHaveProperty('Action');
    expect(body).toBe("# Row a\\*b_c #d \\[e] f|g \\<h> \\`i\\` \"j\" 'k', l & m \\~n\\~ \\$o\\$ \\p\n");
  });

  it('quotes YAML-hostile values and keeps reserved keys for the page itself', () => {
    const page = {
      ...childPage,
      properties: {
        title: { id: 'title', type: 'title', title: [text('Title: with "quotes" & #hash')] },
        url: { id: 'u', type: 'url', url: 'https://example.com/?a=1#x' },
        'Notes: multi-line': { id: 'n', type: 'rich_text', rich_text: [text('line 1\nline 2: yes\n- not a list')] },
        Empty: { id: 'e', type: 'select', select: null },
        Button: { id: 'b', type: 'button', button: {} },
      },
    } as unknown as PageObjectResponse;
    const { data, body } = split(renderPageMarkdown(page, []));
    expect(data).toEqual({
      notion_id: childPage.id,
      url: childPage.url,
      created_time: childPage.created_time,
      last_edited_time: childPage.last_edited_time,
      title: 'Title: with "quotes" & #hash',
      'url (property)': 'https://example.com/?a=1#x',
      'Notes: multi-line': 'line 1\nline 2: yes\n- not a list',
      Empty: null,
    });
    expect(body).toBe('# Title: with "quotes" & #hash\n');
  });

  it('re-exports what callers use', () => {
    expect(pageTitleOf(childPage)).toBe('Test 2026-07-04 11:08:14.736683');
    expect(propertyPlainValue({ id: 'x', type: 'checkbox', checkbox: true })).toBe(true);
  });
});

describe('renderPageMarkdown: real payloads', () => {
  it('renders a callout, headings, a child database link and paragraphs (jomei sample)', () => {
    const blocks = sample<BlockNode[]>('blocks__callout-child_database-column_list.json');
    const result = render(blocks, { linkForPage: (id) => (id === 'block3' ? 'Required Texts block3.md' : undefined) });
    expect(result).toContain('> 📌 This page is designed to be shared with students on the web. Click `Share`\n');
    expect(result).toContain('\n## History 340\n');
    expect(result).toContain('\n[Required Texts](<Required Texts block3.md>)\n');
    expect(result).toContain('\n#### **Assignment Submission**\n');
    expect(result).toContain('All essays and papers are due in lecture (due dates are listed on the schedule).');
    expect(render(blocks)).toContain('\nRequired Texts\n');
    expectRoundTrip(pageToMdast(childPage, blocks));
  });

  it('renders recorded 2025-09-03 block lists', () => {
    const list = sample<{ results: BlockNode[] }>('v2025-09-03_blocks.children.list__page1-has_more.json');
    expect(render(list.results)).toBe('# Test 2026-07-04 11:08:14.736683\n\nparagraph 0\n\nparagraph 1\n');
  });

  it('renders the many-types legacy capture (normalised from `text` to `rich_text`)', () => {
    const legacy = modernise(sample<{ results: unknown[] }>('legacy-2021_blocks.children.list__real-capture-many-types.json')) as {
      results: BlockNode[];
    };
    const result = render(legacy.results);
    expect(result).toMatch(/\n1\. .+\n2\. .+/);
    expect(result).toMatch(/\n[-*] \[[ x]\] .+/);
    expect(result).toContain('\n```');
    expect(result).toMatch(/\n> .+/);
    expect(result).toContain('\n---\n');
    expect(result).toMatch(/!\[[^\]]*\]\(https:\/\/s3\.us-west-2\.amazonaws\.com\//);
    expect(result).toContain('\n- [Paragraphs](#paragraphs)\n- [Headings](#headings)\n');
    expect(result).not.toContain('Unsupported block');
    expectRoundTrip(pageToMdast(childPage, legacy.results));
  });

  it('renders images, empty child pages and synced blocks (notion-sdk-net sample)', () => {
    const list = sample<{ results: BlockNode[] }>('blocks.children.list__synced_block-image-file-child_page.json');
    const result = render(list.results);
    expect(result).toContain('![caption text](https://s3.us-west-2.amazonaws.com/secure.notion-static.com/xxx');
    expect(result).toContain('\nUntitled\n');
    expectRoundTrip(pageToMdast(childPage, list.results));
  });

  it('links page mentions into the export, link mentions with their title (link_mention sample)', () => {
    const p = sample<BlockNode>('block__paragraph-with-link_mention.json');
    const target = '2e596511-572a-414c-af28-bc18da70cc7b';
    const linked = body([p], { linkForPage: (id) => (id === target ? 'Digital%20democracy.md' : undefined) });
    expect(linked).toBe(
      'Found a great read about [digital democracy](Digital%20democracy.md) [Introduction to A Boring Utopia](https://open.substack.com/pub/extelligence/p/introduction-to-a-boring-utopia?r=j1m8\\&utm_medium=ios). Sent it to\n',
    );
    // A page outside the export keeps its title, without a link.
    expect(body([p])).toContain('about digital democracy [Introduction');
    expectRoundTrip(blocksToMdast([p]));
  });

  it('formats date mentions (rich_text__mention-date sample)', () => {
    const date = sample<RichTextItemResponse>('rich_text__mention-date.json');
    expect(body([paragraph(text('Due '), date)])).toBe('Due 2025-06-18\n');
  });

  it('renders synced blocks (original and reference) and meeting notes', () => {
    const [original, reference] = sample<BlockNode[]>('blocks__synced_block-original-and-reference.json');
    original.children = [paragraph(text('shared text'))];
    reference.children = original.children;
    expect(body([original, reference])).toBe('shared text\n\nshared text\n');
    const notes = sample<BlockNode>('block__meeting_notes.json');
    notes.children = [paragraph(text('Summary goes here'))];
    expect(body([notes])).toBe('**Team Sync**\n\n2026-02-24 10:00 UTC → 2026-02-24 10:45 UTC\n\nSummary goes here\n');
  });
});

describe('renderPageMarkdown: escaping by the serialiser', () => {
  it('escapes Markdown syntax in text so it renders literally', () => {
    const blocks = [
      paragraph(text('# not a heading *not bold* _x_ [link](y) a|b `tick` <div> ~~no~~ $5')),
      paragraph(text('1. not a list')),
      paragraph(text('- not a bullet')),
      paragraph(text('> not a quote')),
    ];
    const result = body(blocks);
    expect(result).toContain('\\# not a heading \\*not bold\\* \\_x\\_ \\[link]\\(y) a|b \\`tick\\` \\<div> \\~\\~no\\~\\~ \\$5\n');
    expect(result).toContain('\n1\\. not a list\n');
    expect(result).toContain('\n\\- not a bullet\n');
    expect(result).toContain('\n\\> not a quote\n');
    expectRoundTrip(blocksToMdast(blocks));
  });

  it('keeps special characters in every place text can go', () => {
    const rich = [text(SPECIAL), text(' bold', { bold: true }), text(' `code`', { code: true })];
    const blocks = [
      block('heading_1', { rich_text: rich, color: 'default', is_toggleable: false }),
      block('bulleted_list_item', { rich_text: rich, color: 'default' }),
      block('to_do', { rich_text: rich, color: 'default', checked: false }),
      block('quote', { rich_text: rich, color: 'default' }),
      block('callout', { rich_text: rich, color: 'default', icon: { type: 'emoji', emoji: '⚠️' } }),
      block('toggle', { rich_text: rich, color: 'default' }, [paragraph(...rich)]),
      block('table', { table_width: 1, has_column_header: true, has_row_header: false }, [block('table_row', { cells: [rich] })]),
      block('code', { rich_text: [text(SPECIAL)], caption: rich, language: 'plain text' }),
      block('bookmark', { url: 'https://example.com/a_(b)?c=[d]', caption: rich }),
      block('image', { type: 'external', external: { url: 'https://example.com/i m g.png' }, caption: rich }),
      block('child_page', { title: SPECIAL }),
    ];
    const markdown = expectRoundTrip(blocksToMdast(blocks));
    const parsedText = JSON.stringify(shape(parse(markdown)));
    expect(parsedText.split(JSON.stringify(SPECIAL).slice(1, -1)).length - 1).toBeGreaterThanOrEqual(9);
  });

  it('escapes pipes inside table cells and keeps cells on one line', () => {
    const table = block('table', { table_width: 3, has_column_header: true, has_row_header: false }, [
      block('table_row', { cells: [[text('Name')], [text('A|B')], [text('C')]] }),
      block('table_row', { cells: [[text('two\nlines')], [text('*x*', { bold: true })], [text('`y`', { code: true })]] }),
      block('table_row', { cells: [[text('short row')]] }),
      paragraph(text('not a row')),
    ]);
    expect(body([table])).toBe(
      [
        '| Name      | A\\|B      | C         |',
        '| --------- | --------- | --------- |',
        '| two lines | **\\*x\\*** | `` `y` `` |',
        '| short row |           |           |',
        '',
      ].join('\n'),
    );
    expectRoundTrip(blocksToMdast([table]));
    expect(body([block('table', { table_width: 1, has_column_header: false, has_row_header: false }, [])])).toBe('');
  });

  it('uses a longer fence when code contains backticks, and maps the language', () => {
    const result = body([
      block('code', { rich_text: [text('const fence = "```";\n<b>*x*</b>')], caption: [text('A caption')], language: 'javascript' }),
      block('code', { rich_text: [text('echo hi')], caption: [], language: 'plain text' }),
      block('code', { rich_text: [text('x')], caption: [], language: 'objective-c' }),
    ]);
    expect(result).toBe('````javascript\nconst fence = "```";\n<b>*x*</b>\n````\n\nA caption\n\n```\necho hi\n```\n\n```objective-c\nx\n```\n');
  });
});

describe('renderPageMarkdown: rich text', () => {
  it('keeps bold, italic, strikethrough, code, links and equations; drops underline and colour', () => {
    const blocks = [
      paragraph(
        text('bold ', { bold: true }),
        text('both', { bold: true, italic: true }),
        text(' end', { bold: true }),
        text(' then '),
        text('struck', { strikethrough: true }),
        text(' and '),
        text('code`x', { code: true }),
        text(' '),
        text('a link (x)', {}, 'https://e.com/a_(b)'),
        text(' '),
        equation('E=mc^2'),
        text(' underlined', { underline: true, color: 'red' }),
        text(' on yellow', { color: 'yellow_background', bold: true }),
      ),
    ];
    expect(body(blocks)).toBe(
      '**bold *both* end** then ~~struck~~ and ``code`x`` [a link (x)](https://e.com/a_\\(b\\)) $E=mc^2$ underlined **on yellow**\n',
    );
    expectRoundTrip(blocksToMdast(blocks));
  });

  it('turns newlines into hard breaks, except in headings', () => {
    const blocks = [
      paragraph(text('line one\nline two')),
      block('heading_2', { rich_text: [text('multi\nline heading')], is_toggleable: false, color: 'default' }),
    ];
    expect(body(blocks)).toBe('line one\\\nline two\n\n### multi line heading\n');
    expectRoundTrip(blocksToMdast(blocks));
  });

  it('keeps blanks and breaks outside emphasis, also through underline/colour, and drops empty text', () => {
    const blocks = [
      paragraph(text('a'), text('  ', { bold: true }), text('b'), text('', { italic: true })),
      paragraph(text('x'), text('\nwrapped\n', { italic: true }), text('y')),
      paragraph(text('p '), text(' under ', { bold: true, underline: true }), text(' q')),
      paragraph(text(' \n', { bold: true }), text('start')),
    ];
    expect(body(blocks)).toBe('a  b\n\nx\\\n*wrapped*\\\ny\n\np  **under**  q\n\nstart\n');
    expectRoundTrip(blocksToMdast(blocks));
  });

  it('renders every mention type', () => {
    const ctx: DocumentContext = {
      userName: (id) => (id === 'u1' ? 'Ada' : undefined),
      linkForPage: (id) => (id === 'db1' ? 'Db.md' : undefined),
    };
    const blocks = [
      paragraph(
        mention({ type: 'user', user: { object: 'user', id: 'u1' } }, '@Someone'),
        text(' '),
        mention({ type: 'user', user: { object: 'user', id: 'u2' } }, '@Grace'),
        text(' '),
        mention({ type: 'user', user: { object: 'user', id: 'u3' } }, ''),
        text(' '),
        mention({ type: 'database', database: { id: 'db1' } }, 'Tasks'),
        text(' '),
        mention({ type: 'date', date: { start: '2026-01-05T09:30:00.000Z', end: '2026-01-06', time_zone: null } }, 'x'),
        text(' '),
        mention({ type: 'link_preview', link_preview: { url: 'https://github.com/a/b' } }, 'https://github.com/a/b'),
        text(' '),
        mention({ type: 'template_mention', template_mention: { type: 'template_mention_date', template_mention_date: 'today' } }, ''),
        text(' '),
        mention({ type: 'template_mention', template_mention: { type: 'template_mention_date', template_mention_date: 'now' } }, ''),
        text(' '),
        mention({ type: 'template_mention', template_mention: { type: 'template_mention_user', template_mention_user: 'me' } }, ''),
        text(' '),
        mention({ type: 'custom_emoji', custom_emoji: { id: 'e', name: 'party', url: 'https://s3/party.png' } }, ':party:'),
      ),
    ];
    expect(body(blocks, ctx)).toBe(
      // An unknown user keeps its id, with a note (issue 15).
      '@Ada @Grace @u3 (unknown user) [Tasks](Db.md) 2026-01-05 09:30 UTC → 2026-01-06 <https://github.com/a/b> @Today @Now @Me :party:\n',
    );
    expectRoundTrip(blocksToMdast(blocks, ctx));
  });

  it('links Notion-internal URLs to the exported page when it is known', () => {
    const target = '2e596511572a414caf28bc18da70cc7b';
    const linkForPage = (id: string) => (id.replace(/-/g, '') === target ? 'Target.md' : undefined);
    const result = body(
      [
        paragraph(text('relative', {}, `/${target}`)),
        paragraph(text('absolute', {}, `https://www.notion.so/Some-Title-${target}?pvs=4`)),
        paragraph(text('unknown', {}, '/ffffffffffffffffffffffffffffffff')),
      ],
      { linkForPage },
    );
    expect(result).toBe('[relative](Target.md)\n\n[absolute](Target.md)\n\n[unknown](/ffffffffffffffffffffffffffffffff)\n');
  });
});

describe('renderPageMarkdown: structure', () => {
  it('nests lists, numbers from list_start_index and renders to-dos as task list items', () => {
    const blocks = [
      block('bulleted_list_item', { rich_text: [text('one')], color: 'default' }, [
        block('bulleted_list_item', { rich_text: [text('nested')], color: 'default' }, [
          block('numbered_list_item', { rich_text: [text('deep')], color: 'default' }),
        ]),
      ]),
      block('bulleted_list_item', { rich_text: [text('two')], color: 'default' }),
      block('to_do', { rich_text: [text('done')], color: 'default', checked: true }),
      block('to_do', { rich_text: [text('todo')], color: 'default', checked: false }),
      block('numbered_list_item', { rich_text: [text('third')], color: 'default', list_start_index: 3 }),
      block('numbered_list_item', { rich_text: [text('fourth')], color: 'default' }),
    ];
    expect(body(blocks)).toBe('- one\n  - nested\n    1. deep\n- two\n\n* [x] done\n* [ ] todo\n\n3. third\n4. fourth\n');
    expectRoundTrip(blocksToMdast(blocks));
  });

  it('puts consecutive toggles in one list and keeps toggleable headings as headings', () => {
    const blocks = [
      block('toggle', { rich_text: [text('First')], color: 'default' }, [paragraph(text('hidden'))]),
      block('toggle', { rich_text: [], color: 'default' }, [paragraph(text('no summary'))]),
      block('heading_1', { rich_text: [text('Open me')], color: 'default', is_toggleable: true }, [paragraph(text('under heading'))]),
      block('toggle', { rich_text: [text('Last')], color: 'default' }),
    ];
    expect(body(blocks)).toBe('- First\n\n  hidden\n\n- no summary\n\n## Open me\n\nunder heading\n\n- Last\n');
    expectRoundTrip(blocksToMdast(blocks));
  });

  it('renders callouts with any icon as block quotes', () => {
    const blocks = [
      block('callout', { rich_text: [text('Note')], color: 'default', icon: { type: 'custom_emoji', custom_emoji: { id: 'e', name: 'party', url: 'u' } } }),
      block('callout', { rich_text: [text('No icon')], color: 'default', icon: null }),
      block('callout', { rich_text: [], color: 'default', icon: { type: 'external', external: { url: 'https://img.example/i.png' } } }, [
        paragraph(text('child only')),
      ]),
      block('callout', { rich_text: [], color: 'default', icon: { type: 'emoji', emoji: '📌' } }, [
        block('bulleted_list_item', { rich_text: [text('item')], color: 'default' }),
      ]),
    ];
    expect(body(blocks)).toBe(
      '> :party: Note\n\n> No icon\n\n> ![icon](https://img.example/i.png) child only\n\n> 📌\n>\n> - item\n',
    );
    expectRoundTrip(blocksToMdast(blocks));
  });

  it('renders media through linkForFile, captions without nested links', () => {
    const blocks = [
      block('image', { type: 'external', external: { url: 'https://img.example/cat.png' }, caption: [] }),
      block('file', { type: 'file', file: { url: 'https://s3.example/x/My%20File.pdf?sig=1', expiry_time: '' }, caption: [], name: '' }),
      block('audio', { type: 'file', file: { url: 'not a url', expiry_time: '' }, caption: [] }),
      block('embed', { url: 'https://example.com/embed', caption: [text('see '), text('here', {}, 'https://elsewhere.example')] }),
    ];
    expect(body(blocks)).toBe(
      '![](https://img.example/cat.png)\n\n[My File.pdf](https://s3.example/x/My%20File.pdf?sig=1)\n\n[not a url](<not a url>)\n\n[see here](https://example.com/embed)\n',
    );
    const local = body(blocks.slice(0, 2), { linkForFile: ({ blockId }) => `files/${blockId?.slice(-2)}.bin` });
    expect(local).toMatch(/^!\[\]\(files\/\w\w\.bin\)\n\n\[My File\.pdf\]\(files\/\w\w\.bin\)\n$/);
    expectRoundTrip(blocksToMdast(blocks));
  });

  it('renders child pages, databases and link_to_page as links into the export', () => {
    const page = block('child_page', { title: 'Sub page' });
    const db = block('child_database', { title: '' });
    const linkToPage = block('link_to_page', { type: 'database_id', database_id: 'aaaa' });
    const links: Record<string, string> = { [page.id]: 'Sub%20page.md', aaaa: 'Other.md' };
    const result = body([page, db, linkToPage], {
      linkForPage: (id) => links[id],
      titleForPage: (id) => (id === 'aaaa' ? 'Other db' : undefined),
    });
    expect(result).toBe('[Sub page](Sub%20page.md)\n\nUntitled\n\n[Other db](Other.md)\n');
  });

  it('renders an empty page as its title only', () => {
    expect(render([])).toBe('# Test 2026-07-04 11:08:14.736683\n');
    expect(mdastToMarkdown({ type: 'root', children: [] })).toBe('');
  });
});
