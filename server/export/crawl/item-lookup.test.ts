import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { exportIssues, exportItems } from '@/db/schema';
import { createTestContext, type TestContext } from '@/server/testing/test-context';
import { lookupItems } from './item-lookup';

let ctx: TestContext;
beforeEach(async () => {
  ctx = await createTestContext();
});
afterEach(async () => {
  await ctx.cleanup();
});

describe('lookupItems', () => {
  it('answers titles and places in one query per 500 ids; a linked database counts as not exported', async () => {
    const item = (itemId: string, kind: 'page' | 'database', seq: number, exportId = 'e1') => ({
      exportId,
      itemId,
      kind,
      status: 'done' as const,
      title: `T ${itemId}`,
      dir: 'd',
      stem: `S ${itemId}`,
      seq,
    });
    await ctx.database.db
      .insert(exportItems)
      .values([
        { ...item('p1', 'page', 1), lastEditedTime: '2025-01-01T00:00:00.000Z' },
        item('db1', 'database', 2),
        item('db2', 'database', 3),
        item('db1', 'database', 1, 'e2'),
      ]);
    await ctx.database.db.insert(exportIssues).values([
      { exportId: 'e1', itemId: 'db1', kind: 'linked_database', sourceId: 'a', message: 'linked' },
      { exportId: 'e1', itemId: 'db1', kind: 'linked_database', sourceId: 'b', message: 'linked again' },
      { exportId: 'e1', itemId: 'db2', kind: 'unsupported_block', sourceId: 'x', message: 'other issue' },
    ]);
    const many = Array.from({ length: 1200 }, (_, i) => `missing-${i}`);
    const found = await lookupItems(ctx.database.db, 'e1', ['p1', 'db1', 'db2', ...many]);
    expect([...found.keys()].sort()).toEqual(['db1', 'db2', 'p1']);
    // Listed by search (its edit time known): its title names links to it; db2 was never listed.
    expect(found.get('p1')).toEqual({ title: 'T p1', kind: 'page', status: 'done', dir: 'd', stem: 'S p1', listed: true });
    expect(found.get('db2')?.listed).toBe(false);
    expect(found.get('db1')?.status).toBe('failed');
    expect(found.get('db2')?.status).toBe('done');
    expect((await lookupItems(ctx.database.db, 'e2', ['db1'])).get('db1')?.status).toBe('done');
    expect((await lookupItems(ctx.database.db, 'e1', [])).size).toBe(0);
  });
});
