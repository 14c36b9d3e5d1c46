import { APIResponseError, type Client, iteratePaginatedAPI } from '@notionhq/client';
import type { PageObjectResponse, RichTextItemResponse } from '@notionhq/client/build/src/api-endpoints';
import { and, eq } from 'drizzle-orm';
import type { DB } from '@/db/client';
import { exportPageObjects } from '@/db/schema';
import type { BlockNode } from '@/server/export/render/block-node';
import { normalizeId } from '@/server/export/render/notion-text';
import { classifyError } from '@/server/retry/classify';

/**
 * The key the directory is kept under in the export's cache of objects read (export_page_objects):
 * no page id looks like it, and the cache is emptied when the export finishes.
 */
export const USER_DIRECTORY_KEY = 'users';

/** What the directory keeps between the runs of one export. */
interface SavedDirectory {
  /** Whether Notion listed the workspace's users (false: the token may not read users). */
  listed: boolean;
  names: [string, string][];
}

/** Where the directory is kept while the export lasts, so a resumed run shows the names the first did. */
export interface UserDirectoryStore {
  load(): Promise<SavedDirectory | undefined>;
  save(directory: SavedDirectory): Promise<void>;
}

export function userDirectoryStore(db: DB, exportId: string): UserDirectoryStore {
  const where = and(eq(exportPageObjects.exportId, exportId), eq(exportPageObjects.pageId, USER_DIRECTORY_KEY));
  return {
    async load() {
      const [row] = await db.select({ data: exportPageObjects.data }).from(exportPageObjects).where(where);
      return row ? (row.data as SavedDirectory) : undefined;
    },
    async save(directory) {
      await db
        .insert(exportPageObjects)
        .values({ exportId, pageId: USER_DIRECTORY_KEY, data: directory })
        .onConflictDoUpdate({ target: [exportPageObjects.exportId, exportPageObjects.pageId], set: { data: directory } });
    },
  };
}

/** A user as pages carry one: a bare `{ object, id }`, or with the name when the token may read users. */
type UserLike = { id: string; name?: string | null };

/**
 * The names of the workspace's people, for "Created by", "Last edited by", "Verified by", People
 * and mentions. Listed once per export through `users.list` (one request per 100 users, at the
 * first page rendered, so a sync that renders nothing asks nothing), and kept in the export's
 * cache: a resumed run reads them back instead of listing again, and shows every name the first
 * run showed. Guests are not in Notion's list: their names are learned from the values that carry
 * them (People properties, mentions) and kept the same way. A user neither gives stays an id.
 */
export class UserDirectory {
  private loading?: Promise<Map<string, string>>;
  /** Whether Notion listed the users (false: refused), as saved with the names. */
  private listed = true;
  private saving: Promise<void> = Promise.resolve();

  constructor(
    private readonly client: Client,
    private readonly store: UserDirectoryStore,
  ) {}

  /** The names known so far, by normalized user id. */
  names(): Promise<ReadonlyMap<string, string>> {
    // A failed listing is not kept: the run ends on it, and a later call (a retry) lists again.
    this.loading ??= this.load().catch((error: unknown) => {
      this.loading = undefined;
      throw error;
    });
    return this.loading;
  }

  /**
   * Keeps the names a page's values carry for users the list does not name (guests), and saves
   * them for a resumed run. Waits for the list first, so a learned name never hides a listed one.
   */
  async learn(page: PageObjectResponse | undefined, blocks: readonly BlockNode[] = []): Promise<void> {
    const names = (await this.names()) as Map<string, string>;
    let learned = false;
    for (const user of usersCarriedBy(page, blocks)) {
      const id = normalizeId(user.id);
      const name = user.name?.trim();
      if (name && !names.has(id)) {
        names.set(id, name);
        learned = true;
      }
    }
    if (learned) await this.persist(names);
  }

  private async load(): Promise<Map<string, string>> {
    const saved = await this.store.load();
    if (saved) {
      this.listed = saved.listed;
      return new Map(saved.names);
    }
    const names = new Map<string, string>();
    try {
      for await (const user of iteratePaginatedAPI(this.client.users.list, { page_size: 100 })) {
        if (user.name?.trim()) names.set(normalizeId(user.id), user.name.trim());
      }
    } catch (error) {
      // A token without the "read user information" capability is refused (403), and a personal
      // access token may not list users at all: the export goes on, showing ids with a note.
      // Anything else (a network failure after the gateway's retries) ends the run as any request would.
      if (!APIResponseError.isAPIResponseError(error) || classifyError(error).class !== 'item') throw error;
      this.listed = false;
    }
    await this.persist(names);
    return names;
  }

  /** Saves the directory; saves queue up, so the last one holds every name. */
  private persist(names: ReadonlyMap<string, string>): Promise<void> {
    const next = this.saving.then(() => this.store.save({ listed: this.listed, names: [...names] }));
    this.saving = next.catch(() => undefined);
    return next;
  }
}

function richTextUsers(rich: readonly RichTextItemResponse[] | undefined, out: UserLike[]): void {
  for (const item of rich ?? []) {
    if (item.type === 'mention' && item.mention.type === 'user') out.push(item.mention.user as UserLike);
  }
}

/** Users whose names a page's values and blocks may carry: People properties and user mentions. */
export function usersCarriedBy(page: PageObjectResponse | undefined, blocks: readonly BlockNode[]): UserLike[] {
  const out: UserLike[] = [];
  for (const prop of Object.values(page?.properties ?? {})) {
    if (prop.type === 'people') out.push(...(prop.people as UserLike[]));
    else if (prop.type === 'title') richTextUsers(prop.title, out);
    else if (prop.type === 'rich_text') richTextUsers(prop.rich_text, out);
  }
  const walk = (list: readonly BlockNode[]) => {
    for (const block of list) {
      const payload = (block as unknown as Record<string, unknown>)[block.type];
      if (payload && typeof payload === 'object') {
        for (const value of Object.values(payload as Record<string, unknown>)) {
          if (Array.isArray(value) && value.length > 0 && typeof value[0] === 'object' && value[0] && 'plain_text' in value[0]) {
            richTextUsers(value as RichTextItemResponse[], out);
          } else if (Array.isArray(value) && Array.isArray(value[0])) {
            for (const cell of value) richTextUsers(cell as RichTextItemResponse[], out); // table_row cells
          }
        }
      }
      if (block.children) walk(block.children);
    }
  };
  walk(blocks);
  return out;
}
