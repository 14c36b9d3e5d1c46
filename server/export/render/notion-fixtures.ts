import { readFileSync } from 'node:fs';
import path from 'node:path';
import type {
  BlockObjectResponse,
  DataSourceObjectResponse,
  PageObjectResponse,
  RichTextItemResponse,
} from '@notionhq/client/build/src/api-endpoints';
import type { BlockNode } from './block-node';
import { NO_ANNOTATIONS } from './rich-text';
import { REAL_API_SAMPLES } from '@/e2e/notion-twin/real-api-samples';

// Builders of Notion objects for the writers' tests: small hand-made blocks typed as the SDK's,
// and the recorded samples in e2e/notion-twin/samples/real-api.

const SAMPLES = REAL_API_SAMPLES;

/** A recorded payload from `e2e/notion-twin/samples/real-api` (see its SOURCES.md). */
export const sample = <T>(file: string): T => JSON.parse(readFileSync(path.join(SAMPLES, file), 'utf8')) as T;

type Annotations = Partial<RichTextItemResponse['annotations']>;

const annotationsOf = (annotations: Annotations): RichTextItemResponse['annotations'] => ({
  ...NO_ANNOTATIONS,
  ...annotations,
});

export function text(content: string, annotations: Annotations = {}, link?: string): RichTextItemResponse {
  return {
    type: 'text',
    text: { content, link: link ? { url: link } : null },
    annotations: annotationsOf(annotations),
    plain_text: content,
    href: link ?? null,
  };
}

export function equation(expression: string, annotations: Annotations = {}): RichTextItemResponse {
  return { type: 'equation', equation: { expression }, annotations: annotationsOf(annotations), plain_text: expression, href: null };
}

type Mention = Extract<RichTextItemResponse, { type: 'mention' }>['mention'];

export function mention(value: Mention, plain: string, href: string | null = null, annotations: Annotations = {}): RichTextItemResponse {
  return { type: 'mention', mention: value, annotations: annotationsOf(annotations), plain_text: plain, href };
}

const USER = { object: 'user' as const, id: 'ee5f0f84-409a-440f-983a-a5315961c6e4' };
const PARENT = { type: 'page_id' as const, page_id: '1eee9da6-d568-42c5-bef1-311262c7aca0' };

let counter = 0;
/** A fresh block id (lower-case dashed UUID). */
export function nextId(): string {
  counter += 1;
  return `00000000-0000-4000-8000-${counter.toString(16).padStart(12, '0')}`;
}

type BlockType = BlockObjectResponse['type'];
type Payload<T extends BlockType> = Extract<BlockObjectResponse, { type: T }>[T & keyof Extract<BlockObjectResponse, { type: T }>];

/** A block of `type` with its payload and (optionally) children, typed as the SDK's block. */
export function block<T extends BlockType>(type: T, payload: Payload<T>, children?: BlockNode[]): BlockNode {
  return {
    object: 'block',
    id: nextId(),
    parent: PARENT,
    created_time: '2026-01-05T10:00:00.000Z',
    last_edited_time: '2026-01-05T10:00:00.000Z',
    created_by: USER,
    last_edited_by: USER,
    has_children: Boolean(children?.length),
    in_trash: false,
    archived: false,
    type,
    [type]: payload,
    ...(children ? { children } : {}),
  } as unknown as BlockNode;
}

export const paragraph = (...rich: RichTextItemResponse[]) => block('paragraph', { rich_text: rich, color: 'default', icon: null });

/** Characters with a meaning in Markdown, HTML or CSV. */
export const SPECIAL = 'a*b_c #d [e] f|g <h> `i` "j" \'k\', l & m ~n~ $o$ \\p';

const hosted = (name: string) => ({ url: `https://prod-files-secure.s3.us-west-2.amazonaws.com/ws/${name}?X-Amz-Expires=3600`, expiry_time: '2026-01-05T11:00:00.000Z' });

/**
 * One block of every type in the SDK's `BlockObjectResponse` union. The mapped type makes this
 * fail to compile when the SDK gains a block type nobody has looked at.
 */
export function everyBlock(): { [T in BlockType]: BlockNode } {
  const linkTarget = '2e596511-572a-414c-af28-bc18da70cc7b';
  return {
    paragraph: block('paragraph', { rich_text: [text(`Paragraph ${SPECIAL}`)], color: 'default', icon: null }),
    heading_1: block('heading_1', { rich_text: [text('Heading one')], color: 'default', is_toggleable: false }),
    heading_2: block('heading_2', { rich_text: [text('Heading two')], color: 'default', is_toggleable: false }),
    heading_3: block('heading_3', { rich_text: [text('Heading three')], color: 'default', is_toggleable: true }, [paragraph(text('Inside toggle heading'))]),
    heading_4: block('heading_4', { rich_text: [text('Heading four')], color: 'default', is_toggleable: false }),
    bulleted_list_item: block('bulleted_list_item', { rich_text: [text('Bullet')], color: 'default' }, [
      block('bulleted_list_item', { rich_text: [text('Nested bullet')], color: 'default' }),
    ]),
    numbered_list_item: block('numbered_list_item', { rich_text: [text('Numbered')], color: 'default', list_start_index: 3 }),
    quote: block('quote', { rich_text: [text('Quoted')], color: 'default' }),
    to_do: block('to_do', { rich_text: [text('Done task')], color: 'default', checked: true }),
    toggle: block('toggle', { rich_text: [text('Toggle summary')], color: 'default' }, [paragraph(text('Toggle body'))]),
    template: block('template', { rich_text: [text('Template button')] }, [paragraph(text('Template body'))]),
    synced_block: block('synced_block', { synced_from: null }, [paragraph(text('Synced content'))]),
    child_page: block('child_page', { title: 'Child page' }),
    child_database: block('child_database', { title: 'Child database' }),
    equation: block('equation', { expression: 'e^{i\\pi} + 1 = 0' }),
    code: block('code', { rich_text: [text('const x = "```";')], caption: [text('Code caption')], language: 'typescript' }),
    callout: block('callout', { rich_text: [text('Callout text')], color: 'gray_background', icon: { type: 'emoji', emoji: '💡' } }),
    divider: block('divider', {}),
    breadcrumb: block('breadcrumb', {}),
    table_of_contents: block('table_of_contents', { color: 'default' }),
    tab: block('tab', {}, [block('paragraph', { rich_text: [text('Tab title')], color: 'default', icon: null }, [paragraph(text('Tab body'))])]),
    column_list: block('column_list', {}, [
      block('column', { width_ratio: 0.5 }, [paragraph(text('Left column'))]),
      block('column', { width_ratio: 0.5 }, [paragraph(text('Right column'))]),
    ]),
    column: block('column', {}, [paragraph(text('Lone column'))]),
    link_to_page: block('link_to_page', { type: 'page_id', page_id: linkTarget }),
    table: block('table', { table_width: 2, has_column_header: true, has_row_header: false }, [
      block('table_row', { cells: [[text('Key')], [text('Value')]] }),
      block('table_row', { cells: [[text('a|b')], [text('1')]] }),
    ]),
    table_row: block('table_row', { cells: [[text('Orphan row')]] }),
    meeting_notes: block('meeting_notes', {
      title: [text('Weekly sync')],
      status: 'notes_ready',
      calendar_event: { start_time: '2026-02-24T10:00:00.000Z', end_time: '2026-02-24T10:45:00.000Z', attendees: [USER.id] },
    }, [paragraph(text('Meeting summary'))]),
    transcription: block('transcription', { title: [text('Old transcription')], recording: { start_time: '2026-02-24T09:00:00.000Z' } }),
    embed: block('embed', { url: 'https://example.com/embed', caption: [text('Embed caption')] }),
    bookmark: block('bookmark', { url: 'https://example.com/bookmark', caption: [] }),
    image: block('image', { type: 'file', file: hosted('cat.png'), caption: [text('A cat')] }),
    video: block('video', { type: 'external', external: { url: 'https://videos.example/v.mp4' }, caption: [text('A video')] }),
    pdf: block('pdf', { type: 'file', file: hosted('doc.pdf'), caption: [] }),
    file: block('file', { type: 'file', file: hosted('report%20final.xlsx'), caption: [], name: 'report final.xlsx' }),
    audio: block('audio', { type: 'file', file: hosted('song.mp3'), caption: [text('A song')] }),
    link_preview: block('link_preview', { url: 'https://github.com/makenotion/notion-sdk-js/pull/1' }),
    unsupported: block('unsupported', { block_type: 'ai_block' }),
  };
}

/** A page in a data source with one property of every type (values in the shapes the API returns). */
export function pageWithEveryProperty(): PageObjectResponse {
  const base = sample<PageObjectResponse>('pages.retrieve__database-row-many-property-types.json');
  const properties = {
    Name: { id: 'title', type: 'title', title: [text(`Row ${SPECIAL}`)] },
    Notes: { id: 'n', type: 'rich_text', rich_text: [text('line 1\nline 2, "quoted"', { bold: true })] },
    Price: { id: 'p', type: 'number', number: 1234.5 },
    Share: { id: 's', type: 'number', number: 0.25 },
    Plain: { id: 'pl', type: 'number', number: 7 },
    Stage: { id: 'st', type: 'status', status: { id: 'x', name: 'In progress', color: 'blue' } },
    Kind: { id: 'k', type: 'select', select: { id: 'y', name: 'Fruit, dried', color: 'red' } },
    Tags: { id: 't', type: 'multi_select', multi_select: [{ id: '1', name: 'a', color: 'red' }, { id: '2', name: 'b "c"', color: 'blue' }] },
    When: { id: 'w', type: 'date', date: { start: '2026-01-05T09:30:00.000+01:00', end: '2026-01-05T11:00:00.000+01:00', time_zone: null } },
    Day: { id: 'd', type: 'date', date: { start: '2026-01-05', end: null, time_zone: null } },
    People: {
      id: 'pe',
      type: 'people',
      people: [{ object: 'user', id: 'u1', name: 'Ada', avatar_url: null, type: 'person', person: {} }, { object: 'group', id: 'g1', name: 'Team' }],
    },
    Files: {
      id: 'f',
      type: 'files',
      files: [
        { name: 'hosted.pdf', type: 'file', file: hosted('hosted.pdf') },
        { name: 'site', type: 'external', external: { url: 'https://example.com/x.png' } },
      ],
    },
    Done: { id: 'c', type: 'checkbox', checkbox: false },
    Link: { id: 'u', type: 'url', url: 'https://example.com/?q=1,2' },
    Mail: { id: 'e', type: 'email', email: 'ada@example.com' },
    Phone: { id: 'ph', type: 'phone_number', phone_number: '+1 (555) 010-9999' },
    Total: { id: 'fo', type: 'formula', formula: { type: 'number', number: 42 } },
    Related: { id: 'r', type: 'relation', relation: [{ id: 'rel-1' }, { id: 'rel-2' }], has_more: false },
    Rolled: {
      id: 'ro',
      type: 'rollup',
      rollup: { type: 'array', function: 'show_original', array: [{ type: 'number', number: 3 }, { type: 'number', number: 4 }] },
    },
    Created: { id: 'ct', type: 'created_time', created_time: '2026-01-05T10:00:00.000Z' },
    Author: { id: 'cb', type: 'created_by', created_by: { object: 'user', id: 'u1' } },
    Edited: { id: 'et', type: 'last_edited_time', last_edited_time: '2026-01-06T08:15:00.000Z' },
    Editor: { id: 'eb', type: 'last_edited_by', last_edited_by: { object: 'user', id: 'u2', name: 'Grace', avatar_url: null, type: 'person', person: {} } },
    Ticket: { id: 'ui', type: 'unique_id', unique_id: { prefix: 'TASK', number: 42 } },
    Verified: {
      id: 'v',
      type: 'verification',
      verification: { state: 'verified', date: { start: '2026-01-01', end: '2026-04-01', time_zone: null }, verified_by: { object: 'user', id: 'u1' } },
    },
    Where: { id: 'pla', type: 'place', place: { lat: 48.85, lon: 2.35, name: 'Paris', address: null } },
    Action: { id: 'b', type: 'button', button: {} },
  };
  return { ...base, properties } as unknown as PageObjectResponse;
}

/** The data source schema matching `pageWithEveryProperty` (in a different order than the page). */
export function dataSourceWithEveryProperty(): DataSourceObjectResponse {
  const base = sample<DataSourceObjectResponse>('v2025-09-03_dataSources.retrieve.json');
  const page = pageWithEveryProperty();
  const names = Object.keys(page.properties).reverse();
  const properties: Record<string, unknown> = {};
  for (const name of names) {
    const type = page.properties[name].type;
    const config = type === 'number' ? { format: name === 'Price' ? 'dollar' : name === 'Share' ? 'percent' : 'number' } : {};
    properties[name] = { id: page.properties[name].id, name, description: null, type, [type]: config };
  }
  return { ...base, properties } as unknown as DataSourceObjectResponse;
}

/** The legacy (2021) capture stores rich text under `text`; rename it to today's `rich_text`. */
export function modernise(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(modernise);
  if (!value || typeof value !== 'object') return value;
  const out: Record<string, unknown> = {};
  for (const [key, inner] of Object.entries(value)) {
    const isRichText = key === 'text' && Array.isArray(inner);
    out[isRichText ? 'rich_text' : key] = modernise(inner);
  }
  return out;
}
