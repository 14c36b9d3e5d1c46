import { createHash, randomUUID } from 'node:crypto';
import { eq, like } from 'drizzle-orm';
import { z } from 'zod';
import type { DbOrTx } from '@/db/client';
import { connections, settings } from '@/db/schema';
import type { AppContext } from '@/server/app-context';
import { DomainError } from '@/server/errors';

/**
 * The verification tokens of Notion's webhook subscriptions. Notion sends a subscription's token
 * once, unsigned, to the endpoint; an admin pastes it into Notion to confirm the subscription, and
 * from then on Notion signs every event with it (HMAC-SHA256). The token is the key of that
 * signature, so it is kept encrypted (the connections' cipher), not hashed.
 *
 * Anybody who reaches the endpoint can send a "verification" too, so a token received is only
 * pending: events signed with it are refused until an admin chooses it for a connection
 * (`useWebhookToken`). A subscription belongs to one integration, so the connection chosen is the
 * one its events sync.
 *
 * Stored in the `settings` table, one row per token (`webhook.token.<id>`).
 */

const KEY_PREFIX = 'webhook.token.';

/** Pending tokens kept at most: a flood of fake verifications fills these and is refused, it never evicts one. */
export const MAX_PENDING_TOKENS = 5;

/** A pending token nobody chose within this long is forgotten (Notion can send it again). */
export const PENDING_TOKEN_TTL_MS = 24 * 60 * 60 * 1000;

const StoredToken = z.object({
  ciphertext: z.string(),
  /** The token's SHA-256: tells a token received twice without decrypting. */
  tokenHash: z.string(),
  receivedAt: z.number(),
  /** The connection whose syncs its events request, chosen by an admin; none while pending. */
  connectionId: z.string().optional(),
  usedAt: z.number().optional(),
  lastEventAt: z.number().optional(),
});
type StoredToken = z.infer<typeof StoredToken>;

type TokenContext = Pick<AppContext, 'database' | 'cipher'>;

const hashOf = (token: string) => createHash('sha256').update(token).digest('hex');

async function readAll(ctx: TokenContext): Promise<{ id: string; stored: StoredToken }[]> {
  return readStored(ctx.database.db);
}

async function readStored(db: DbOrTx): Promise<{ id: string; stored: StoredToken }[]> {
  const rows = await db.select().from(settings).where(like(settings.key, `${KEY_PREFIX}%`));
  return rows.flatMap((row) => {
    const parsed = StoredToken.safeParse(row.value);
    return parsed.success ? [{ id: row.key.slice(KEY_PREFIX.length), stored: parsed.data }] : [];
  });
}

const isPendingLive = (stored: StoredToken, now: number) => stored.connectionId === undefined && now - stored.receivedAt < PENDING_TOKEN_TTL_MS;

export type StoreOutcome = { outcome: 'stored' | 'known'; id: string } | { outcome: 'full' };

/**
 * Keeps a token Notion (or somebody) sent to the endpoint, pending an admin's choice. A token
 * already kept is not kept twice; with MAX_PENDING_TOKENS pending, it is refused.
 */
export async function storeVerificationToken(ctx: TokenContext, token: string, now: number): Promise<StoreOutcome> {
  const tokenHash = hashOf(token);
  const all = await readAll(ctx);
  const known = all.find((entry) => entry.stored.tokenHash === tokenHash);
  if (known) return { outcome: 'known', id: known.id };
  // Forgotten: pending tokens nobody chose in time.
  for (const { id, stored } of all) {
    if (stored.connectionId === undefined && !isPendingLive(stored, now)) await ctx.database.db.delete(settings).where(eq(settings.key, `${KEY_PREFIX}${id}`));
  }
  if (all.filter(({ stored }) => isPendingLive(stored, now)).length >= MAX_PENDING_TOKENS) return { outcome: 'full' };
  const id = randomUUID();
  const stored: StoredToken = { ciphertext: ctx.cipher.encrypt(token), tokenHash, receivedAt: now };
  await ctx.database.db.insert(settings).values({ key: `${KEY_PREFIX}${id}`, value: stored });
  return { outcome: 'stored', id };
}

/** A token as admins see it in the settings: the token itself (to paste into Notion) and where it is used. */
export interface WebhookTokenView {
  id: string;
  /** Null when it cannot be decrypted (sealed with a key this server no longer has). */
  token: string | null;
  receivedAt: number;
  connectionId: string | null;
  connectionName: string | null;
  usedAt: number | null;
  lastEventAt: number | null;
}

function decrypted(ctx: TokenContext, ciphertext: string): string | null {
  try {
    return ctx.cipher.decrypt(ciphertext);
  } catch {
    return null;
  }
}

/** Every token kept, newest first, pending ones that expired left out. For admins only: it shows the tokens. */
export async function listWebhookTokens(ctx: TokenContext, now: number): Promise<WebhookTokenView[]> {
  const all = (await readAll(ctx)).filter(({ stored }) => stored.connectionId !== undefined || isPendingLive(stored, now));
  const names = new Map(
    (await ctx.database.db.select({ id: connections.id, name: connections.name, removedAt: connections.removedAt }).from(connections))
      .filter((c) => !c.removedAt)
      .map((c) => [c.id, c.name]),
  );
  return all
    .sort((a, b) => b.stored.receivedAt - a.stored.receivedAt)
    .map(({ id, stored }) => ({
      id,
      token: decrypted(ctx, stored.ciphertext),
      receivedAt: stored.receivedAt,
      connectionId: stored.connectionId ?? null,
      connectionName: stored.connectionId === undefined ? null : (names.get(stored.connectionId) ?? null),
      usedAt: stored.usedAt ?? null,
      lastEventAt: stored.lastEventAt ?? null,
    }));
}

async function readOne(ctx: TokenContext, id: string): Promise<StoredToken> {
  const [row] = await ctx.database.db.select().from(settings).where(eq(settings.key, `${KEY_PREFIX}${id}`));
  const parsed = StoredToken.safeParse(row?.value);
  if (!parsed.success) throw new DomainError('NOT_FOUND', 'No such webhook verification token');
  return parsed.data;
}

/** An admin chose token `id` for `connectionId`: events signed with it request syncs of that connection. */
export async function useWebhookToken(ctx: TokenContext, id: string, connectionId: string, now: number): Promise<void> {
  const stored = await readOne(ctx, id);
  const [connection] = await ctx.database.db.select().from(connections).where(eq(connections.id, connectionId));
  if (!connection || connection.removedAt) throw new DomainError('NOT_FOUND', 'No such connection');
  await ctx.database.db
    .update(settings)
    .set({ value: { ...stored, connectionId, usedAt: now } })
    .where(eq(settings.key, `${KEY_PREFIX}${id}`));
}

/** Forgets token `id`: events signed with it are refused from now on. */
export async function removeWebhookToken(ctx: TokenContext, id: string): Promise<void> {
  await readOne(ctx, id);
  await ctx.database.db.delete(settings).where(eq(settings.key, `${KEY_PREFIX}${id}`));
}

/** The tokens events may be signed with: those an admin chose for a connection (decryptable ones). */
export async function tokensInUse(ctx: TokenContext): Promise<{ id: string; token: string; connectionId: string }[]> {
  return (await readAll(ctx)).flatMap(({ id, stored }) => {
    const token = stored.connectionId === undefined ? null : decrypted(ctx, stored.ciphertext);
    return token === null || stored.connectionId === undefined ? [] : [{ id, token, connectionId: stored.connectionId }];
  });
}

/** When an event signed with token `id` last came (shown to admins: the subscription works). */
export async function noteWebhookEvent(ctx: TokenContext, id: string, now: number): Promise<void> {
  const stored = await readOne(ctx, id).catch(() => undefined);
  if (!stored) return;
  await ctx.database.db
    .update(settings)
    .set({ value: { ...stored, lastEventAt: now } })
    .where(eq(settings.key, `${KEY_PREFIX}${id}`));
}

/** What key rotation needs of a cipher: open with the old key, seal with the new. */
interface Sealer {
  encrypt(plain: string): string;
  decrypt(sealed: string): string;
  canDecrypt(sealed: string): boolean;
}

/** The verification tokens, for the CLI's `rotate-key` (auth's `OtherSealedSecrets`). */
export const WEBHOOK_TOKENS_SEALED = { name: 'webhook verification tokens', reseal: (tx: DbOrTx, keys: { from: Sealer; to: Sealer }) => resealWebhookTokens(tx, keys) };

/**
 * Key rotation (`auth/key-rotation.ts`), in its transaction: every kept token sealed again with
 * `to`. One the old key cannot open is left as it is (it already shows as unreadable and verifies
 * nothing); one the new key opens is already rotated. Returns how many were sealed again.
 */
export async function resealWebhookTokens(tx: DbOrTx, { from, to }: { from: Sealer; to: Sealer }): Promise<number> {
  let resealed = 0;
  for (const { id, stored } of await readStored(tx)) {
    if (to.canDecrypt(stored.ciphertext) || !from.canDecrypt(stored.ciphertext)) continue;
    const value: StoredToken = { ...stored, ciphertext: to.encrypt(from.decrypt(stored.ciphertext)) };
    await tx.update(settings).set({ value }).where(eq(settings.key, `${KEY_PREFIX}${id}`));
    resealed += 1;
  }
  return resealed;
}
