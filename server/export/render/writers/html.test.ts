import type { BlockObjectResponse, PageObjectResponse } from '@notionhq/client/build/src/api-endpoints';
import type { Element, Nodes as HastNodes } from 'hast';
import { fromHtml } from 'hast-util-from-html';
import { toHtml } from 'hast-util-to-html';
import { describe, expect, it } from 'vitest';
import { blocksToMdast, type DocumentContext } from '@/server/export/render/document-tree';
import type { BlockNode } from '@/server/export/render/block-node';
import { mdastToSafeHast, renderPageHtml } from './html';
import {
  block,
  dataSourceWithEveryProperty,
  everyBlock,
  mention,
  pageWithEveryProperty,
  paragraph,
  SPECIAL,
  sample,
  text,
} from '@/server/export/render/notion-fixtures';

const childPage = sample<PageObjectResponse>('v2025-09-03_pages.retrieve__page-parent.json');
const fragment = (blocks: BlockNode[], ctx: DocumentContext = {}) => toHtml(mdastToSafeHast(blocksToMdast(blocks, ctx)));

/** Parses a document the way a browser would, collecting every parse error. */
function parseStrict(html: string) {
  const errors: string[] = [];
  const tree = fromHtml(html, {
    onerror: (error) => {
      errors.push(`${error.ruleId}: ${error.message}`);
    },
  });
  return { tree, errors };
}

function elements(node: HastNodes, out: Element[] = []): Element[] {
  if (node.type === 'element') out.push(node);
  if ('children' in node) for (const child of node.children) elements(child, out);
  return out;
}

function textOf(node: HastNodes): string {
  if (node.type === 'text') return node.value;
  return 'children' in node ? node.children.map((child) => textOf(child)).join('') : '';
}

/**
 * Checks a whole document: no parse errors, no script, and no web address anywhere except in
 * link hrefs and image sources that come from the content (`source`: the input, serialised).
 */
function expectSafeDocument(html: string, source: unknown) {
  const { tree, errors } = parseStrict(html);
  expect(errors).toEqual([]);
  expect(html).not.toMatch(/<script|\son\w+=|="javascript:/i);
  const input = JSON.stringify(source);
  for (const el of elements(tree)) {
    expect(el.tagName).not.toMatch(/^(script|iframe|object|embed|link|base|form)$/);
    for (const [key, value] of Object.entries(el.properties)) {
      const values = Array.isArray(value) ? value : [value];
      for (const v of values) {
        if (typeof v !== 'string' || !/https?:/i.test(v)) continue;
        const allowed = (el.tagName === 'a' && key === 'href') || (el.tagName === 'img' && key === 'src');
        expect(allowed, `${el.tagName}.${key}=${v}`).toBe(true);
        expect(input, `${v} is not from the content`).toContain(JSON.stringify(v).slice(1, -1));
      }
    }
    if (el.tagName === 'style') expect(textOf(el)).not.toMatch(/url\(|@import|https?:/);
  }
  return tree;
}

describe('renderPageHtml: one golden per block type', () => {
  const all = everyBlock();
  const hosted = (name: string) => `https://prod-files-secure.s3.us-west-2.amazonaws.com/ws/${name}?X-Amz-Expires=3600`;
  const golden: { [T in BlockObjectResponse['type']]: string } = {
    paragraph: '<p>Paragraph a*b_c #d [e] f|g &#x3C;h> `i` "j" \'k\', l &#x26; m ~n~ $o$ \\p</p>',
    heading_1: '<h2 id="heading-one">Heading one</h2>',
    heading_2: '<h3 id="heading-two">Heading two</h3>',
    heading_3:
      '<details class="toggle">\n<summary><h4 id="heading-three">Heading three</h4></summary>\n<p>Inside toggle heading</p>\n</details>',
    heading_4: '<h5 id="heading-four">Heading four</h5>',
    bulleted_list_item: '<ul>\n<li>Bullet\n<ul>\n<li>Nested bullet</li>\n</ul>\n</li>\n</ul>',
    numbered_list_item: '<ol start="3">\n<li>Numbered</li>\n</ol>',
    quote: '<blockquote>\n<p>Quoted</p>\n</blockquote>',
    to_do:
      '<ul class="contains-task-list">\n<li class="task-list-item"><input type="checkbox" checked disabled> Done task</li>\n</ul>',
    toggle: '<details class="toggle">\n<summary>Toggle summary</summary>\n<p>Toggle body</p>\n</details>',
    template: '<p class="template">Template button</p>\n<div class="indent">\n<p>Template body</p>\n</div>',
    synced_block: '<p>Synced content</p>',
    child_page: '<p class="page-link page">Child page</p>',
    child_database: '<p class="page-link database">Child database</p>',
    // MathML from KaTeX, the LaTeX kept as its annotation (issue 15).
    equation:
      '<div class="math math-display"><math display="block"><semantics><mrow><msup><mi>e</mi><mrow><mi>i</mi><mi>π</mi></mrow></msup><mo>+</mo><mn>1</mn><mo>=</mo><mn>0</mn></mrow><annotation encoding="application/x-tex">e^{i\\pi} + 1 = 0</annotation></semantics></math></div>',
    code: '<pre><code class="language-typescript">const x = "```";\n</code></pre>\n<p class="caption">Code caption</p>',
    callout:
      '<aside class="callout bg-gray">\n<div class="callout-icon"><span class="emoji">💡</span></div>\n<div class="callout-body">\n<p>Callout text</p>\n</div>\n</aside>',
    divider: '<hr>',
    breadcrumb: '',
    table_of_contents: '<ul class="toc">\n<li><a href="#heading-one">Heading one</a></li>\n</ul>\n<h2 id="heading-one">Heading one</h2>',
    tab: '<div class="tabs">\n<p>Tab title</p>\n<div class="indent">\n<p>Tab body</p>\n</div>\n</div>',
    column_list:
      '<div class="columns">\n<div class="column">\n<p>Left column</p>\n</div>\n<div class="column">\n<p>Right column</p>\n</div>\n</div>',
    column: '<div class="column">\n<p>Lone column</p>\n</div>',
    link_to_page: '<p class="page-link page">2e596511-572a-414c-af28-bc18da70cc7b</p>',
    table:
      '<table>\n<thead>\n<tr>\n<th scope="col">Key</th>\n<th scope="col">Value</th>\n</tr>\n</thead>\n<tbody>\n<tr>\n<td>a|b</td>\n<td>1</td>\n</tr>\n</tbody>\n</table>',
    table_row: '<table>\n<tbody>\n<tr>\n<td>Orphan row</td>\n</tr>\n</tbody>\n</table>',
    meeting_notes:
      '<section class="meeting-notes">\n<p><strong>Weekly sync</strong></p>\n<p class="meeting-time">2026-02-24 10:00 UTC → 2026-02-24 10:45 UTC</p>\n<p>Meeting summary</p>\n</section>',
    transcription:
      '<section class="meeting-notes">\n<p><strong>Old transcription</strong></p>\n<p class="meeting-time">2026-02-24 09:00 UTC</p>\n</section>',
    embed:
      '<figure class="media embed">\n<a href="https://example.com/embed">https://example.com/embed</a>\n<figcaption>Embed caption</figcaption>\n</figure>',
    bookmark: '<figure class="media bookmark">\n<a href="https://example.com/bookmark">https://example.com/bookmark</a>\n</figure>',
    image: `<figure class="media image">\n<img src="${hosted('cat.png')}" alt="A cat">\n<figcaption>A cat</figcaption>\n</figure>`,
    video: '<figure class="media video">\n<a href="https://videos.example/v.mp4">v.mp4</a>\n<figcaption>A video</figcaption>\n</figure>',
    pdf: `<figure class="media pdf">\n<a href="${hosted('doc.pdf')}">doc.pdf</a>\n</figure>`,
    file: `<figure class="media file">\n<a href="${hosted('report%20final.xlsx')}">report final.xlsx</a>\n</figure>`,
    audio: `<figure class="media audio">\n<a href="${hosted('song.mp3')}">song.mp3</a>\n<figcaption>A song</figcaption>\n</figure>`,
    link_preview:
      '<figure class="media link-preview">\n<a href="https://github.com/makenotion/notion-sdk-js/pull/1">https://github.com/makenotion/notion-sdk-js/pull/1</a>\n</figure>',
    unsupported: '<p class="unsupported">[Unsupported block: ai_block]</p>',
  };

  for (const [type, expected] of Object.entries(golden)) {
    it(`renders ${type}`, () => {
      const source = all[type as BlockObjectResponse['type']];
      const blocks = type === 'table_of_contents' ? [source, all.heading_1] : [source];
      const html = fragment(blocks);
      expect(html).toBe(expected);
      expect(parseStrict(`<!doctype html><title>x</title>${html}`).errors).toEqual([]);
    });
  }

  it('renders a page of every block type and property type as a safe, valid standalone document', () => {
    const page = pageWithEveryProperty();
    const blocks = Object.values(everyBlock());
    const html = renderPageHtml(page, blocks, { dataSource: dataSourceWithEveryProperty() });
    expect(html.startsWith('<!doctype html><html><head><meta charset="utf-8">')).toBe(true);
    expect(html).toContain('<title>Row a*b_c #d [e] f|g &#x3C;h> `i` "j" \'k\', l &#x26; m ~n~ $o$ \\p</title>');
    expect(html).toContain('<meta name="notion-id" content="59833787-2cf9-4fdf-8782-e53db20768a5">');
    expect(html).toMatch(/<style>[^<]*prefers-color-scheme:dark[^<]*<\/style>/);
    const tree = expectSafeDocument(html, { page, blocks });
    const h1 = elements(tree).find((el) => el.tagName === 'h1')!;
    expect(textOf(h1)).toBe(`🥬 Row ${SPECIAL}`);
  });
});

describe('renderPageHtml: properties table', () => {
  it('lists every property but the title, in schema order, readable and linked', () => {
    const page = pageWithEveryProperty();
    const dataSource = dataSourceWithEveryProperty();
    const html = renderPageHtml(page, [], {
      dataSource,
      titleForPage: (id) => ({ 'rel-1': 'First' })[id],
      linkForPage: (id) => ({ 'rel-1': 'First.html' })[id],
      linkForFile: ({ url }) => (url.includes('hosted.pdf') ? 'files/hosted.pdf' : undefined),
      userName: (id) => ({ u1: 'Ada L.' })[id],
    });
    const tree = expectSafeDocument(html, page);
    const table = elements(tree).find((el) => el.tagName === 'table')!;
    expect(table.properties.className).toEqual(['properties']);
    const rows = elements(table)
      .filter((el) => el.tagName === 'tr')
      .map((tr) => elements(tr).filter((el) => el.tagName === 'th' || el.tagName === 'td').map((cell) => textOf(cell)));
    const expectedOrder = Object.keys(dataSource.properties).filter((name) => name !== 'Name' && name !== 'Action');
    expect(rows.map((row) => row[0])).toEqual(expectedOrder);
    expect(Object.fromEntries(rows)).toEqual({
      Notes: 'line 1\nline 2, "quoted"',
      Price: '$1,234.50',
      Share: '25%',
      Plain: '7',
      Stage: 'In progress',
      Kind: 'Fruit, dried',
      Tags: 'a, b "c"',
      When: '2026-01-05 09:30 UTC+01:00 → 2026-01-05 11:00 UTC+01:00',
      Day: '2026-01-05',
      People: 'Ada L., Team',
      Files: 'hosted.pdf, site',
      Done: 'No',
      Link: 'https://example.com/?q=1,2',
      Mail: 'ada@example.com',
      Phone: '+1 (555) 010-9999',
      Total: '42',
      Related: 'First, rel-2',
      Rolled: '3, 4',
      Created: '2026-01-05 10:00 UTC',
      Author: 'Ada L.',
      Edited: '2026-01-06 08:15 UTC',
      Editor: 'Grace',
      Ticket: 'TASK-42',
      Verified: 'Verified by Ada L. (2026-01-01 → 2026-04-01)',
      Where: 'Paris',
    });
    const links = elements(table)
      .filter((el) => el.tagName === 'a')
      .map((a) => `${textOf(a)} → ${a.properties.href}`);
    // The schema lists the properties in the reverse order of the page.
    expect(links).toEqual([
      'First → First.html',
      '+1 (555) 010-9999 → tel:+15550109999',
      'ada@example.com → mailto:ada@example.com',
      'https://example.com/?q=1,2 → https://example.com/?q=1,2',
      'hosted.pdf → files/hosted.pdf',
      'site → https://example.com/x.png',
    ]);
    expect(html).toContain('<td><strong>line 1<br>\nline 2, "quoted"</strong></td>');
  });

  it('has no properties table for a page with only a title', () => {
    expect(renderPageHtml(childPage, [])).not.toContain('<table');
  });
});

describe('renderPageHtml: rich text and sanitising', () => {
  it('keeps every annotation: colour classes, underline, strikethrough, code, links, equations', () => {
    const html = fragment([
      paragraph(
        text('red', { color: 'red' }),
        text(' on blue', { color: 'blue_background', underline: true }),
        text(' all', { bold: true, italic: true, strikethrough: true, underline: true, code: true, color: 'green' }),
        text(' '),
        text('link', {}, 'https://example.com/?a=1&b=2'),
        text(' '),
        { ...text('x^2'), type: 'equation', equation: { expression: 'x^2' } } as never,
      ),
    ]);
    expect(html).toBe(
      '<p><span class="color-red">red</span><u><span class="bg-blue"> on blue</span></u><del><strong><em><u><span class="color-green"><code> all</code></span></u></em></strong></del> <a href="https://example.com/?a=1&#x26;b=2">link</a> <span class="math math-inline"><math><semantics><mrow><msup><mi>x</mi><mn>2</mn></msup></mrow><annotation encoding="application/x-tex">x^2</annotation></semantics></math></span></p>',
    );
  });

  it('renders mentions: users by name, pages as links, custom emoji as images', () => {
    const html = fragment(
      [
        paragraph(
          mention({ type: 'user', user: { object: 'user', id: 'u1' } }, '@Someone'),
          text(' '),
          mention({ type: 'page', page: { id: 'p1' } }, 'Plan'),
          text(' '),
          mention({ type: 'custom_emoji', custom_emoji: { id: 'e', name: 'party', url: 'https://s3/party.png' } }, ':party:'),
        ),
      ],
      { userName: () => 'Ada', linkForPage: () => 'Plan.html', linkForFile: () => 'assets/party.png' },
    );
    expect(html).toBe(
      '<p>@Ada <a href="Plan.html">Plan</a> <img class="icon" src="assets/party.png" alt=":party:" title=":party:"></p>',
    );
  });

  it('drops dangerous URLs and never lets markup through', () => {
    const html = fragment([
      paragraph(text('<script>alert(1)</script>'), text(' click', {}, 'javascript:alert(1)')),
      block('bookmark', { url: 'javascript:alert(2)', caption: [] }),
      block('image', { type: 'external', external: { url: 'data:text/html,<script>' }, caption: [] }),
    ]);
    expect(html).not.toMatch(/<script|(?:href|src)="(?:javascript|data):/);
    expect(html).toBe(
      '<p>&#x3C;script>alert(1)&#x3C;/script><a> click</a></p>\n<figure class="media bookmark">\n<a>javascript:alert(2)</a>\n</figure>\n<figure class="media image">\n<img alt="">\n</figure>',
    );
  });

  it('keeps heading anchors as they are (no user-content- prefix) so the table of contents works', () => {
    const html = fragment([
      block('table_of_contents', { color: 'default' }),
      block('heading_1', { rich_text: [text('Intro')], color: 'default', is_toggleable: false }),
    ]);
    expect(html).toContain('<a href="#intro">Intro</a>');
    expect(html).toContain('<h2 id="intro">Intro</h2>');
    expect(html).not.toContain('user-content-');
  });
});

describe('renderPageHtml: layout blocks', () => {
  it('follows Notion’s header flags in tables', () => {
    const html = fragment([
      block('table', { table_width: 2, has_column_header: false, has_row_header: true }, [
        block('table_row', { cells: [[text('Row head')], [text('cell')]] }),
      ]),
    ]);
    expect(html).toBe('<table>\n<tbody>\n<tr>\n<th scope="row">Row head</th>\n<td>cell</td>\n</tr>\n</tbody>\n</table>');
  });

  it('plays downloaded video and audio, links remote media, and never loads remote players', () => {
    const all = everyBlock();
    const linkForFile = ({ url }: { url: string }) => (url.includes('song.mp3') ? 'files/song.mp3' : undefined);
    const localVideo = block('video', { type: 'file', file: { url: 'https://s3/v.mp4', expiry_time: '' }, caption: [] });
    const html = fragment([all.audio, all.video, localVideo], { linkForFile: (ref) => (ref.url === 'https://s3/v.mp4' ? 'files/v.mp4' : linkForFile(ref)) });
    expect(html).toContain('<audio src="files/song.mp3" controls><a href="files/song.mp3">song.mp3</a></audio>');
    expect(html).toContain('<video src="files/v.mp4" controls><a href="files/v.mp4">v.mp4</a></video>');
    expect(html).toContain('<a href="https://videos.example/v.mp4">v.mp4</a>');
    expect(html).not.toMatch(/<(video|audio)[^>]+src="https?:/);
  });

  it('renders callout icons, coloured blocks and lettered lists', () => {
    const html = fragment([
      block('callout', { rich_text: [text('c')], color: 'red', icon: { type: 'file', file: { url: 'https://s3/i.png', expiry_time: '' } } }),
      block('callout', { rich_text: [text('d')], color: 'default', icon: { type: 'custom_emoji', custom_emoji: { id: 'e', name: 'ok', url: '' } } }),
      block('numbered_list_item', { rich_text: [text('first')], color: 'default', list_format: 'letters' }),
      block('paragraph', { rich_text: [text('p')], color: 'yellow_background', icon: null }),
      block('quote', { rich_text: [text('q')], color: 'purple' }),
      block('toggle', { rich_text: [text('t')], color: 'pink' }),
    ]);
    expect(html).toContain('<aside class="callout color-red">\n<div class="callout-icon"><img class="icon" src="https://s3/i.png" alt=""></div>');
    expect(html).toContain('<div class="callout-icon">:ok:</div>');
    expect(html).toContain('<ol type="a">');
    expect(html).toContain('<p class="bg-yellow">p</p>');
    expect(html).toContain('<blockquote class="color-purple">');
    expect(html).toContain('<details class="toggle color-pink">\n<summary>t</summary>\n</details>');
  });

  it('shows a page icon that is an image, and no icon for native Notion icons', () => {
    const withImage = { ...childPage, icon: { type: 'external', external: { url: 'https://img.example/p.png' } } } as PageObjectResponse;
    expect(renderPageHtml(withImage, [])).toContain('<h1><img class="icon" src="https://img.example/p.png" alt=""> Test 2026');
    const native = sample<PageObjectResponse>('page__native-icon-type-icon.json');
    const html = renderPageHtml(native, []);
    expect(html).toContain('<h1>Bug bash</h1>');
    expectSafeDocument(html, native);
  });

  it('renders the real samples as valid documents', () => {
    const jomei = sample<BlockNode[]>('blocks__callout-child_database-column_list.json');
    const sdkNet = sample<{ results: BlockNode[] }>('blocks.children.list__synced_block-image-file-child_page.json').results;
    const mentions = sample<BlockNode>('block__paragraph-with-link_mention.json');
    const notes = sample<BlockNode>('block__meeting_notes.json');
    const row = sample<PageObjectResponse>('pages.retrieve__database-row-many-property-types.json');
    const blocks = [...jomei, ...sdkNet, mentions, notes];
    const html = renderPageHtml(row, blocks);
    expectSafeDocument(html, { row, blocks });
    expect(html).toContain('<a href="https://open.substack.com/pub/extelligence/p/introduction-to-a-boring-utopia?r=j1m8&#x26;utm_medium=ios">Introduction to A Boring Utopia</a>');
    expect(html).toContain('<td>A dark <span class="color-green">green</span> leafy vegetable</td>');
  });
});
