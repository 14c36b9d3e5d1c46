import { randomUUID } from 'node:crypto';
import { and, desc, eq, inArray, isNull, sql } from 'drizzle-orm';
import type { DB, Tx } from '@/db/client';
import { connections, exports, schedules } from '@/db/schema';
import type { AppContext } from '@/server/app-context';
import { type AuditActor, recordAudit } from '@/server/audit/audit-log';
import { DomainError } from '@/server/errors';
import { DEFAULT_BASE_URL } from '@notionhq/client';
import { checkConnection, type ConnectionInfo, createNotionGateway } from '@/server/notion/notion-gateway';
import { workspaceKey } from '@/server/notion/workspace-limiter';
import { NotionGatewayError } from '@/server/notion/errors';
import { readSettings } from '@/server/settings';
import { tokenHash } from '../auth/token-cipher';
import { assertApiBaseUrlAllowed } from './api-base-url';

type ConnectionRow = typeof connections.$inferSelect;

/** The exports a connection has, for the dialog that removes it. */
export interface ConnectionExports {
  count: number;
  /** Bytes their files take (as the exports recorded them). */
  bytes: number;
  /** Queued or running: the connection cannot be removed while there are any. */
  active: number;
}

export interface ConnectionView {
  id: string;
  name: string;
  baseUrl: string | null;
  tokenHint: string;
  botName: string | null;
  workspaceName: string | null;
  createdAt: Date;
  /** When Notion last accepted the token (added, tested, token replaced). */
  checkedAt: Date | null;
}

const view = (row: ConnectionRow): ConnectionView => ({
  id: row.id,
  name: row.name,
  baseUrl: row.baseUrl,
  tokenHint: row.tokenHint,
  botName: row.botName,
  workspaceName: row.workspaceName,
  createdAt: row.createdAt,
  checkedAt: row.checkedAt,
});

/** Who asked, for the audit log (a person of the dashboard; nobody for the CLI). */
export interface RequestedBy {
  actor?: AuditActor;
  address?: string;
}

/** What the audit log records of a connection: its name and workspace, never its token (the hint at most). */
async function audit(
  ctx: AppContext,
  by: RequestedBy | undefined,
  action: string,
  row: Pick<ConnectionRow, 'id' | 'name' | 'workspaceName'>,
  detail: Record<string, unknown> = {},
  outcome: 'ok' | 'refused' = 'ok',
): Promise<void> {
  await recordAudit(ctx.database.db, {
    action,
    outcome,
    actor: by?.actor,
    address: by?.address,
    target: { type: 'connection', id: row.id },
    detail: { name: row.name, workspaceName: row.workspaceName, ...detail },
  });
}

/** The audit actions that say whether Notion accepted a connection's token: the newest is its last check. */
export const CHECK_ACTIONS = ['connection.added', 'connection.tested', 'connection.token-rotated'] as const;

/** Integration tokens are visible ASCII (`secret_…`, `ntn_…`): anything else is refused before it is sent. */
const TOKEN_CHARACTERS = /^[\x21-\x7e]+$/;

/**
 * The token, trimmed, checked before it goes into a request header: a character a header cannot
 * hold (a line break pasted inside) makes fetch fail with a message that quotes the header, token
 * and all. The refusal does not repeat the token.
 */
function cleanToken(token: string): string {
  const clean = token.trim();
  if (!TOKEN_CHARACTERS.test(clean)) {
    throw new DomainError('BAD_INPUT', 'An integration token holds letters, digits and signs only, without spaces or line breaks: check what was pasted.');
  }
  return clean;
}

const hintOf = (token: string) => `…${token.slice(-4)}`;

/**
 * How hard a check tries: a person waiting on the dashboard hears after two attempts; a batch run
 * (the CLI's first check) retries a passing server error as patiently as its export will.
 */
type CheckPatience = 'person waiting' | 'batch';

/**
 * Asks Notion who the token is (`users.me`). Its requests share the token's rate limiter with any
 * export running on it, at the budget of the settings.
 */
async function askNotion(
  ctx: AppContext,
  token: string,
  baseUrl: string | null,
  { signal, patience = 'person waiting' }: { signal?: AbortSignal; patience?: CheckPatience } = {},
): Promise<ConnectionInfo> {
  const { requestsPerSecond } = await readSettings(ctx.database.db, ctx.config);
  const gateway = createNotionGateway({
    token,
    baseUrl: baseUrl ?? ctx.config.notionBaseUrl,
    requestsPerSecond,
    ...ctx.config.notionRetry,
    ...(patience === 'person waiting' ? { maxAttempts: 2 } : {}),
    signal,
  });
  return checkConnection(gateway);
}

async function findConnection(ctx: AppContext, id: string): Promise<ConnectionRow> {
  const [row] = await ctx.database.db
    .select()
    .from(connections)
    .where(and(eq(connections.id, id), isNull(connections.removedAt)));
  if (!row) throw new DomainError('NOT_FOUND', `Connection ${id} does not exist`);
  return row;
}

/** The connection in use with this token and API base URL, if any. */
async function connectionWithToken(ctx: AppContext, token: string, baseUrl: string | undefined): Promise<ConnectionRow | undefined> {
  const [row] = await ctx.database.db
    .select()
    .from(connections)
    .where(
      and(
        eq(connections.tokenHash, tokenHash(token)),
        baseUrl ? eq(connections.baseUrl, baseUrl) : isNull(connections.baseUrl),
        isNull(connections.removedAt),
      ),
    );
  return row;
}

export interface NewConnection {
  name?: string;
  token: string;
  baseUrl?: string;
}

/**
 * Checks the token with `users.me`; stores the connection (token encrypted) only if it works. An
 * API base URL that is not allowed (see api-base-url.ts) is refused before any request, and so is
 * a token already connected (the same workspace twice).
 */
export async function createConnection(
  ctx: AppContext,
  input: NewConnection,
  by?: RequestedBy,
  patience: CheckPatience = 'person waiting',
): Promise<ConnectionView> {
  const token = cleanToken(input.token);
  const baseUrl = input.baseUrl?.trim() || undefined;
  assertApiBaseUrlAllowed(ctx.config, baseUrl);
  const existing = await connectionWithToken(ctx, token, baseUrl);
  if (existing) {
    throw new DomainError('CONFLICT', `This token is already connected as “${existing.name}”: test it or replace its token there.`);
  }
  const me = await askNotion(ctx, token, baseUrl ?? null, { patience }).catch((error: unknown) => {
    throw DomainError.fromUpstream(error);
  });
  const now = new Date();
  const [row] = await ctx.database.db
    .insert(connections)
    .values({
      id: randomUUID(),
      name: input.name?.trim() || me.workspaceName || me.botName || 'Notion',
      baseUrl: baseUrl ?? null,
      tokenCiphertext: ctx.cipher.encrypt(token),
      tokenHash: tokenHash(token),
      tokenHint: hintOf(token),
      botName: me.botName,
      workspaceName: me.workspaceName,
      workspaceId: me.workspaceId,
      createdAt: now,
      checkedAt: now,
    })
    .returning();
  if (!row) throw new Error('Storing the connection returned no row');
  await audit(ctx, by, 'connection.added', row, { tokenHint: row.tokenHint });
  return view(row);
}

/**
 * The connection for this token and API (the CLI's), created and checked on first use. Nobody
 * watches the check, so a server error retries as an export's requests do.
 */
export async function ensureConnection(ctx: AppContext, input: NewConnection): Promise<ConnectionView> {
  const existing = await connectionWithToken(ctx, input.token.trim(), input.baseUrl?.trim() || undefined);
  if (existing) return view(existing);
  return createConnection(ctx, input, undefined, 'batch');
}

/** The connections in use (removed ones are not listed), newest first. */
export async function listConnections(ctx: AppContext): Promise<(ConnectionView & { exports: ConnectionExports })[]> {
  const db = ctx.database.db;
  const rows = await db.select().from(connections).where(isNull(connections.removedAt)).orderBy(desc(connections.createdAt));
  const counts = await db
    .select({
      connectionId: exports.connectionId,
      count: sql<number>`count(*)`,
      bytes: sql<number>`coalesce(sum(${exports.bytesWritten}), 0)`,
      active: sql<number>`coalesce(sum(case when ${exports.status} in ('queued', 'running') then 1 else 0 end), 0)`,
    })
    .from(exports)
    .groupBy(exports.connectionId);
  const byConnection = new Map(counts.map(({ connectionId, ...c }) => [connectionId, c]));
  return rows.map((row) => ({ ...view(row), exports: byConnection.get(row.id) ?? { count: 0, bytes: 0, active: 0 } }));
}

/**
 * The decrypted token and API base URL, for the runner only. The base URL is checked again (the
 * connection may have been made under other settings, in development); a removed connection's
 * token is used no more.
 */
export async function connectionSecrets(ctx: AppContext, id: string): Promise<{ token: string; baseUrl?: string }> {
  const [row] = await ctx.database.db.select().from(connections).where(eq(connections.id, id));
  if (!row) throw new DomainError('NOT_FOUND', `Connection ${id} does not exist`);
  if (row.removedAt) throw new DomainError('INVALID_STATE', `Connection “${row.name}” was removed: its exports cannot run any more`);
  assertApiBaseUrlAllowed(ctx.config, row.baseUrl);
  return { token: ctx.cipher.decrypt(row.tokenCiphertext), baseUrl: row.baseUrl ?? ctx.config.notionBaseUrl };
}

/** How long an export's start waits for `users.me` to learn a workspace id (see `connectionWorkspaceKey`). */
const WORKSPACE_ID_WAIT_MS = 5_000;

/**
 * The key of the workspace a connection's exports share a limit in (`workspaceKey`): by the
 * workspace id stored when the connection was added, tested or given a new token. A connection
 * stored before ids were (only its workspace's name is known) is asked `users.me` here, as its
 * first export begins (for at most a few seconds), and the id is stored; if Notion does not
 * answer in time, the name stands in and the next export asks again (the export itself meets
 * whatever is wrong with the token or the network).
 */
export async function connectionWorkspaceKey(ctx: AppContext, id: string): Promise<string | undefined> {
  const [row] = await ctx.database.db.select().from(connections).where(eq(connections.id, id));
  if (!row) throw new DomainError('NOT_FOUND', `Connection ${id} does not exist`);
  if (row.workspaceId === null && row.workspaceName !== null && !row.removedAt) {
    try {
      assertApiBaseUrlAllowed(ctx.config, row.baseUrl);
      const me = await askNotion(ctx, ctx.cipher.decrypt(row.tokenCiphertext), row.baseUrl, { signal: AbortSignal.timeout(WORKSPACE_ID_WAIT_MS) });
      if (me.workspaceId) {
        await ctx.database.db.update(connections).set({ workspaceId: me.workspaceId }).where(eq(connections.id, id));
        row.workspaceId = me.workspaceId;
      }
    } catch {
      // The name stands in (see above).
    }
  }
  return workspaceKeyOf(ctx.config, row);
}

/** The workspace key of a stored connection as it is (no request): the runner's view of who shares a workspace. */
export function workspaceKeyOf(
  config: { notionBaseUrl?: string },
  row: Pick<ConnectionRow, 'baseUrl' | 'workspaceId' | 'workspaceName'>,
): string | undefined {
  return workspaceKey(row.baseUrl ?? config.notionBaseUrl ?? DEFAULT_BASE_URL, row);
}

/** Replaces a connection's token (a revoked or rotated one) after checking it. */
export async function updateConnectionToken(ctx: AppContext, id: string, token: string, by?: RequestedBy): Promise<ConnectionView> {
  const row = await findConnection(ctx, id);
  assertApiBaseUrlAllowed(ctx.config, row.baseUrl);
  const clean = cleanToken(token);
  const other = await connectionWithToken(ctx, clean, row.baseUrl ?? undefined);
  if (other && other.id !== row.id) {
    throw new DomainError('CONFLICT', `This token is already connected as “${other.name}”.`);
  }
  const me = await askNotion(ctx, clean, row.baseUrl).catch((error: unknown) => {
    throw DomainError.fromUpstream(error);
  });
  const [updated] = await ctx.database.db
    .update(connections)
    .set({
      tokenCiphertext: ctx.cipher.encrypt(clean),
      tokenHash: tokenHash(clean),
      tokenHint: hintOf(clean),
      botName: me.botName,
      workspaceName: me.workspaceName,
      workspaceId: me.workspaceId,
      checkedAt: new Date(),
    })
    .where(eq(connections.id, id))
    .returning();
  if (!updated) throw new DomainError('NOT_FOUND', `Connection ${id} does not exist`);
  await audit(ctx, by, 'connection.token-rotated', updated, { tokenHint: updated.tokenHint, previousTokenHint: row.tokenHint });
  return view(updated);
}

/** What Notion's answer (or its absence) meant, in categories that say nothing about the network behind the server. */
type NotionProblem = 'token_refused' | 'unreachable' | 'refused';
/** Why a check failed: Notion's answer, or an API base URL this server may not use (nothing was sent). */
export type CheckProblem = NotionProblem | 'not_allowed';

export type ConnectionCheck =
  | { ok: true; connection: ConnectionView }
  | { ok: false; problem: CheckProblem; message: string };

/**
 * One sentence per problem, the same whatever answered: which host, port or network error it was
 * stays on the server, so a test cannot be used to map the intranet (see api-base-url.ts).
 */
export const CHECK_MESSAGES: Record<NotionProblem, string> = {
  token_refused: 'Notion refused the token: it was revoked or the integration was deleted. Replace the token.',
  unreachable: 'Notion could not be reached. Try again later; if it keeps failing, check that this server can reach the Notion API.',
  refused: 'Notion refused the check. Try again later; if it keeps failing, check the integration in Notion.',
};

function problemOf(error: unknown): NotionProblem {
  if (!(error instanceof NotionGatewayError)) return 'unreachable';
  switch (error.kind) {
    case 'unauthorized':
      return 'token_refused';
    case 'network':
    case 'unavailable':
    case 'rate_limited':
      return 'unreachable';
    case 'forbidden':
    case 'not_found':
    case 'bad_request':
      return 'refused';
  }
}

/**
 * Asks Notion with the stored token whether it still works. Success refreshes the workspace and
 * bot names and `checkedAt`; either way the answer is recorded in the audit log, whose newest
 * check tells the overview whether the connection's last check failed.
 */
export async function testConnection(ctx: AppContext, id: string, by?: RequestedBy): Promise<ConnectionCheck> {
  const row = await findConnection(ctx, id);
  const refused = async (problem: CheckProblem, message: string): Promise<ConnectionCheck> => {
    await audit(ctx, by, 'connection.tested', row, { result: problem }, 'refused');
    return { ok: false, problem, message };
  };
  try {
    assertApiBaseUrlAllowed(ctx.config, row.baseUrl);
  } catch (error) {
    return refused('not_allowed', (error as DomainError).message);
  }
  // A token this server cannot decrypt is its own problem (the key), not the connection's: thrown.
  const token = ctx.cipher.decrypt(row.tokenCiphertext);
  let me: ConnectionInfo;
  try {
    me = await askNotion(ctx, token, row.baseUrl);
  } catch (error) {
    const problem = problemOf(error);
    return refused(problem, CHECK_MESSAGES[problem]);
  }
  const [updated] = await ctx.database.db
    .update(connections)
    .set({ botName: me.botName, workspaceName: me.workspaceName, workspaceId: me.workspaceId, checkedAt: new Date() })
    .where(eq(connections.id, id))
    .returning();
  if (!updated) throw new DomainError('NOT_FOUND', `Connection ${id} does not exist`);
  await audit(ctx, by, 'connection.tested', updated, { result: 'ok' });
  return { ok: true, connection: view(updated) };
}

/** Gives a connection another name; its exports show the new one. */
export async function renameConnection(ctx: AppContext, id: string, name: string, by?: RequestedBy): Promise<ConnectionView> {
  const row = await findConnection(ctx, id);
  const clean = name.trim();
  if (clean === '') throw new DomainError('BAD_INPUT', 'Enter a name');
  const [updated] = await ctx.database.db.update(connections).set({ name: clean }).where(eq(connections.id, id)).returning();
  if (!updated) throw new DomainError('NOT_FOUND', `Connection ${id} does not exist`);
  if (clean !== row.name) await audit(ctx, by, 'connection.renamed', updated, { previousName: row.name });
  return view(updated);
}

/** The export removal the connection's removal uses (export/control's deleteExport, or a stand-in in tests). */
export type DeleteExport = (ctx: AppContext, exportId: string) => Promise<{ filesRemoved: boolean; bytes: number }>;

export interface RemovedConnection {
  /** Exports kept (they still show the connection's name). */
  keptExports: number;
  /** Exports deleted with their files. */
  deletedExports: number;
  /** Bytes of the files removed. */
  bytesRemoved: number;
}

const ACTIVE_STATUSES = ['queued', 'running'] as const;

async function activeExportsOf(db: DB | Tx, id: string): Promise<number> {
  const [row] = await db
    .select({ n: sql<number>`count(*)` })
    .from(exports)
    .where(and(eq(exports.connectionId, id), inArray(exports.status, [...ACTIVE_STATUSES])));
  return row?.n ?? 0;
}

function refuseWhileActive(name: string, active: number): void {
  if (active === 0) return;
  throw new DomainError(
    'INVALID_STATE',
    `“${name}” has ${active === 1 ? 'an export' : `${active} exports`} queued or running: cancel ${active === 1 ? 'it' : 'them'} or let ${active === 1 ? 'it' : 'them'} finish, then remove the connection.`,
  );
}

/**
 * Removes a connection, refused while one of its exports is queued or running.
 * - `keepExports`: the connection is marked removed (gone from the list, no export can start or
 *   run with it) and its exports stay, under its name.
 * - otherwise each export is deleted with its files (`deleteExport`), then the connection itself.
 */
export async function removeConnection(
  ctx: AppContext,
  input: { id: string; keepExports: boolean },
  deleteExport: DeleteExport,
  by?: RequestedBy,
): Promise<RemovedConnection> {
  const row = await findConnection(ctx, input.id);
  refuseWhileActive(row.name, await activeExportsOf(ctx.database.db, row.id));
  const db = ctx.database.db;
  const exportIds = (await db.select({ id: exports.id }).from(exports).where(eq(exports.connectionId, row.id))).map((e) => e.id);
  let result: RemovedConnection;
  if (input.keepExports) {
    await db.transaction(async (tx) => {
      // Looked at again in the transaction: an export requested meanwhile keeps the connection.
      refuseWhileActive(row.name, await activeExportsOf(tx, row.id));
      // A removed connection syncs no more: its schedule goes with it.
      await tx.delete(schedules).where(eq(schedules.connectionId, row.id));
      await tx.update(connections).set({ removedAt: new Date() }).where(eq(connections.id, row.id));
    });
    result = { keptExports: exportIds.length, deletedExports: 0, bytesRemoved: 0 };
  } else {
    let bytesRemoved = 0;
    for (const exportId of exportIds) bytesRemoved += (await deleteExport(ctx, exportId)).bytes;
    await db.transaction(async (tx) => {
      const [left] = await tx.select({ n: sql<number>`count(*)` }).from(exports).where(eq(exports.connectionId, row.id));
      if ((left?.n ?? 0) > 0) {
        throw new DomainError('CONFLICT', `An export of “${row.name}” was started while it was being removed: look at it, then remove the connection again.`);
      }
      await tx.delete(schedules).where(eq(schedules.connectionId, row.id));
      await tx.delete(connections).where(eq(connections.id, row.id));
    });
    result = { keptExports: 0, deletedExports: exportIds.length, bytesRemoved };
  }
  await audit(ctx, by, 'connection.removed', row, { keepExports: input.keepExports, ...result });
  return result;
}
