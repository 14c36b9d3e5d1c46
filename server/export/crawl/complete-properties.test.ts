import type { DataSourceObjectResponse, PageObjectResponse } from '@notionhq/client/build/src/api-endpoints';
import { describe, expect, it } from 'vitest';
import { REFERENCE_LIMIT, truncatedProperties } from './complete-properties';

const mention = (n: number) => ({ type: 'mention', plain_text: `@${n}`, mention: { type: 'user', user: { id: `u${n}` } } });
const text = (n: number) => ({ type: 'text', plain_text: `t${n}`, text: { content: `t${n}`, link: null } });
const times = <T>(n: number, f: (i: number) => T) => Array.from({ length: n }, (_, i) => f(i));

function page(properties: Record<string, unknown>): PageObjectResponse {
  return { object: 'page', id: 'p1', properties } as unknown as PageObjectResponse;
}

const schema = {
  properties: {
    Related: { id: 'rel', type: 'relation' },
    Others: { id: 'oth', type: 'relation' },
    Count: { id: 'cnt', type: 'rollup', rollup: { relation_property_id: 'rel' } },
    OtherCount: { id: 'ocnt', type: 'rollup', rollup: { relation_property_id: 'oth' } },
  },
} as unknown as DataSourceObjectResponse;

const names = (list: { name: string }[]) => list.map((p) => p.name).sort();

describe('truncatedProperties', () => {
  it('counts mentions, not text runs, in titles and texts: 25 mentions may be cut, more were completed here', () => {
    const props = {
      Name: { id: 'title', type: 'title', title: [...times(REFERENCE_LIMIT, mention), text(0)] },
      Long: { id: 'long', type: 'rich_text', rich_text: times(40, text) },
      Completed: { id: 'done', type: 'rich_text', rich_text: times(30, mention) },
      Few: { id: 'few', type: 'rich_text', rich_text: times(24, mention) },
    };
    expect(names(truncatedProperties(page(props)))).toEqual(['Name']);
  });

  it('reads people when exactly 25 are shown, not when more are (completed) or fewer', () => {
    const people = (n: number) => ({ id: `p${n}`, type: 'people', people: times(n, (i) => ({ object: 'user', id: `u${i}` })) });
    expect(names(truncatedProperties(page({ A: people(25), B: people(30), C: people(3) })))).toEqual(['A']);
  });

  it('reads a relation Notion marks as cut, and only the rollups over it when the schema tells which', () => {
    const related = { id: 'rel', type: 'relation', relation: times(25, (i) => ({ id: `r${i}` })), has_more: true };
    const others = { id: 'oth', type: 'relation', relation: [{ id: 'x' }], has_more: false };
    const rollup = (id: string) => ({ id, type: 'rollup', rollup: { type: 'number', number: 1, function: 'count' } });
    const props = { Related: related, Others: others, Count: rollup('cnt'), OtherCount: rollup('ocnt') };
    expect(names(truncatedProperties(page(props), schema))).toEqual(['Count', 'Related']);
    // Without the schema every rollup of a page with a cut relation is read.
    expect(names(truncatedProperties(page(props)))).toEqual(['Count', 'OtherCount', 'Related']);
    // Completed (has_more false): nothing more to read.
    expect(truncatedProperties(page({ ...props, Related: { ...related, has_more: false } }), schema)).toEqual([]);
  });
});
