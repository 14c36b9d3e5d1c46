import { Client, isFullUser, LogLevel } from '@notionhq/client';
import type { ListUsersResponse, PageObjectResponse } from '@notionhq/client/build/src/api-endpoints';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { EXTERNAL_HOSTS, OVERSIZED_FILE_BYTES, servedExternalUrl } from './external';
import { startTwin, type Twin } from './index';

const WORKSPACE = { seed: 3, pages: 30, databases: 1, rowsPerDatabase: 3 };

describe('users.list', () => {
  let twin: Twin;
  beforeAll(async () => {
    twin = await startTwin({ workspace: WORKSPACE, tokensWithoutUserInformation: ['secret_no_users'] });
  });
  afterAll(async () => {
    await twin.close();
  });

  it('lists the people and the bot, not the guests, 100 at most per page', async () => {
    const notion = new Client({ auth: 'secret_twin', baseUrl: twin.url, retry: false });
    const first: ListUsersResponse = await notion.users.list({ page_size: 3 });
    expect(first.results).toHaveLength(3);
    expect(first.has_more).toBe(true);
    const all = [...first.results];
    let cursor = first.next_cursor;
    while (cursor) {
      const next = await notion.users.list({ page_size: 3, start_cursor: cursor });
      all.push(...next.results);
      cursor = next.next_cursor;
    }
    const people = twin.workspace.users.filter((u) => !u.guest);
    expect(twin.workspace.users.some((u) => u.guest)).toBe(true);
    expect(all.map((u) => u.id)).toEqual([...people.map((u) => u.id), twin.workspace.botUserId]);
    expect(all.every(isFullUser)).toBe(true);
  });

  it('refuses users.list and users.retrieve to a token without user information, and strips users elsewhere', async () => {
    const notion = new Client({ auth: 'secret_no_users', baseUrl: twin.url, retry: false, logLevel: LogLevel.ERROR });
    await expect(notion.users.list({})).rejects.toMatchObject({ status: 403, code: 'restricted_resource' });
    await expect(notion.users.retrieve({ user_id: twin.workspace.users[0]!.id })).rejects.toMatchObject({ status: 403 });
    expect((await notion.users.me({})).name).toBe(twin.workspace.integrationName);
    const row = twin.workspace.allDatabases()[0]!.rowIds[1]!; // the crowded row: People with names
    const page = (await notion.pages.retrieve({ page_id: row })) as PageObjectResponse;
    const owner = page.properties.Owner!;
    expect(owner.type === 'people' && owner.people.length).toBeGreaterThan(0);
    if (owner.type === 'people') for (const user of owner.people) expect(Object.keys(user).sort()).toEqual(['id', 'object']);
    expect(page.created_by).toEqual({ object: 'user', id: expect.any(String) });
    const named = (await new Client({ auth: 'secret_twin', baseUrl: twin.url, retry: false }).pages.retrieve({ page_id: row })) as PageObjectResponse;
    expect(JSON.stringify(named.properties.Owner)).toContain('"name"');
  });
});

describe('external files served by the twin', () => {
  let twin: Twin;
  beforeAll(async () => {
    twin = await startTwin({ workspace: WORKSPACE, serveExternalFiles: true });
  });
  afterAll(async () => {
    await twin.close();
  });

  it('shows the workspace’s external URLs at the twin, and only with the option', async () => {
    const external = twin.workspace.allAttachments().filter((a) => a.kind === 'external');
    expect(external.length).toBeGreaterThan(3);
    for (const a of external) expect(EXTERNAL_HOSTS.some((h) => a.url!.startsWith(`https://${h}/`)), a.url).toBe(true);
    const notion = new Client({ auth: 'secret_twin', baseUrl: twin.url, retry: false });
    const withIcon = external.find((a) => a.where === 'page_icon')!;
    const page = (await notion.pages.retrieve({ page_id: withIcon.ownerId })) as PageObjectResponse;
    expect(page.icon).toEqual({ type: 'external', external: { url: servedExternalUrl(withIcon.url!, twin.url) } });
    expect(servedExternalUrl(withIcon.url!, twin.url)).toMatch(new RegExp(`^${twin.url}/external/`));
    expect(servedExternalUrl('https://example.com/a.png', twin.url)).toBe('https://example.com/a.png');

    const plain = await startTwin({ workspace: WORKSPACE });
    try {
      const other = (await new Client({ auth: 'secret_twin', baseUrl: plain.url, retry: false }).pages.retrieve({ page_id: withIcon.ownerId })) as PageObjectResponse;
      expect(other.icon).toEqual({ type: 'external', external: { url: withIcon.url } });
      expect((await fetch(`${plain.url}/external/files.twin.example/whitepaper.pdf`)).status).not.toBe(200);
    } finally {
      await plain.close();
    }
  });

  it('answers a file with its type and length, a watch page as HTML, and an oversized file by its length', async () => {
    const pdf = await fetch(`${twin.url}/external/files.twin.example/whitepaper.pdf`);
    expect(pdf.status).toBe(200);
    expect(pdf.headers.get('content-type')).toBe('application/pdf');
    const bytes = Buffer.from(await pdf.arrayBuffer());
    expect(Number(pdf.headers.get('content-length'))).toBe(bytes.length);
    expect(bytes.toString('latin1')).toContain('whitepaper.pdf');

    const watch = await fetch(`${twin.url}/external/www.youtube.com/watch?v=dQw4w9WgXcQ`);
    expect(watch.headers.get('content-type')).toMatch(/^text\/html/);
    expect(await watch.text()).toMatch(/^<!doctype html>/);

    const controller = new AbortController();
    const podcast = await fetch(`${twin.url}/external/files.twin.example/podcast.mp3`, { signal: controller.signal });
    expect(Number(podcast.headers.get('content-length'))).toBe(OVERSIZED_FILE_BYTES);
    controller.abort();

    const streamed = await fetch(`${twin.url}/external/files.twin.example/tape.stream`);
    expect(streamed.headers.get('content-length')).toBeNull();
    const reader = streamed.body!.getReader();
    let read = 0;
    while (read < 1024 * 1024) read += (await reader.read()).value!.byteLength;
    await reader.cancel();
    expect(read).toBeGreaterThanOrEqual(1024 * 1024);

    expect((await fetch(`${twin.url}/external/elsewhere.example/a.pdf`)).status).toBe(404);
    const head = await fetch(`${twin.url}/external/images.twin.example/covers/x.jpg`, { method: 'HEAD' });
    expect(head.headers.get('content-type')).toBe('image/jpeg');
  });
});
