import type { Client } from '@notionhq/client';
import { APIErrorCode, APIResponseError } from '@notionhq/client';
import type { PageObjectResponse } from '@notionhq/client/build/src/api-endpoints';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { BlockNode } from '@/server/export/render/block-node';
import { createTestContext, type TestContext } from '@/server/testing/test-context';
import { pageObjectStore } from './item-lookup';
import { UserDirectory, type UserDirectoryStore, userDirectoryStore, usersCarriedBy } from './user-directory';

const ID = (n: number) => `00000000-0000-4000-8000-${String(n).padStart(12, '0')}`;
const person = (n: number, name: string | null) => ({ object: 'user', id: ID(n), name, avatar_url: null, type: 'person', person: {} });

/** A client whose users.list answers `pages` one after the other (cursors `c1`, `c2`…), or throws `error`. */
function clientListing(pages: ReturnType<typeof person>[][], error?: unknown) {
  const asked: (string | undefined)[] = [];
  const list = async (args: { start_cursor?: string; page_size?: number }) => {
    asked.push(args.start_cursor);
    if (error) throw error;
    const index = args.start_cursor ? Number(args.start_cursor.slice(1)) : 0;
    const more = index + 1 < pages.length;
    return { object: 'list', results: pages[index], has_more: more, next_cursor: more ? `c${index + 1}` : null, type: 'user', user: {} };
  };
  return { client: { users: { list } } as unknown as Client, asked };
}

function memoryStore(): UserDirectoryStore & { saved: unknown[] } {
  const saved: unknown[] = [];
  return {
    saved,
    load: async () => saved.at(-1) as never,
    save: async (directory) => {
      saved.push(structuredClone(directory));
    },
  };
}

const refused = (status: number, code: APIErrorCode) =>
  new APIResponseError({ code, status, message: 'Insufficient permissions for this endpoint.', headers: new Headers(), rawBodyText: '{}', additional_data: undefined, request_id: undefined });

describe('UserDirectory', () => {
  it('lists every page of users once, however many ask at once, and keeps them', async () => {
    const { client, asked } = clientListing([[person(1, 'Ada Lovelace'), person(2, null)], [person(3, ' Grace Hopper ')]]);
    const store = memoryStore();
    const directory = new UserDirectory(client, store);
    const [a, b] = await Promise.all([directory.names(), directory.names()]);
    expect(a).toBe(b);
    expect([...a]).toEqual([
      [ID(1), 'Ada Lovelace'],
      [ID(3), 'Grace Hopper'],
    ]);
    expect(asked).toEqual([undefined, 'c1']);
    expect(store.saved).toEqual([{ listed: true, names: [...a] }]);
  });

  it('reads back what an earlier run kept instead of listing again', async () => {
    const store = memoryStore();
    await store.save({ listed: true, names: [[ID(1), 'Ada Lovelace']] });
    const { client, asked } = clientListing([[person(1, 'Renamed since')]]);
    const names = await new UserDirectory(client, store).names();
    expect(names.get(ID(1))).toBe('Ada Lovelace');
    expect(asked).toEqual([]);
  });

  it('goes on without names when the token may not read users, and keeps that answer', async () => {
    const { client, asked } = clientListing([], refused(403, APIErrorCode.RestrictedResource));
    const store = memoryStore();
    expect((await new UserDirectory(client, store).names()).size).toBe(0);
    expect(store.saved).toEqual([{ listed: false, names: [] }]);
    expect((await new UserDirectory(client, store).names()).size).toBe(0);
    expect(asked).toHaveLength(1);
  });

  it('lets other failures end the run as any request would, and lists again when asked again', async () => {
    const unauthorized = refused(401, APIErrorCode.Unauthorized);
    await expect(new UserDirectory(clientListing([], unauthorized).client, memoryStore()).names()).rejects.toBe(unauthorized);
    const down = new TypeError('fetch failed');
    const { client, asked } = clientListing([], down);
    const directory = new UserDirectory(client, memoryStore());
    await expect(directory.names()).rejects.toBe(down);
    await expect(directory.names()).rejects.toBe(down);
    expect(asked).toHaveLength(2);
  });

  it('keeps saying the list was refused when it saves learned guests', async () => {
    const store = memoryStore();
    const directory = new UserDirectory(clientListing([], refused(403, APIErrorCode.RestrictedResource)).client, store);
    const page = { properties: { Owner: { id: 'o', type: 'people', people: [person(7, 'Barbara Liskov')] } } } as unknown as PageObjectResponse;
    await directory.learn(page);
    expect(store.saved.at(-1)).toEqual({ listed: false, names: [[ID(7), 'Barbara Liskov']] });
    const resumed = new UserDirectory(clientListing([]).client, store);
    await resumed.learn({ properties: { Owner: { id: 'o', type: 'people', people: [person(8, 'Edsger Dijkstra')] } } } as unknown as PageObjectResponse);
    expect(store.saved.at(-1)).toMatchObject({ listed: false });
  });

  it('learns guests from People values and mentions, never over a listed name, and keeps them', async () => {
    const { client } = clientListing([[person(1, 'Ada Lovelace')]]);
    const store = memoryStore();
    const directory = new UserDirectory(client, store);
    const page = {
      properties: {
        Owner: { id: 'o', type: 'people', people: [person(1, 'Someone else'), person(7, 'Barbara Liskov'), { object: 'user', id: ID(8) }] },
      },
    } as unknown as PageObjectResponse;
    const mention = (user: object) => ({ type: 'mention', mention: { type: 'user', user }, plain_text: '@x', annotations: {}, href: null });
    const blocks = [
      { id: 'b1', type: 'paragraph', paragraph: { rich_text: [mention(person(9, 'Edsger Dijkstra'))] }, children: [{ id: 'b2', type: 'table_row', table_row: { cells: [[mention(person(10, 'Donald Knuth'))]] } }] },
    ] as unknown as BlockNode[];
    await directory.learn(page, blocks);
    const names = await directory.names();
    expect(names.get(ID(1))).toBe('Ada Lovelace');
    expect([ID(7), ID(9), ID(10)].map((id) => names.get(id))).toEqual(['Barbara Liskov', 'Edsger Dijkstra', 'Donald Knuth']);
    expect(names.has(ID(8))).toBe(false);
    expect(store.saved.at(-1)).toEqual({ listed: true, names: [...names] });
    const saves = store.saved.length;
    await directory.learn(page, blocks);
    expect(store.saved).toHaveLength(saves); // nothing new: nothing saved
  });

  it('finds the users of title and rich text properties too', () => {
    const mention = { type: 'mention', mention: { type: 'user', user: { object: 'user', id: ID(4) } }, plain_text: '@x' };
    const page = { properties: { Name: { type: 'title', title: [mention] }, Notes: { type: 'rich_text', rich_text: [mention] }, N: { type: 'number', number: 1 } } };
    expect(usersCarriedBy(page as unknown as PageObjectResponse, []).map((u) => u.id)).toEqual([ID(4), ID(4)]);
    expect(usersCarriedBy(undefined, [])).toEqual([]);
  });
});

describe('userDirectoryStore', () => {
  let ctx: TestContext;
  beforeEach(async () => {
    ctx = await createTestContext();
  });
  afterEach(async () => {
    await ctx.cleanup();
  });

  it('keeps the directory in the export’s cache until the export finishes, apart from other exports', async () => {
    const db = ctx.database.db;
    const store = userDirectoryStore(db, 'export-1');
    expect(await store.load()).toBeUndefined();
    await store.save({ listed: true, names: [[ID(1), 'Ada']] });
    await store.save({ listed: true, names: [[ID(1), 'Ada'], [ID(2), 'Grace']] });
    expect(await store.load()).toEqual({ listed: true, names: [[ID(1), 'Ada'], [ID(2), 'Grace']] });
    expect(await userDirectoryStore(db, 'export-2').load()).toBeUndefined();
    await pageObjectStore(db, 'export-1').clear(); // what the finish does
    expect(await store.load()).toBeUndefined();
  });
});
