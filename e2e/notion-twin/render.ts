/** Response objects for pages, databases, data sources, users and comments (SDK-typed). */
import type {
  CommentObjectResponse,
  DatabaseObjectResponse,
  DataSourceObjectResponse,
  PageObjectResponse,
  UserObjectResponse,
} from '@notionhq/client';
import type { PageCoverResponse, PageIconResponse, ParentOfDatabaseResponse } from '@notionhq/client/build/src/api-endpoints';
import { hashInts, IdKind, Rng } from './ids';
import { pageParent } from './page-content';
import { dataSourceSchema, pageProperties } from './properties';
import type { RenderContext } from './render-context';
import { notionUrl, text, titleText } from './rich-text';
import { randomSentence, EMOJIS } from './words';
import { databaseIso, minuteIso, type DatabaseSpec, type PageSpec, type UserSpec, type Workspace } from './workspace';

function userRef(ws: Workspace, index: number): { object: 'user'; id: string } {
  return { object: 'user', id: index === 0 ? ws.botUserId : ws.users[index - 1].id };
}

function icon(index: number): PageIconResponse | null {
  return index >= 0 ? { type: 'emoji', emoji: EMOJIS[index] } : null;
}

function cover(id: string, has: boolean): PageCoverResponse | null {
  return has ? { type: 'external', external: { url: `https://images.twin.example/covers/${id.slice(0, 8)}.jpg` } } : null;
}

export function renderPage(ctx: RenderContext, page: PageSpec, filterProperties: readonly string[] = []): PageObjectResponse {
  const ws = ctx.ws;
  return {
    object: 'page',
    id: page.id,
    created_time: minuteIso(page.createdMs),
    last_edited_time: minuteIso(ws.editState(page).editedMs),
    created_by: userRef(ws, page.createdBy),
    last_edited_by: userRef(ws, page.editedBy),
    cover: cover(page.id, page.hasCover),
    icon: icon(page.icon),
    parent: pageParent(ws, page),
    in_trash: false,
    is_archived: false,
    is_locked: false,
    properties: pageProperties(ctx, page, filterProperties),
    url: notionUrl(page.id, page.title),
    public_url: null,
    archived: false,
  };
}

function databaseParent(ws: Workspace, db: DatabaseSpec): ParentOfDatabaseResponse {
  return db.parentPage >= 0 ? { type: 'page_id', page_id: ws.pages[db.parentPage].id } : { type: 'workspace', workspace: true };
}

export function renderDatabase(ctx: RenderContext, db: DatabaseSpec): DatabaseObjectResponse {
  const ws = ctx.ws;
  return {
    object: 'database',
    id: db.id,
    title: titleText(db.title),
    description: [],
    parent: databaseParent(ws, db),
    is_inline: db.inline,
    in_trash: false,
    is_locked: false,
    created_time: databaseIso(db.createdMs),
    last_edited_time: databaseIso(db.editedMs),
    data_sources: [{ id: db.dataSourceId, name: db.title }],
    icon: icon(db.icon),
    cover: null,
    url: notionUrl(db.id),
    public_url: null,
    archived: false,
  };
}

export function renderDataSource(ctx: RenderContext, db: DatabaseSpec): DataSourceObjectResponse {
  const ws = ctx.ws;
  return {
    object: 'data_source',
    id: db.dataSourceId,
    cover: null,
    icon: icon(db.icon),
    created_time: minuteIso(db.createdMs),
    created_by: userRef(ws, 1),
    last_edited_by: userRef(ws, 1),
    last_edited_time: minuteIso(db.editedMs),
    title: titleText(db.title),
    description: db.index % 2 === 0 ? [text(`All ${db.title.toLowerCase()} in one place.`)] : [],
    is_inline: db.inline,
    properties: dataSourceSchema(ws, db),
    parent: { type: 'database_id', database_id: db.id },
    database_parent: databaseParent(ws, db),
    url: notionUrl(db.id),
    public_url: null,
    in_trash: false,
    archived: false,
  };
}

export function renderPerson(u: UserSpec): UserObjectResponse {
  return { object: 'user', id: u.id, name: u.name, avatar_url: u.avatarUrl, type: 'person', person: { email: u.email } };
}

export function renderBot(ws: Workspace): UserObjectResponse {
  return {
    object: 'user',
    id: ws.botUserId,
    name: ws.integrationName,
    avatar_url: null,
    type: 'bot',
    bot: {
      owner: { type: 'workspace', workspace: true },
      workspace_name: ws.workspaceName,
      workspace_id: ws.workspaceId,
      workspace_limits: { max_file_upload_size_in_bytes: 5_242_880 },
    },
  };
}

/** Comments on a page: a third of the pages have one or two (deterministic). */
export function pageComments(ctx: RenderContext, page: PageSpec): CommentObjectResponse[] {
  const ws = ctx.ws;
  const h = hashInts(ws.options.seed, page.index, 0xc033);
  if (h % 3 !== 0) return [];
  const count = 1 + ((h >>> 8) % 2);
  const rng = new Rng(h);
  const discussion = ws.codec.encode(IdKind.discussion, page.index);
  const out: CommentObjectResponse[] = [];
  for (let n = 1; n <= count; n++) {
    const author = ws.users[rng.int(0, ws.users.length - 1)];
    const at = minuteIso(page.createdMs + n * 45 * 60_000);
    out.push({
      object: 'comment',
      id: ws.codec.encode(IdKind.comment, page.index, n),
      parent: { type: 'page_id', page_id: page.id },
      discussion_id: discussion,
      created_time: at,
      last_edited_time: at,
      created_by: { object: 'user', id: author.id },
      rich_text: [text(randomSentence(rng))],
      display_name: { type: 'user', resolved_name: author.name },
    });
  }
  return out;
}
