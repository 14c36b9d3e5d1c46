import { randomUUID } from 'node:crypto';
import { and, desc, eq, isNull } from 'drizzle-orm';
import { connections } from '@/db/schema';
import type { AppContext } from '@/server/app-context';
import { DomainError } from '@/server/errors';
import { checkConnection, createNotionGateway } from '@/server/notion/notion-gateway';
import { tokenHash } from '../auth/token-cipher';
import { assertApiBaseUrlAllowed } from './api-base-url';

export interface ConnectionView {
  id: string;
  name: string;
  baseUrl: string | null;
  tokenHint: string;
  botName: string | null;
  workspaceName: string | null;
  createdAt: Date;
  checkedAt: Date | null;
}

const view = (row: typeof connections.$inferSelect): ConnectionView => ({
  id: row.id,
  name: row.name,
  baseUrl: row.baseUrl,
  tokenHint: row.tokenHint,
  botName: row.botName,
  workspaceName: row.workspaceName,
  createdAt: row.createdAt,
  checkedAt: row.checkedAt,
});

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

export interface NewConnection {
  name?: string;
  token: string;
  baseUrl?: string;
}

/**
 * Checks the token with `users.me`; stores the connection (token encrypted) only if it works. An
 * API base URL that is not allowed (see api-base-url.ts) is refused before any request.
 */
export async function createConnection(ctx: AppContext, input: NewConnection): Promise<ConnectionView> {
  const token = cleanToken(input.token);
  const baseUrl = input.baseUrl?.trim() || undefined;
  assertApiBaseUrlAllowed(ctx.config, baseUrl);
  const gateway = createNotionGateway({
    token,
    baseUrl: baseUrl ?? ctx.config.notionBaseUrl,
    requestsPerSecond: ctx.config.requestsPerSecond,
    ...ctx.config.notionRetry,
    maxAttempts: 2,
  });
  const me = await checkConnection(gateway).catch((error: unknown) => {
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
      tokenHint: `…${token.slice(-4)}`,
      botName: me.botName,
      workspaceName: me.workspaceName,
      createdAt: now,
      checkedAt: now,
    })
    .returning();
  if (!row) throw new Error('Storing the connection returned no row');
  return view(row);
}

/** The connection for this token and API (the CLI's), created and checked on first use. */
export async function ensureConnection(ctx: AppContext, input: NewConnection): Promise<ConnectionView> {
  const baseUrl = input.baseUrl?.trim() || undefined;
  const [existing] = await ctx.database.db
    .select()
    .from(connections)
    .where(
      and(
        eq(connections.tokenHash, tokenHash(input.token.trim())),
        baseUrl ? eq(connections.baseUrl, baseUrl) : isNull(connections.baseUrl),
      ),
    );
  if (existing) return view(existing);
  return createConnection(ctx, input);
}

export async function listConnections(ctx: AppContext): Promise<ConnectionView[]> {
  const rows = await ctx.database.db.select().from(connections).orderBy(desc(connections.createdAt));
  return rows.map(view);
}

/**
 * The decrypted token and API base URL, for the runner only. The base URL is checked again (the
 * connection may have been made under other settings, in development).
 */
export async function connectionSecrets(ctx: AppContext, id: string): Promise<{ token: string; baseUrl?: string }> {
  const [row] = await ctx.database.db.select().from(connections).where(eq(connections.id, id));
  if (!row) throw new DomainError('NOT_FOUND', `Connection ${id} does not exist`);
  assertApiBaseUrlAllowed(ctx.config, row.baseUrl);
  return { token: ctx.cipher.decrypt(row.tokenCiphertext), baseUrl: row.baseUrl ?? ctx.config.notionBaseUrl };
}

/** Replaces a connection's token (a revoked or rotated one) after checking it. */
export async function updateConnectionToken(
  ctx: AppContext,
  id: string,
  token: string,
): Promise<ConnectionView> {
  const [row] = await ctx.database.db.select().from(connections).where(eq(connections.id, id));
  if (!row) throw new DomainError('NOT_FOUND', `Connection ${id} does not exist`);
  assertApiBaseUrlAllowed(ctx.config, row.baseUrl);
  const clean = cleanToken(token);
  const gateway = createNotionGateway({
    token: clean,
    baseUrl: row.baseUrl ?? ctx.config.notionBaseUrl,
    requestsPerSecond: ctx.config.requestsPerSecond,
    ...ctx.config.notionRetry,
    maxAttempts: 2,
  });
  const me = await checkConnection(gateway).catch((error: unknown) => {
    throw DomainError.fromUpstream(error);
  });
  const [updated] = await ctx.database.db
    .update(connections)
    .set({
      tokenCiphertext: ctx.cipher.encrypt(clean),
      tokenHash: tokenHash(clean),
      tokenHint: `…${clean.slice(-4)}`,
      botName: me.botName,
      workspaceName: me.workspaceName,
      checkedAt: new Date(),
    })
    .where(eq(connections.id, id))
    .returning();
  if (!updated) throw new DomainError('NOT_FOUND', `Connection ${id} does not exist`);
  return view(updated);
}
