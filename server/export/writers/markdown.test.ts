import { readFileSync } from 'node:fs';
import path from 'node:path';
import type { PageObjectResponse, RichTextItemResponse } from '@notionhq/client/build/src/api-endpoints';
import { describe, expect, it } from 'vitest';
import YAML from 'yaml';
import type { BlockNode } from '../types';
import { pageTitleOf, pageToMdast, propertyPlainValue, renderPageMarkdown } from './markdown';

const samples = path.join(process.cwd(), '..', 'shared', 'notion-samples');
const sample = <T>(file: string): T => JSON.parse(readFileSync(path.join(samples, file), 'utf8')) as T;

const rowPage = sample<PageObjectResponse>('pages.retrieve__database-row-many-property-types.json');
const childPage = sample<PageObjectResponse>('v2025-09-03_pages.retrieve__page-parent.json');

/** Splits the output into its YAML front matter (parsed) and the Markdown body. */
function split(markdown: string): { data: Record<string, unknown>; body: string } {
  const match = /^---\n([\s\S]*?)\n---\n\n([\s\S]*)$/.exec(markdown);
  if (!match) throw new Error(`no front matter in:\n${markdown}`);
  return { data: YAML.parse(match[1]) as Record<string, unknown>, body: match[2] };
}

// ----- small builders for synthetic blocks --------------------------------------------------------

type Annotations = Partial<RichTextItemResponse['annotations']>;

function text(content: string, annotations: Annotations = {}, link?: string): RichTextItemResponse {
  return {
    type: 'text',
    text: { content, link: link ? { url: link } : null },
    annotations: {
      bold: false,
      italic: false,
      strikethrough: false,
      underline: false,
      code: false,
      color: 'default',
      ...annotations,
    },
    plain_text: content,
    href: link ?? null,
  };
}

function equation(expression: string): RichTextItemResponse {
  return { ...text(expression), type: 'equation', equation: { expression } } as unknown as RichTextItemResponse;
}

let nextId = 0;
function block(type: string, payload: Record<string, unknown>, children?: BlockNode[]): BlockNode {
  nextId += 1;
  return {
    object: 'block',
    id: `00000000-0000-0000-0000-${String(nextId).padStart(12, '0')}`,
    type,
    [type]: payload,
    has_children: Boolean(children?.length),
    ...(children ? { children } : {}),
  } as unknown as BlockNode;
}

const para = (...rich: RichTextItemResponse[]) => block('paragraph', { rich_text: rich, color: 'default', icon: null });
const render = (blocks: BlockNode[], opts = {}) => split(renderPageMarkdown(childPage, blocks, opts)).body;

/** The legacy (2021) capture stores rich text under `text`; rename it to today's `rich_text`. */
function modernise(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(modernise);
  if (!value || typeof value !== 'object') return value;
  const out: Record<string, unknown> = {};
  for (const [key, inner] of Object.entries(value)) {
    const isRichText = key === 'text' && Array.isArray(inner);
    out[isRichText ? 'rich_text' : key] = modernise(inner);
  }
  return out;
}

// ----- tests --------------------------------------------------------------------------------------

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
    expect(body.startsWith('# Tuscan kale\n')).toBe(true);
  });

  it('uses the title property of an ordinary page as title and H1', () => {
    const { data, body } = split(renderPageMarkdown(childPage, []));
    expect(data.title).toBe('Test 2026-07-04 11:08:14.736683');
    expect(data.notion_id).toBe('393abc1e-edcd-81f5-ae94-ec2d55fe98ed');
    expect(body).toBe('# Test 2026-07-04 11:08:14.736683\n');
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

  it('falls back to "Untitled"', () => {
    const untitled = { ...childPage, properties: {} } as PageObjectResponse;
    expect(pageTitleOf(untitled)).toBe('Untitled');
    const blank = { ...childPage, properties: { title: { id: 'title', type: 'title', title: [] } } };
    expect(pageTitleOf(blank as unknown as PageObjectResponse)).toBe('Untitled');
  });
});

describe('propertyPlainValue', () => {
  const value = (v: Record<string, unknown>) => propertyPlainValue(v as never);
  const user = { object: 'user', id: 'u1', name: 'Ada' };

  it('turns every property type into a plain value', () => {
    expect(value({ type: 'status', status: { id: 's', name: 'Done', color: 'green' } })).toBe('Done');
    expect(value({ type: 'status', status: null })).toBeNull();
    expect(value({ type: 'date', date: { start: '2024-01-01', end: '2024-01-03', time_zone: null } })).toBe(
      '2024-01-01 → 2024-01-03',
    );
    expect(value({ type: 'date', date: null })).toBeNull();
    expect(value({ type: 'email', email: 'a@b.c' })).toBe('a@b.c');
    expect(value({ type: 'phone_number', phone_number: '+1 555' })).toBe('+1 555');
    expect(value({ type: 'people', people: [user, { object: 'user', id: 'u2' }] })).toEqual(['Ada', 'u2']);
    expect(
      value({
        type: 'files',
        files: [
          { name: 'report.pdf', type: 'file', file: { url: 'https://s3/x', expiry_time: '' } },
          { name: 'site', type: 'external', external: { url: 'https://example.com' } },
        ],
      }),
    ).toEqual(['report.pdf', 'https://example.com']);
    expect(value({ type: 'formula', formula: { type: 'string', string: 'hi' } })).toBe('hi');
    expect(value({ type: 'formula', formula: { type: 'boolean', boolean: false } })).toBe(false);
    expect(value({ type: 'formula', formula: { type: 'date', date: { start: '2024-02-02', end: null } } })).toBe(
      '2024-02-02',
    );
    expect(value({ type: 'formula', formula: { type: 'unsupported', unsupported: {} } })).toBeNull();
    expect(value({ type: 'rollup', rollup: { type: 'date', date: { start: '2024-03-03', end: null }, function: 'max' } })).toBe(
      '2024-03-03',
    );
    expect(
      value({
        type: 'rollup',
        rollup: {
          type: 'array',
          function: 'show_original',
          array: [
            { type: 'title', title: [text('A')] },
            { type: 'multi_select', multi_select: [{ name: 'x' }, { name: 'y' }] },
            { type: 'button', button: {} },
          ],
        },
      }),
    ).toEqual(['A', 'x', 'y']);
    expect(value({ type: 'rollup', rollup: { type: 'incomplete', incomplete: {}, function: 'sum' } })).toBeNull();
    expect(value({ type: 'unique_id', unique_id: { prefix: 'TASK', number: 42 } })).toBe('TASK-42');
    expect(value({ type: 'unique_id', unique_id: { prefix: null, number: 7 } })).toBe(7);
    expect(value({ type: 'unique_id', unique_id: { prefix: 'X', number: null } })).toBeNull();
    expect(value({ type: 'created_time', created_time: '2024-01-01T00:00:00.000Z' })).toBe('2024-01-01T00:00:00.000Z');
    expect(value({ type: 'last_edited_time', last_edited_time: '2024-01-02T00:00:00.000Z' })).toBe(
      '2024-01-02T00:00:00.000Z',
    );
    expect(value({ type: 'created_by', created_by: user })).toBe('Ada');
    expect(value({ type: 'last_edited_by', last_edited_by: { object: 'user', id: 'u9' } })).toBe('u9');
    expect(value({ type: 'verification', verification: { state: 'verified', date: null, verified_by: null } })).toBe(
      'verified',
    );
    expect(value({ type: 'verification', verification: null })).toBeNull();
    expect(value({ type: 'place', place: { lat: 1.5, lon: 2.5, name: null, address: 'Main St' } })).toBe('Main St');
    expect(value({ type: 'place', place: { lat: 1.5, lon: 2.5 } })).toBe('1.5, 2.5');
    expect(value({ type: 'place', place: null })).toBeNull();
    expect(value({ type: 'button', button: {} })).toBeUndefined();
    expect(value({ type: 'some_future_type' })).toBeNull();
  });
});

describe('renderPageMarkdown: blocks from real payloads', () => {
  it('renders a callout, headings, a child database link and paragraphs (jomei sample)', () => {
    const blocks = sample<BlockNode[]>('blocks__callout-child_database-column_list.json');
    const body = render(blocks, {
      linkForPage: (id: string) => (id === 'block3' ? 'Required Texts block3.md' : undefined),
    });
    expect(body).toContain('> 📌 This page is designed to be shared with students on the web. Click `Share`\n');
    expect(body).toContain('\n## History 340\n');
    expect(body).toContain('\n[Required Texts](<Required Texts block3.md>)\n');
    expect(body).toContain('\n#### **Assignment Submission**\n');
    expect(body).toContain('All essays and papers are due in lecture (due dates are listed on the schedule).');
    expect(render(blocks)).toContain('\nRequired Texts\n');
  });

  it('renders recorded 2025-09-03 block lists', () => {
    const list = sample<{ results: BlockNode[] }>('v2025-09-03_blocks.children.list__page1-has_more.json');
    expect(render(list.results)).toBe('# Test 2026-07-04 11:08:14.736683\n\nparagraph 0\n\nparagraph 1\n');
  });

  it('renders the many-types legacy capture: lists, to-dos, code, quote, callout, divider, image', () => {
    const legacy = modernise(
      sample<{ results: unknown[] }>('legacy-2021_blocks.children.list__real-capture-many-types.json'),
    ) as { results: BlockNode[] };
    const body = render(legacy.results);
    expect(body).toMatch(/\n1\. .+\n2\. .+/);
    expect(body).toMatch(/\n[-*] \[[ x]\] .+/);
    expect(body).toContain('\n```');
    expect(body).toMatch(/\n> .+/);
    expect(body).toContain('\n---\n');
    expect(body).toMatch(/!\[[^\]]*\]\(https:\/\/s3\.us-west-2\.amazonaws\.com\//);
    expect(body).not.toContain('[unsupported block');
  });

  it('renders images, empty child pages and synced blocks (notion-sdk-net sample)', () => {
    const list = sample<{ results: BlockNode[] }>('blocks.children.list__synced_block-image-file-child_page.json');
    const body = render(list.results);
    expect(body).toContain('![caption text](https://s3.us-west-2.amazonaws.com/secure.notion-static.com/xxx');
    expect(body).toContain('\nUntitled\n');
  });

  it('links page mentions into the export, other mentions to their URL (link_mention sample)', () => {
    const paragraph = sample<BlockNode>('block__paragraph-with-link_mention.json');
    const linked = render([paragraph], {
      linkForPage: (id: string) => (id === '2e596511-572a-414c-af28-bc18da70cc7b' ? 'Digital%20democracy.md' : undefined),
    });
    expect(linked).toContain(
      '\nFound a great read about [digital democracy](Digital%20democracy.md) <https://open.substack.com/pub/extelligence/p/introduction-to-a-boring-utopia?r=j1m8&utm_medium=ios>. Sent it to\n',
    );
    expect(render([paragraph])).toContain('[digital democracy](https://www.notion.so/2e596511572a414caf28bc18da70cc7b)');
    const date = sample<RichTextItemResponse>('rich_text__mention-date.json');
    expect(render([para(text('Due '), date)])).toContain('\nDue 2025-06-18\n');
  });

  it('renders synced blocks through their children and meeting notes with their title', () => {
    const [original, reference] = sample<BlockNode[]>('blocks__synced_block-original-and-reference.json');
    original.children = [para(text('shared text'))];
    expect(render([original, reference])).toContain('\nshared text\n');
    const notes = sample<BlockNode>('block__meeting_notes.json');
    notes.children = [para(text('Summary goes here'))];
    expect(render([notes])).toContain('\n**Team Sync**\n\nSummary goes here\n');
  });
});

describe('renderPageMarkdown: escaping by the serialiser', () => {
  it('escapes Markdown syntax in text so it renders literally', () => {
    const body = render([
      para(text('# not a heading *not bold* _x_ [link](y) a|b `tick` <div> ~~no~~ $5')),
      para(text('1. not a list')),
      para(text('- not a bullet')),
      para(text('> not a quote')),
    ]);
    expect(body).toContain(
      '\n\\# not a heading \\*not bold\\* \\_x\\_ \\[link]\\(y) a|b \\`tick\\` \\<div> \\~\\~no\\~\\~ \\$5\n',
    );
    expect(body).toContain('\n1\\. not a list\n');
    expect(body).toContain('\n\\- not a bullet\n');
    expect(body).toContain('\n\\> not a quote\n');
  });

  it('escapes pipes inside table cells and keeps cells on one line', () => {
    const table = block('table', { table_width: 3, has_column_header: true, has_row_header: false }, [
      block('table_row', { cells: [[text('Name')], [text('A|B')], [text('C')]] }),
      block('table_row', { cells: [[text('two\nlines')], [text('*x*', { bold: true })], [text('`y`', { code: true })]] }),
      block('table_row', { cells: [[text('short row')]] }),
      para(text('not a row')),
    ]);
    const body = render([table]);
    expect(body).toContain(
      [
        '| Name      | A\\|B      | C         |',
        '| --------- | --------- | --------- |',
        '| two lines | **\\*x\\*** | `` `y` `` |',
        '| short row |           |           |',
      ].join('\n'),
    );
    expect(render([block('table', { table_width: 1, has_column_header: false, has_row_header: false }, [])])).toBe(
      '# Test 2026-07-04 11:08:14.736683\n',
    );
    expect(render([block('table_row', { cells: [[text('orphan')]] })])).toContain('| orphan |\n| ------ |');
  });

  it('uses a longer fence when code contains backticks, and maps the language', () => {
    const body = render([
      block('code', { rich_text: [text('const fence = "```";\n<b>*x*</b>')], caption: [text('A caption')], language: 'javascript' }),
      block('code', { rich_text: [text('echo hi')], caption: [], language: 'plain text' }),
      block('code', { rich_text: [text('x')], caption: [], language: 'objective c' }),
    ]);
    expect(body).toContain('\n````javascript\nconst fence = "```";\n<b>*x*</b>\n````\n\nA caption\n');
    expect(body).toContain('\n```\necho hi\n```\n');
    expect(body).toContain('\n```objective-c\nx\n```\n');
  });
});

describe('renderPageMarkdown: rich text', () => {
  it('renders annotations, links and inline equations, merging runs that share a mark', () => {
    const body = render([
      para(
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
      ),
    ]);
    expect(body).toContain(
      '\n**bold *both* end** then ~~struck~~ and ``code`x`` [a link (x)](https://e.com/a_\\(b\\)) $E=mc^2$ underlined\n',
    );
  });

  it('turns newlines into hard breaks, except in headings', () => {
    const body = render([
      para(text('line one\nline two')),
      block('heading_2', { rich_text: [text('multi\nline heading')], is_toggleable: false, color: 'default' }),
    ]);
    expect(body).toContain('\nline one\\\nline two\n');
    expect(body).toContain('\n### multi line heading\n');
  });

  it('keeps blanks and breaks outside emphasis and drops empty text', () => {
    const body = render([
      para(text('a'), text('  ', { bold: true }), text('b'), text('', { italic: true })),
      para(text('x'), text('\nwrapped\n', { italic: true }), text('y')),
    ]);
    expect(body).toContain('\na  b\n');
    expect(body).toContain('\nx\\\n*wrapped*\\\ny\n');
  });

  it('links Notion-internal URLs to the exported page when it is known', () => {
    const target = '2e596511572a414caf28bc18da70cc7b';
    const linkForPage = (id: string) => (id.replace(/-/g, '') === target ? 'Target.md' : undefined);
    const body = render(
      [
        para(text('relative', {}, `/${target}`)),
        para(text('absolute', {}, `https://www.notion.so/Some-Title-${target}?pvs=4`)),
        para(text('unknown', {}, '/ffffffffffffffffffffffffffffffff')),
      ],
      { linkForPage },
    );
    expect(body).toContain('[relative](Target.md)');
    expect(body).toContain('[absolute](Target.md)');
    expect(body).toContain('[unknown](/ffffffffffffffffffffffffffffffff)');
  });
});

describe('renderPageMarkdown: structure', () => {
  it('nests lists, numbers from list_start_index and renders to-dos as task list items', () => {
    const body = render([
      block('bulleted_list_item', { rich_text: [text('one')] }, [
        block('bulleted_list_item', { rich_text: [text('nested')] }, [
          block('numbered_list_item', { rich_text: [text('deep')] }),
        ]),
      ]),
      block('bulleted_list_item', { rich_text: [text('two')] }),
      block('to_do', { rich_text: [text('done')], checked: true }),
      block('to_do', { rich_text: [text('todo')], checked: false }),
      block('numbered_list_item', { rich_text: [text('third')], list_start_index: 3 }),
      block('numbered_list_item', { rich_text: [text('fourth')] }),
    ]);
    expect(body).toContain('\n- one\n  - nested\n    1. deep\n- two\n');
    expect(body).toMatch(/\n([-*]) \[x\] done\n\1 \[ \] todo\n/);
    expect(body).toContain('\n3. third\n4. fourth\n');
  });

  it('renders toggles as an item with the summary and the hidden children', () => {
    const body = render([block('toggle', { rich_text: [text('Summary')] }, [para(text('hidden'))])]);
    expect(body).toContain('\n- Summary\n\n  hidden\n');
  });

  it('renders quotes, callouts, equations, dividers and toggleable headings', () => {
    const body = render([
      block('quote', { rich_text: [text('quoted')] }, [para(text('inside'))]),
      block('callout', { rich_text: [text('Note')], icon: { type: 'custom_emoji', custom_emoji: { id: 'e', name: 'party', url: 'u' } } }),
      block('callout', { rich_text: [text('No icon')], icon: null }),
      block('equation', { expression: '\\int_0^1 x\\,dx' }),
      block('divider', {}),
      block('heading_1', { rich_text: [text('Open me')], is_toggleable: true }, [para(text('under heading'))]),
      block('heading_4', { rich_text: [text('Small')] }),
      block('heading_3', { rich_text: [] }),
      block('table_of_contents', { color: 'default' }),
      block('breadcrumb', {}),
    ]);
    expect(body).toContain('\n> quoted\n>\n> inside\n');
    expect(body).toContain('\n> :party: Note\n');
    expect(body).toContain('\n> No icon\n');
    expect(body).toContain('\n$$\n\\int_0^1 x\\,dx\n$$\n');
    expect(body).toContain('\n---\n');
    expect(body).toContain('\n## Open me\n\nunder heading\n');
    expect(body).toContain('\n##### Small\n');
    expect(body.match(/\n#+ /g)).toHaveLength(2);
  });

  it('renders media as images or links with captions, through linkForFile when given', () => {
    const blocks = [
      block('image', { type: 'external', external: { url: 'https://img.example/cat.png' }, caption: [text('A cat')] }),
      block('file', {
        type: 'file',
        file: { url: 'https://s3.example/x/My%20File.pdf?sig=1', expiry_time: '' },
        caption: [],
        name: '',
      }),
      block('pdf', { type: 'external', external: { url: 'https://e.com/' }, caption: [] }),
      block('video', { type: 'external', external: { url: 'https://youtu.be/x' }, caption: [text('A video')] }),
      block('audio', { type: 'file', file: { url: 'not a url', expiry_time: '' }, caption: [] }),
      block('bookmark', { url: 'https://example.com/page', caption: [] }),
      block('embed', { url: 'https://example.com/embed', caption: [text('Embedded')] }),
      block('link_preview', { url: 'https://github.com/x/y' }),
    ];
    const body = render(blocks);
    expect(body).toContain('![A cat](https://img.example/cat.png)');
    expect(body).toContain('[My File.pdf](https://s3.example/x/My%20File.pdf?sig=1)');
    expect(body).toContain('\n<https://e.com/>\n');
    expect(body).toContain('[A video](https://youtu.be/x)');
    expect(body).toContain('[not a url](<not a url>)');
    expect(body).toContain('\n<https://example.com/page>\n');
    expect(body).toContain('[Embedded](https://example.com/embed)');
    expect(body).toContain('\n<https://github.com/x/y>\n');

    const local = render(blocks.slice(0, 2), { linkForFile: (id: string) => `files/${id.slice(-2)}.bin` });
    expect(local).toMatch(/!\[A cat\]\(files\/\d\d\.bin\)/);
    expect(local).toMatch(/\[My File\.pdf\]\(files\/\d\d\.bin\)/);
  });

  it('renders child pages, databases and link_to_page as links into the export', () => {
    const page = block('child_page', { title: 'Sub page' });
    const db = block('child_database', { title: '' });
    const linkToPage = block('link_to_page', { type: 'page_id', page_id: 'aaaa' });
    const linkToComment = block('link_to_page', { type: 'comment_id', comment_id: 'c' });
    const links: Record<string, string> = { [page.id]: 'Sub%20page.md', aaaa: 'Other.md' };
    const body = render([page, db, linkToPage, linkToComment], {
      linkForPage: (id: string) => links[id],
      titleForPage: (id: string) => (id === 'aaaa' ? 'Other page' : undefined),
    });
    expect(body).toContain('\n[Sub page](Sub%20page.md)\n');
    expect(body).toContain('\nUntitled\n');
    expect(body).toContain('\n[Other page](Other.md)\n');
    expect(render([linkToPage])).toContain('\naaaa\n');
  });

  it('renders columns, tabs and templates through their children in order', () => {
    const body = render([
      block('column_list', {}, [
        block('column', {}, [para(text('left'))]),
        block('column', { width_ratio: 0.5 }, [para(text('right'))]),
      ]),
      block('tab', {}, [para(text('tab item'))]),
      block('template', { rich_text: [text('Template button')] }, [para(text('template body'))]),
    ]);
    expect(body).toContain('\nleft\n\nright\n\ntab item\n\nTemplate button\n\ntemplate body\n');
  });

  it('shows a visible placeholder for unsupported and unknown blocks', () => {
    const body = render([
      block('unsupported', { block_type: 'ai_block' }, [para(text('kept child'))]),
      block('brand_new_type', {}),
    ]);
    expect(body).toContain('\n\\[unsupported block: ai_block]\n\nkept child\n');
    expect(body).toContain('\n\\[unsupported block: brand_new_type]\n');
  });

  it('exposes the mdast tree for other writers', () => {
    const tree = pageToMdast(childPage, [para(text('x'))]);
    expect(tree.children.map((node) => node.type)).toEqual(['yaml', 'heading', 'paragraph']);
  });
});
