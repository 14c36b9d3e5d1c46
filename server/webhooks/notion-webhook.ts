import { verifyWebhookSignature } from '@notionhq/client';
import { eq } from 'drizzle-orm';
import { connections } from '@/db/schema';
import type { AppContext } from '@/server/app-context';
import { recordAudit } from '@/server/audit/audit-log';
import { isEnabled } from '@/server/feature-flags';
import { recordWebhookEvent, type WebhookOutcome } from '@/server/observability/webhook-metrics';
import { type Clock, systemClock } from '@/server/retry/clock';
import { eventTypeLabel, isSyncingEvent, NotionWebhookEvent, VerificationRequest } from './webhook-events';
import { WebhookSyncs } from './webhook-syncs';
import { noteWebhookEvent, storeVerificationToken, tokensInUse } from './webhook-tokens';

/** Largest body read: Notion's events are a few hundred bytes to a few kilobytes (ids, no content). */
export const MAX_WEBHOOK_BODY_BYTES = 64 * 1024;

/** The header Notion signs every event with: `sha256=<hex HMAC-SHA256 of the raw body>`. */
export const SIGNATURE_HEADER = 'x-notion-signature';

export interface WebhookRequest {
  headers: Headers;
  body: ReadableStream<Uint8Array> | null;
  /** The client's address (for the audit entry of a verification). */
  address?: string;
}

export interface WebhookDeps {
  clock?: Clock;
  /** The per-connection rate limit; one per process by default (see webhookSyncsOf). */
  syncs?: WebhookSyncs;
}

const JSON_HEADERS = { 'Cache-Control': 'no-store' };
const answer = (status: number, body: Record<string, unknown>) => Response.json(body, { status, headers: JSON_HEADERS });

/** One limiter per process's context (Next may build a route's module more than once; the context is one per process). */
const syncsByContext = new WeakMap<AppContext, WebhookSyncs>();
export function webhookSyncsOf(ctx: AppContext): WebhookSyncs {
  let syncs = syncsByContext.get(ctx);
  if (!syncs) {
    syncs = new WebhookSyncs(ctx);
    syncsByContext.set(ctx, syncs);
  }
  return syncs;
}

/** The body, or undefined once it passes `limit` bytes (the rest is not read). */
async function readCapped(body: ReadableStream<Uint8Array> | null, limit: number): Promise<Uint8Array | undefined> {
  if (!body) return new Uint8Array();
  const reader = body.getReader();
  const chunks: Uint8Array[] = [];
  let size = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    size += value.byteLength;
    if (size > limit) {
      await reader.cancel().catch(() => {});
      return undefined;
    }
    chunks.push(value);
  }
  return Buffer.concat(chunks);
}

const parseJson = (bytes: Uint8Array): unknown => {
  try {
    return JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(bytes));
  } catch {
    return undefined;
  }
};

/**
 * Notion's integration webhooks (docs/webhooks.md). Nobody signs in here: who asks is proved by
 * the signature. Behind the `webhooks` flag (404 while it is off). In order:
 * - a body over MAX_WEBHOOK_BODY_BYTES: 413, unread;
 * - the one-time verification request (`{"verification_token": …}`, unsigned): the token is kept
 *   encrypted, pending an admin's choice (settings), and audited without the token;
 * - anything else must carry `X-Notion-Signature` made with a token an admin chose: else 401 and
 *   nothing recorded;
 * - a signed event that changes what exports hold asks for a sync of the token's connection
 *   (trigger `webhook`, at most one look per connection per interval: WebhookSyncs). Other events
 *   are acknowledged and ignored. Polling stays the source of truth: a sync reads every change.
 */
export async function handleNotionWebhook(ctx: AppContext, request: WebhookRequest, deps: WebhookDeps = {}): Promise<Response> {
  const clock = deps.clock ?? systemClock;
  const count = (type: string, outcome: WebhookOutcome) => recordWebhookEvent(type, outcome);
  if (!(await isEnabled(ctx.database.db, 'webhooks'))) {
    await request.body?.cancel().catch(() => {});
    count('unknown', 'disabled');
    return answer(404, { error: 'Not found' });
  }
  const declared = Number(request.headers.get('content-length') ?? 0);
  const bytes = declared > MAX_WEBHOOK_BODY_BYTES ? undefined : await readCapped(request.body, MAX_WEBHOOK_BODY_BYTES);
  if (!bytes) {
    await request.body?.cancel().catch(() => {});
    count('unknown', 'too_large');
    return answer(413, { error: `The body is larger than ${MAX_WEBHOOK_BODY_BYTES} bytes` });
  }
  const body = parseJson(bytes);

  const verification = VerificationRequest.safeParse(body);
  if (verification.success) {
    const now = clock.now();
    const stored = await storeVerificationToken(ctx, verification.data.verification_token, now);
    if (stored.outcome === 'full') {
      count('verification', 'verification_refused');
      return answer(429, { error: 'Too many verification tokens wait for an admin; an admin removes them in the settings' });
    }
    if (stored.outcome === 'stored') {
      await recordAudit(
        ctx.database.db,
        {
          action: 'webhook.verification-received',
          address: request.address,
          target: { type: 'settings', id: `webhook.token.${stored.id}` },
          detail: { tokenId: stored.id },
        },
        new Date(now),
      );
    }
    count('verification', stored.outcome === 'stored' ? 'verification_stored' : 'verification_known');
    return answer(200, { ok: true });
  }

  const signature = request.headers.get(SIGNATURE_HEADER);
  let signer: Awaited<ReturnType<typeof tokensInUse>>[number] | undefined;
  if (signature) {
    for (const candidate of await tokensInUse(ctx)) {
      if (await verifyWebhookSignature({ body: bytes, signature, verificationToken: candidate.token })) {
        signer = candidate;
        break;
      }
    }
  }
  if (!signer) {
    count('unknown', 'unauthorized');
    return answer(401, { error: 'The request is not signed with a verification token in use' });
  }

  const event = NotionWebhookEvent.safeParse(body);
  if (!event.success) {
    count('other', 'invalid');
    return answer(400, { error: 'The body is not a Notion webhook event' });
  }
  const type = eventTypeLabel(event.data.type);
  await noteWebhookEvent(ctx, signer.id, clock.now());
  if (!isSyncingEvent(event.data.type)) {
    count(type, 'ignored');
    return answer(200, { ok: true, outcome: 'ignored' });
  }
  const [connection] = await ctx.database.db
    .select({ workspaceId: connections.workspaceId, removedAt: connections.removedAt })
    .from(connections)
    .where(eq(connections.id, signer.connectionId));
  if (!connection || connection.removedAt) {
    count(type, 'no_connection');
    return answer(200, { ok: true, outcome: 'no_connection' });
  }
  // The token was chosen for this connection; an event of another workspace is not its business.
  if (connection.workspaceId && connection.workspaceId !== event.data.workspace_id) {
    count(type, 'other_workspace');
    return answer(200, { ok: true, outcome: 'other_workspace' });
  }
  const outcome = await (deps.syncs ?? webhookSyncsOf(ctx)).changed(signer.connectionId);
  count(type, outcome);
  return answer(200, { ok: true, outcome });
}
