import { signWebhookPayload } from '@notionhq/client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { AppContext } from '@/server/context';
import { setFlag } from '@/server/feature-flags';
import { metricsText } from '@/server/observability/metrics';
import { seedConnections } from '@/server/testing/seed';
import { createTestContext, type TestContext } from '@/server/testing/test-context';
import { MAX_WEBHOOK_BODY_BYTES } from '@/server/webhooks/notion-webhook';
import { listWebhookTokens, MAX_PENDING_TOKENS, removeWebhookToken, useWebhookToken } from '@/server/webhooks/webhook-tokens';
import { POST } from './route';

/** The endpoint as Next calls it, on the process-wide context, with requests as Notion sends them. */
let ctx: TestContext;
const g = globalThis as typeof globalThis & { __notionSyncContext?: Promise<AppContext> };
const URL_ = 'http://localhost:3000/api/webhooks/notion';
const TOKEN = 'secret_verificationTokenFromNotion0123456789';
const WORKSPACE = 'workspace-1';

beforeAll(async () => {
  ctx = await createTestContext();
  g.__notionSyncContext = Promise.resolve(ctx);
  await seedConnections(ctx, ['c1', 'c2']);
  await ctx.database.client.execute({ sql: "update connections set workspace_id = ? where id = 'c1'", args: [WORKSPACE] });
});
afterAll(async () => {
  g.__notionSyncContext = undefined;
  await ctx.cleanup();
});

/** A body sent in two chunks, as a socket delivers it (the route must read the raw bytes, whole). */
const post = (body: string, headers: Record<string, string> = {}) =>
  POST(
    new Request(URL_, {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...headers },
      body: new ReadableStream({
        start(controller) {
          const bytes = new TextEncoder().encode(body);
          controller.enqueue(bytes.slice(0, 10));
          controller.enqueue(bytes.slice(10));
          controller.close();
        },
      }),
      duplex: 'half',
    } as RequestInit),
  );

const event = (type: string, overrides: Record<string, unknown> = {}) =>
  JSON.stringify({
    id: `event-${type}-${Math.random()}`,
    timestamp: '2026-12-02T10:00:00.000Z',
    workspace_id: WORKSPACE,
    workspace_name: 'Acme',
    subscription_id: 'subscription-1',
    integration_id: 'integration-1',
    type,
    authors: [{ id: 'person-1', type: 'person' }],
    attempt_number: 1,
    api_version: '2025-09-03',
    entity: { id: 'page-1', type: 'page' },
    data: { parent: { id: 'parent-1', type: 'page' }, updated_blocks: [] },
    ...overrides,
  });
const signed = async (body: string, token = TOKEN) => post(body, { 'x-notion-signature': await signWebhookPayload({ body, verificationToken: token }) });

/** The exports of a connection, as [status, trigger] (route tests read the database by SQL: Biome keeps @/db out of app/api). */
const exportsOf = async (connectionId: string) =>
  (await ctx.database.client.execute({ sql: 'select status, "trigger" from exports where connection_id = ?', args: [connectionId] })).rows.map((r) => [r.status, r.trigger]);
const auditLog = async () =>
  (await ctx.database.client.execute('select action, outcome, address, target_id, detail from audit_events order by position')).rows.map((r) => ({ ...r }));
const counted = async (type: string, outcome: string) =>
  Number(new RegExp(`^notion_sync_webhook_events_total\\{type="${type.replace(/\./g, '\\.')}",outcome="${outcome}"\\} (\\d+)`, 'm').exec(await metricsText())?.[1] ?? 0);

describe('POST /api/webhooks/notion with the webhooks flag off', () => {
  it('is not found, and reads and records nothing', async () => {
    const response = await post(JSON.stringify({ verification_token: TOKEN }));
    expect(response.status).toBe(404);
    expect(await listWebhookTokens(ctx, Date.now())).toEqual([]);
    expect(await auditLog()).toEqual([]);
  });
});

describe('POST /api/webhooks/notion (flag on)', () => {
  let tokenId = '';
  beforeAll(async () => {
    await setFlag(ctx.database.db, 'webhooks', true);
  });

  it('keeps the verification token, encrypted and pending, and audits it without the token', async () => {
    const response = await post(JSON.stringify({ verification_token: TOKEN }), { 'x-notion-sync-client-address': '203.0.113.9' });
    expect(response.status).toBe(200);
    expect(await response.text()).not.toContain(TOKEN);
    const [kept] = await listWebhookTokens(ctx, Date.now());
    expect(kept).toMatchObject({ token: TOKEN, connectionId: null, lastEventAt: null });
    tokenId = kept.id;
    // At rest: only the ciphertext and a hash.
    const stored = await ctx.database.client.execute("select value from settings where key like 'webhook.token.%'");
    expect(JSON.stringify(stored.rows)).not.toContain(TOKEN);
    const audit = await auditLog();
    expect(audit.map((a) => [a.action, a.outcome, a.address, a.target_id])).toEqual([['webhook.verification-received', 'ok', '203.0.113.9', `webhook.token.${tokenId}`]]);
    expect(JSON.stringify(audit)).not.toContain(TOKEN);
    // Sent again (Notion's "resend"): the same token, kept once.
    expect((await post(JSON.stringify({ verification_token: TOKEN }))).status).toBe(200);
    expect(await listWebhookTokens(ctx, Date.now())).toHaveLength(1);
    expect(await counted('verification', 'verification_stored')).toBe(1);
    expect(await counted('verification', 'verification_known')).toBe(1);
  });

  it('refuses events signed with a token no admin chose (401), queueing nothing', async () => {
    const response = await signed(event('page.content_updated'));
    expect(response.status).toBe(401);
    expect(await exportsOf('c1')).toEqual([]);
  });

  it('queues a sync of the chosen connection for a well-signed change, with the webhook trigger', async () => {
    await useWebhookToken(ctx, tokenId, 'c1', Date.now());
    const response = await signed(event('page.content_updated'));
    expect(response.status).toBe(200);
    expect(await response.json()).toEqual({ ok: true, outcome: 'sync_requested' });
    expect(await exportsOf('c1')).toEqual([['queued', 'webhook']]);
    expect(await exportsOf('c2')).toEqual([]);
    expect((await listWebhookTokens(ctx, Date.now()))[0].lastEventAt).toEqual(expect.any(Number));
    expect(await counted('page.content_updated', 'sync_requested')).toBe(1);

    // A burst: within the interval nothing more is queued (the sync queued reads these changes too).
    for (const type of ['page.created', 'data_source.schema_updated', 'database.moved']) {
      const next = await signed(event(type));
      expect(next.status).toBe(200);
      expect((await next.json()).outcome).toBe('deferred');
    }
    expect(await exportsOf('c1')).toHaveLength(1);
  });

  it('refuses an unsigned event, a wrong signature, a tampered body and a token signed elsewhere (401), queueing nothing', async () => {
    await ctx.database.client.execute('delete from exports');
    const body = event('page.created');
    const good = await signWebhookPayload({ body, verificationToken: TOKEN });
    const refused = [
      await post(body),
      await post(body, { 'x-notion-signature': `sha256=${'0'.repeat(64)}` }),
      await post(body, { 'x-notion-signature': good.replace('sha256=', '') }),
      await post(body.replace('page-1', 'page-2'), { 'x-notion-signature': good }),
      await signed(body, 'secret_someOtherTokenNobodyChose0123456789'),
    ];
    for (const response of refused) {
      expect(response.status).toBe(401);
      expect(await response.json()).toEqual({ error: 'The request is not signed with a verification token in use' });
    }
    expect(await exportsOf('c1')).toEqual([]);
    expect(await counted('unknown', 'unauthorized')).toBeGreaterThanOrEqual(6);
  });

  it('acknowledges events about what exports do not hold, and refuses signed bodies that are no event (400)', async () => {
    const ignored = await signed(event('comment.created'));
    expect(ignored.status).toBe(200);
    expect((await ignored.json()).outcome).toBe('ignored');
    const invalid = await signed(JSON.stringify({ type: 'page.created' }));
    expect(invalid.status).toBe(400);
    const notJson = await signed('not json at all');
    expect(notJson.status).toBe(400);
    const otherWorkspace = await signed(event('page.created', { workspace_id: 'workspace-2' }));
    expect((await otherWorkspace.json()).outcome).toBe('other_workspace');
    // An unknown type is counted as `other`: a label of a fixed set, whatever Notion adds.
    expect((await (await signed(event('page.something_new'))).json()).outcome).toBe('ignored');
    expect(await counted('other', 'ignored')).toBe(1);
    expect(await exportsOf('c1')).toEqual([]);
  });

  it('refuses a body over the cap (413) without reading it, whether it says its length or not', async () => {
    const big = JSON.stringify({ verification_token: `secret_${'x'.repeat(MAX_WEBHOOK_BODY_BYTES)}` });
    expect((await post(big)).status).toBe(413);
    expect((await post('{}', { 'content-length': String(MAX_WEBHOOK_BODY_BYTES + 1) })).status).toBe(413);
    expect(await listWebhookTokens(ctx, Date.now())).toHaveLength(1);
  });

  it('asks nothing of a connection removed since its token was chosen', async () => {
    const other = 'secret_secondIntegrationToken0123456789';
    expect((await post(JSON.stringify({ verification_token: other }))).status).toBe(200);
    const chosen = (await listWebhookTokens(ctx, Date.now())).find((t) => t.token === other);
    await useWebhookToken(ctx, chosen?.id ?? '', 'c2', Date.now());
    await ctx.database.client.execute("update connections set removed_at = 1 where id = 'c2'");
    const response = await signed(event('page.created', { workspace_id: 'any' }), other);
    expect(response.status).toBe(200);
    expect((await response.json()).outcome).toBe('no_connection');
    expect(await exportsOf('c2')).toEqual([]);
  });

  it('keeps at most a few pending tokens: a flood of fake verifications is refused (429), never evicting one', async () => {
    for (let i = 0; i < MAX_PENDING_TOKENS; i++) expect((await post(JSON.stringify({ verification_token: `secret_flood${i}-0123456789abcdef` }))).status).toBe(200);
    const refused = await post(JSON.stringify({ verification_token: 'secret_one-too-many-0123456789' }));
    expect(refused.status).toBe(429);
    const kept = await listWebhookTokens(ctx, Date.now());
    // The pending ones, and the two in use.
    expect(kept).toHaveLength(MAX_PENDING_TOKENS + 2);
    expect(kept.find((t) => t.id === tokenId)?.connectionId).toBe('c1');
    // A token removed signs nothing any more.
    await removeWebhookToken(ctx, tokenId);
    expect((await signed(event('page.created'))).status).toBe(401);
  });
});
