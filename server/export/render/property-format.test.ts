import type { PageObjectResponse } from '@notionhq/client/build/src/api-endpoints';
import { describe, expect, it } from 'vitest';
import { dataSourceWithEveryProperty, pageWithEveryProperty, sample, text } from './notion-fixtures';
import {
  formatNumber,
  formatPropertyValue,
  type PropertyContext,
  type PropertyValue,
  propertyItems,
  propertyPlainValue,
} from './property-format';

const value = (v: Record<string, unknown>) => ({ id: 'x', ...v }) as unknown as PropertyValue;
const user = { object: 'user', id: 'u1', name: 'Ada' };

describe('formatPropertyValue: every property type', () => {
  const page = pageWithEveryProperty();
  const schema = dataSourceWithEveryProperty().properties;
  const ctx: PropertyContext = {
    titleForPage: (id) => ({ 'rel-1': 'First' })[id],
    linkForPage: (id) => ({ 'rel-1': '../First.md' })[id],
    linkForFile: ({ url }) => (url.includes('hosted.pdf') ? 'files/hosted.pdf' : undefined),
    userName: (id) => ({ u1: 'Ada Lovelace' })[id],
  };
  const format = (name: string) => formatPropertyValue(page.properties[name], ctx, schema[name]);

  it.each([
    ['Name', { text: 'Row a*b_c #d [e] f|g <h> `i` "j" \'k\', l & m ~n~ $o$ \\p' }],
    ['Notes', { text: 'line 1\nline 2, "quoted"' }],
    ['Price', { text: '$1,234.50' }],
    ['Share', { text: '25%' }],
    ['Plain', { text: '7' }],
    ['Stage', { text: 'In progress' }],
    ['Kind', { text: 'Fruit, dried' }],
    ['Tags', { text: 'a, b "c"' }],
    ['When', { text: '2026-01-05 09:30 UTC+01:00 → 2026-01-05 11:00 UTC+01:00' }],
    ['Day', { text: '2026-01-05' }],
    ['People', { text: 'Ada Lovelace, Team' }],
    [
      'Files',
      {
        text: 'hosted.pdf, site',
        links: [
          { title: 'hosted.pdf', href: 'files/hosted.pdf' },
          { title: 'site', href: 'https://example.com/x.png' },
        ],
      },
    ],
    ['Done', { text: 'No' }],
    ['Link', { text: 'https://example.com/?q=1,2', links: [{ title: 'https://example.com/?q=1,2', href: 'https://example.com/?q=1,2' }] }],
    ['Mail', { text: 'ada@example.com', links: [{ title: 'ada@example.com', href: 'mailto:ada@example.com' }] }],
    ['Phone', { text: '+1 (555) 010-9999', links: [{ title: '+1 (555) 010-9999', href: 'tel:+15550109999' }] }],
    ['Total', { text: '42' }],
    ['Related', { text: 'First, rel-2', links: [{ title: 'First', href: '../First.md' }] }],
    ['Rolled', { text: '3, 4' }],
    ['Created', { text: '2026-01-05 10:00 UTC' }],
    ['Author', { text: 'Ada Lovelace' }],
    ['Edited', { text: '2026-01-06 08:15 UTC' }],
    ['Editor', { text: 'Grace' }],
    ['Ticket', { text: 'TASK-42' }],
    ['Verified', { text: 'Verified by Ada Lovelace (2026-01-01 → 2026-04-01)' }],
    ['Where', { text: 'Paris' }],
    ['Action', { text: '' }],
  ])('%s', (name, expected) => {
    expect(format(name)).toEqual(expected);
  });

  it('covers every property type of the SDK', () => {
    // Fails to compile when the SDK gains a property type.
    const sdkTypes: { [T in PropertyValue['type']]: true } = {
      title: true, rich_text: true, number: true, select: true, multi_select: true, status: true, date: true,
      people: true, files: true, checkbox: true, url: true, email: true, phone_number: true, formula: true,
      relation: true, rollup: true, created_time: true, created_by: true, last_edited_time: true,
      last_edited_by: true, unique_id: true, verification: true, place: true, button: true,
    };
    expect(new Set(Object.values(page.properties).map((p) => p.type))).toEqual(new Set(Object.keys(sdkTypes)));
  });

  it('formats the recorded row (docs example) without a context', () => {
    const row = sample<PageObjectResponse>('pages.retrieve__database-row-many-property-types.json');
    const texts = Object.fromEntries(Object.entries(row.properties).map(([name, v]) => [name, formatPropertyValue(v).text]));
    expect(texts).toEqual({
      'Store availability': "Gus's Community Market, Rainbow Grocery",
      'Food group': '🥬 Vegetable',
      Price: '2.5',
      'Responsible Person': 'Cristina Cordova',
      'Last ordered': '2022-02-22',
      'Cost of next trip': '0',
      Recipes: '90eeeed8-2cdd-4af4-9cc1-3d24aff5f63c, a2da43ee-d43c-4285-8ae2-6d811f12629a',
      Description: 'A dark green leafy vegetable',
      'In stock': 'Yes',
      'Number of meals': '2',
      Photo: 'https://i.insider.com/612fb23c9ef1e50018f93198?width=1136&format=jpeg',
      Name: 'Tuscan kale',
    });
    // With the legacy schema (grocery list), Price is in dollars.
    const legacy = sample<{ properties: Record<string, { type: string; number?: { format: string } }> }>(
      'v2022-06-28_databases.retrieve__grocery-list-schema.json',
    );
    expect(formatPropertyValue(row.properties.Price, {}, legacy.properties.Price).text).toBe('$2.50');
  });
});

describe('formatPropertyValue: edge cases', () => {
  it('leaves empty values empty', () => {
    for (const v of [
      { type: 'number', number: null },
      { type: 'select', select: null },
      { type: 'status', status: null },
      { type: 'date', date: null },
      { type: 'url', url: null },
      { type: 'email', email: null },
      { type: 'phone_number', phone_number: null },
      { type: 'multi_select', multi_select: [] },
      { type: 'relation', relation: [] },
      { type: 'formula', formula: { type: 'string', string: null } },
      { type: 'formula', formula: { type: 'boolean', boolean: null } },
      { type: 'formula', formula: { type: 'unsupported', unsupported: {} } },
      { type: 'rollup', rollup: { type: 'unsupported', unsupported: {}, function: 'count' } },
      { type: 'unique_id', unique_id: { prefix: 'X', number: null } },
      { type: 'verification', verification: null },
      { type: 'place', place: null },
      { type: 'some_future_type' },
    ]) {
      expect(formatPropertyValue(value(v)), JSON.stringify(v)).toEqual({ text: '' });
    }
  });

  it('formats formulas, rollups and dates of every kind', () => {
    const f = (v: Record<string, unknown>) => formatPropertyValue(value(v)).text;
    expect(f({ type: 'formula', formula: { type: 'string', string: 'hi' } })).toBe('hi');
    expect(f({ type: 'formula', formula: { type: 'boolean', boolean: true } })).toBe('Yes');
    expect(f({ type: 'formula', formula: { type: 'date', date: { start: '2024-02-02T08:00:00.000Z', end: null } } })).toBe(
      '2024-02-02 08:00 UTC',
    );
    expect(f({ type: 'rollup', rollup: { type: 'number', number: 0.5, function: 'percent_checked' } })).toBe('50%');
    expect(f({ type: 'rollup', rollup: { type: 'number', number: 12, function: 'sum' } })).toBe('12');
    expect(f({ type: 'rollup', rollup: { type: 'date', date: { start: '2024-03-03', end: '2024-03-05' }, function: 'date_range' } })).toBe(
      '2024-03-03 → 2024-03-05',
    );
    expect(
      f({
        type: 'rollup',
        rollup: {
          type: 'array',
          function: 'show_original',
          array: [
            { type: 'title', title: [text('A')] },
            { type: 'multi_select', multi_select: [{ name: 'x' }, { name: 'y' }] },
            { type: 'people', people: [user] },
            { type: 'button', button: {} },
          ],
        },
      }),
    ).toBe('A, x, y, Ada');
    const incomplete = sample<{ property_item: Record<string, unknown> }>('pages.properties.retrieve__rollup-of-relation-paginated.json');
    expect(f(incomplete.property_item)).toBe('(incomplete)');
    expect(propertyPlainValue(value(incomplete.property_item))).toBeNull();
    expect(
      f({ type: 'date', date: { start: '2024-01-01T09:00:00.000-05:00', end: '2024-01-01T10:00:00.000-05:00', time_zone: 'America/New_York' } }),
    ).toBe('2024-01-01 09:00 → 2024-01-01 10:00 (America/New_York)');
    expect(f({ type: 'unique_id', unique_id: { prefix: null, number: 7 } })).toBe('7');
    expect(f({ type: 'verification', verification: { state: 'unverified', date: null, verified_by: null } })).toBe('Unverified');
    expect(f({ type: 'verification', verification: { state: 'expired', date: null, verified_by: user } })).toBe('Expired by Ada');
    expect(f({ type: 'place', place: { lat: 1.5, lon: 2.5, address: 'Main St' } })).toBe('Main St');
    expect(f({ type: 'place', place: { lat: 1.5, lon: 2.5 } })).toBe('1.5, 2.5');
    expect(f({ type: 'people', people: [{ object: 'user', id: 'u9' }, { object: 'group', id: 'g', name: null }] })).toBe('u9 (unknown user), g (unknown user)');
    // Front matter keeps the bare id: a program reading it can still look the user up.
    expect(propertyPlainValue({ type: 'people', people: [{ object: 'user', id: 'u9' }] } as never)).toEqual(['u9']);
    expect(f({ type: 'created_by', created_by: { object: 'user', id: 'u9' } })).toBe('u9 (unknown user)');
    expect(f({ type: 'last_edited_by', last_edited_by: { object: 'user', id: 'u1', name: 'Ada' } })).toBe('Ada');
  });

  it('lists the items of a value one by one, with links', () => {
    expect(propertyItems(value({ type: 'relation', relation: [{ id: 'a' }, { id: 'b' }] }), { linkForPage: (id) => (id === 'a' ? 'A.md' : undefined) })).toEqual([
      { text: 'a', href: 'A.md' },
      { text: 'b' },
    ]);
    expect(propertyItems(value({ type: 'button', button: {} }))).toBeUndefined();
  });
});

describe('formatNumber', () => {
  it.each([
    [1234.5, 'number', '1234.5'],
    [1234.5, 'number_with_commas', '1,234.5'],
    [0.125, 'percent', '12.5%'],
    [3, 'euro', '€3.00'],
    [1000, 'yen', '¥1,000'],
    [2.5, 'canadian_dollar', 'CA$2.50'],
    [-4, 'pound', '-£4.00'],
    [5, 'unknown_format', '5'],
    [5, undefined, '5'],
    [Number.POSITIVE_INFINITY, 'dollar', 'Infinity'],
  ])('%s as %s → %s', (n, format, expected) => {
    expect(formatNumber(n, format)).toBe(expected);
  });
});

describe('propertyPlainValue (front matter)', () => {
  const plain = (v: Record<string, unknown>, ctx: PropertyContext = {}) => propertyPlainValue(value(v), ctx);

  it('keeps lists as lists, numbers and booleans as they are, dates raw', () => {
    expect(plain({ type: 'multi_select', multi_select: [{ name: 'a' }, { name: 'b' }] })).toEqual(['a', 'b']);
    expect(plain({ type: 'relation', relation: [{ id: 'r1' }] }, { titleForPage: () => 'Title' })).toEqual(['Title']);
    expect(plain({ type: 'relation', relation: [{ id: 'r1' }] })).toEqual(['r1']);
    expect(plain({ type: 'number', number: 2.5 })).toBe(2.5);
    expect(plain({ type: 'checkbox', checkbox: false })).toBe(false);
    expect(plain({ type: 'date', date: { start: '2024-01-01', end: '2024-01-03', time_zone: null } })).toBe('2024-01-01 → 2024-01-03');
    expect(plain({ type: 'created_time', created_time: '2024-01-01T00:00:00.000Z' })).toBe('2024-01-01T00:00:00.000Z');
    expect(plain({ type: 'unique_id', unique_id: { prefix: null, number: 7 } })).toBe(7);
    expect(plain({ type: 'unique_id', unique_id: { prefix: 'T', number: 7 } })).toBe('T-7');
    expect(plain({ type: 'verification', verification: { state: 'verified', date: null, verified_by: null } })).toBe('verified');
    expect(plain({ type: 'files', files: [{ name: 'a.pdf', type: 'file', file: { url: 'https://s3/a.pdf', expiry_time: '' } }] })).toEqual([
      'a.pdf',
    ]);
    // A Notion-hosted file not downloaded (a database table's cell) is named, never linked by its
    // signed URL, which stops working within the hour; a file on another site keeps its link.
    expect(
      propertyItems(
        value({
          type: 'files',
          files: [
            { name: 'a.pdf', type: 'file', file: { url: 'https://s3/a.pdf?X-Amz-Signature=abc', expiry_time: '' } },
            { name: 'b.png', type: 'external', external: { url: 'https://example.com/b.png' } },
          ],
        }),
      ),
    ).toEqual([{ text: 'a.pdf' }, { text: 'b.png', href: 'https://example.com/b.png' }]);
    expect(plain({ type: 'select', select: null })).toBeNull();
    expect(plain({ type: 'multi_select', multi_select: [] })).toEqual([]);
    expect(plain({ type: 'button', button: {} })).toBeUndefined();
    expect(plain({ type: 'some_future_type' })).toBeNull();
  });
});
