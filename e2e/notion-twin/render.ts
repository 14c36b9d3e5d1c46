/** Response objects for pages, databases, data sources, users and comments (SDK-typed). */
import type { CommentObjectResponse, DatabaseObjectResponse, DataSourceObjectResponse, PageObjectResponse, UserObjectResponse } from '@notionhq/client';
import type { ParentOfDatabaseResponse } from '@notionhq/client/build/src/api-endpoints';
import { coverSpec, iconSpec, renderCover, renderIcon } from './icons';
import { hashInts, IdKind, Rng } from './ids';
import { commentCount, pageParent } from './page-content';
import { dataSourceSchema, pageProperties, type TwinSchemaEntry } from './properties';
import type { RenderContext } from './render-context';
import { notionUrl, text, titleText } from './rich-text';
import { databaseIso, minuteIso } from './time';
import { fullUser, userRef } from './users';
import { randomSentence } from './words';
import type { DatabaseSpec, DataSourceSpec, PageSpec, UserSpec, Workspace } from './workspace';

/**
 * A data source object as the twin sends it: the SDK's type, with schema entries the SDK does not
 * model yet (button, verification, place) allowed.
 */
export type TwinDataSourceObject = Omit<DataSourceObjectResponse, 'properties'> & { properties: Record<string, TwinSchemaEntry> };

export function renderPage(ctx: RenderContext, page: PageSpec, filterProperties: readonly string[] = []): PageObjectResponse {
  const ws = ctx.ws;
  // In the trash itself or below a page or database in the trash; `archived` is the older name.
  const trashed = ws.pageAccess(page) === 'trashed';
  return {
    object: 'page',
    id: page.id,
    created_time: minuteIso(page.createdMs),
    last_edited_time: minuteIso(ws.editState(page).editedMs),
    created_by: userRef(ws, page.createdBy),
    last_edited_by: userRef(ws, page.editedBy),
    cover: renderCover(ctx, coverSpec(page.coverType, page.id), page.id),
    icon: renderIcon(ctx, iconSpec(page.iconType, page.icon, page.id), page.id),
    parent: pageParent(ws, page),
    in_trash: trashed,
    is_archived: false,
    is_locked: false,
    properties: pageProperties(ctx, page, filterProperties),
    url: notionUrl(page.id, page.title),
    public_url: null,
    archived: trashed,
  };
}

function databaseParent(ws: Workspace, db: DatabaseSpec): ParentOfDatabaseResponse {
  return db.parentPage >= 0 ? { type: 'page_id', page_id: ws.pages[db.parentPage].id } : { type: 'workspace', workspace: true };
}

export function renderDatabase(ctx: RenderContext, db: DatabaseSpec): DatabaseObjectResponse {
  const ws = ctx.ws;
  const trashed = ws.databaseAccess(db) === 'trashed';
  return {
    object: 'database',
    id: db.id,
    title: titleText(db.title),
    description: [],
    parent: databaseParent(ws, db),
    is_inline: db.inline,
    in_trash: trashed,
    is_locked: false,
    created_time: databaseIso(db.createdMs),
    last_edited_time: databaseIso(db.editedMs),
    data_sources: db.dataSources.map((ds) => ({ id: ds.id, name: ds.name })),
    icon: renderIcon(ctx, iconSpec(db.iconType, db.icon, db.id), db.id),
    cover: renderCover(ctx, coverSpec(db.coverType, db.id), db.id),
    url: notionUrl(db.id),
    public_url: null,
    archived: trashed,
  };
}

export function renderDataSource(ctx: RenderContext, db: DatabaseSpec, ds: DataSourceSpec): TwinDataSourceObject {
  const ws = ctx.ws;
  const trashed = ws.databaseAccess(db) === 'trashed';
  const description = ds.source > 0 ? [text('Milestones of the projects above.')] : db.index % 2 === 0 ? [text(`All ${db.title.toLowerCase()} in one place.`)] : [];
  return {
    object: 'data_source',
    id: ds.id,
    cover: renderCover(ctx, coverSpec(db.coverType, db.id), db.id),
    icon: renderIcon(ctx, iconSpec(db.iconType, db.icon, db.id), db.id),
    created_time: minuteIso(db.createdMs + ds.source * 3_600_000),
    created_by: userRef(ws, 1),
    last_edited_by: userRef(ws, 1),
    last_edited_time: minuteIso(ws.dataSourceEditedMs(db, ds)),
    title: titleText(ds.name),
    description,
    is_inline: db.inline,
    properties: dataSourceSchema(ws, ds),
    parent: { type: 'database_id', database_id: db.id },
    database_parent: databaseParent(ws, db),
    url: notionUrl(db.id),
    public_url: null,
    in_trash: trashed,
    archived: trashed,
  };
}

export function renderPerson(u: UserSpec): UserObjectResponse {
  return fullUser(u);
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
  const count = commentCount(ws, page);
  if (count === 0) return [];
  const rng = new Rng(hashInts(ws.options.seed, page.index, 0xc033));
  const discussion = ws.codec.encode(IdKind.discussion, page.index);
  const out: CommentObjectResponse[] = [];
  for (let n = 1; n <= count; n++) {
    const author = ws.users[rng.int(0, 5)];
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
      display_name: { type: 'user', resolved_name: author.name ?? 'Anonymous' },
    });
  }
  return out;
}
