import type { Client } from '@notionhq/client';
import type { DataSourceObjectResponse, PageObjectResponse } from '@notionhq/client/build/src/api-endpoints';
import { describe, expect, it } from 'vitest';
import { propertyPlainValue } from '@/server/export/render/property-format';
import { completeProperties } from './complete-properties';

// What the property item endpoint answers for a rollup over a relation of 30 pages: the related
// pages as relation items, then the rollup over all of them; a show_original rollup as one empty
// object per page (as the twin does, after Notion).
const RELATED = Array.from({ length: 30 }, (_, i) => `00000000-0000-4000-8000-${String(i + 1).padStart(12, '0')}`);
const rich = (text: string) => ({ type: 'text', text: { content: text, link: null }, plain_text: text, href: null, annotations: {} });

function clientAnswering(final: Record<string, unknown>): Client {
  const retrieve = async ({ property_id }: { property_id: string }) => ({
    object: 'list',
    results: RELATED.map((id) => ({ object: 'property_item', id: 'rel', type: 'relation', relation: { id } })),
    has_more: false,
    next_cursor: null,
    type: 'property_item',
    property_item: property_id === 'rel' ? { id: 'rel', type: 'relation', relation: {}, next_url: null } : { id: property_id, next_url: null, ...final[property_id] as object },
  });
  return { pages: { properties: { retrieve } } } as unknown as Client;
}

function rowWithCutRelation(): PageObjectResponse {
  const inline = RELATED.slice(0, 25);
  return {
    object: 'page',
    id: 'row-1',
    properties: {
      Related: { id: 'rel', type: 'relation', relation: inline.map((id) => ({ id })), has_more: true },
      Names: { id: 'nam', type: 'rollup', rollup: { type: 'array', function: 'show_original', array: inline.map((id) => ({ type: 'title', title: [rich(`Title ${id.slice(-2)}`)] })) } },
      Dues: { id: 'due', type: 'rollup', rollup: { type: 'array', function: 'show_original', array: inline.map(() => ({ type: 'date', date: { start: '2026-01-01', end: null } })) } },
      Count: { id: 'cnt', type: 'rollup', rollup: { type: 'number', function: 'count', number: 25 } },
    },
  } as unknown as PageObjectResponse;
}

const SCHEMA = {
  properties: {
    Related: { id: 'rel', type: 'relation' },
    Names: { id: 'nam', type: 'rollup', rollup: { function: 'show_original', rollup_property_id: 'title', relation_property_id: 'rel' } },
    Dues: { id: 'due', type: 'rollup', rollup: { function: 'show_original', rollup_property_id: 'Jsfb', relation_property_id: 'rel' } },
    Count: { id: 'cnt', type: 'rollup', rollup: { function: 'count', rollup_property_id: 'title', relation_property_id: 'rel' } },
  },
} as unknown as DataSourceObjectResponse;

const EMPTY_ARRAY = { type: 'rollup', rollup: { type: 'array', function: 'show_original', array: RELATED.map(() => ({})) } };
const client = clientAnswering({ nam: EMPTY_ARRAY, due: EMPTY_ARRAY, cnt: { type: 'rollup', rollup: { type: 'number', function: 'count', number: 30 } } });

describe('completing rollups over a relation of more than 25 pages', () => {
  it('shows every related page of a show_original rollup of their titles, named by title', async () => {
    const row = rowWithCutRelation();
    await completeProperties(client, row, SCHEMA);
    const titles = propertyPlainValue(row.properties.Names!, { titleForPage: (id) => `Title ${id.slice(-2)}` }) as string[];
    expect(titles).toHaveLength(30);
    expect(titles.at(-1)).toBe('Title 30');
    expect(propertyPlainValue(row.properties.Count!)).toBe(30);
  });

  it('keeps the values the page object had when the rolled-up values cannot be had, rather than none', async () => {
    const row = rowWithCutRelation();
    await completeProperties(client, row, SCHEMA);
    expect(propertyPlainValue(row.properties.Dues!)).toHaveLength(25);
    const unknownSchema = rowWithCutRelation();
    await completeProperties(client, unknownSchema);
    expect(propertyPlainValue(unknownSchema.properties.Names!)).toHaveLength(25);
  });
});
