import { describe, expect, it } from 'vitest';
import { StemList } from './stem-list';

describe('StemList', () => {
  const id = '1a2b3c4d-0000-4000-8000-00000000abcd';
  const hex = '1a2b3c4d00004000800000000000abcd';
  const cases: [title: string, stem: string][] = [
    ['Plan', `Plan ${hex}`], // Notion naming: title and id
    ['Plan', 'Plan'], // clean naming
    ['Plan', 'Plan (2)'], // clean naming, a repeated title
    ['a/b: c?', `a b c ${hex}`], // reserved characters made spaces
    ['', `Untitled ${hex}`],
    ['A very long title', `A very l ${hex}`], // shortened
    ['Plan', ` ${hex}`], // a stem that is only the tail is kept whole
    ['Plan', hex],
    [`Plan ${hex}`, `Plan ${hex}`], // a title that ends with its own id
  ];

  it('gives back every stem exactly, past its first growth', () => {
    const list = new StemList();
    const all = Array.from({ length: 300 }, (_, i) => cases[i % cases.length]);
    for (const [title, stem] of all) list.push(title, id, stem);
    expect(list.length).toBe(300);
    expect(all.map(([title], i) => list.get(i, title, id))).toEqual(all.map(([, stem]) => stem));
  });

  it('keeps nothing of a stem that is its title and id', () => {
    const list = new StemList();
    list.push('Plan', id, `Plan ${hex}`);
    list.push('Plan', id, 'Plan');
    list.push('Plan', id, 'Plan (2)');
    const heads = (list as unknown as { heads: string[] }).heads;
    expect(heads).toEqual(['', '', 'Plan (2)']);
  });
});
