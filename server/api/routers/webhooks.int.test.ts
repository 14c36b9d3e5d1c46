import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { auditEvents } from '@/db/schema';
import { TokenCipher } from '@/server/auth/token-cipher';
import { callerAs } from '@/server/testing/call-as';
import { seedConnections } from '@/server/testing/seed';
import { createTestContext, type TestContext } from '@/server/testing/test-context';
import { storeVerificationToken, tokensInUse } from '@/server/webhooks/webhook-tokens';

let ctx: TestContext;
beforeAll(async () => {
  ctx = await createTestContext();
  await seedConnections(ctx, ['c1']);
});
afterAll(async () => {
  await ctx.cleanup();
});

const TOKEN = 'secret_fromNotionForTheRouter0123456789';

describe('webhooks router (admins)', () => {
  it('lists the tokens with their value, chooses one for a connection and removes it, each audited by id only', async () => {
    const admin = callerAs(ctx, 'admin');
    const stored = await storeVerificationToken(ctx, TOKEN, Date.now());
    if (stored.outcome !== 'stored') throw new Error(stored.outcome);
    expect(await admin.webhooks.tokens()).toMatchObject([{ id: stored.id, token: TOKEN, connectionId: null, connectionName: null }]);

    await expect(admin.webhooks.useToken({ id: stored.id, connectionId: 'gone' })).rejects.toMatchObject({ code: 'NOT_FOUND' });
    await expect(admin.webhooks.useToken({ id: '00000000-0000-4000-8000-000000000000', connectionId: 'c1' })).rejects.toMatchObject({ code: 'NOT_FOUND' });
    expect(await tokensInUse(ctx)).toEqual([]);

    await admin.webhooks.useToken({ id: stored.id, connectionId: 'c1' });
    expect(await admin.webhooks.tokens()).toMatchObject([{ id: stored.id, connectionId: 'c1', connectionName: 'n', usedAt: expect.any(Number) }]);
    expect(await tokensInUse(ctx)).toEqual([{ id: stored.id, token: TOKEN, connectionId: 'c1' }]);

    await admin.webhooks.removeToken({ id: stored.id });
    expect(await admin.webhooks.tokens()).toEqual([]);
    await expect(admin.webhooks.removeToken({ id: stored.id })).rejects.toMatchObject({ code: 'NOT_FOUND' });

    const audit = await ctx.database.db.select().from(auditEvents);
    expect(audit.map((a) => [a.action, a.actorEmail, a.targetType])).toEqual([
      ['webhook.token-used', 'admin@example.test', 'connection'],
      ['webhook.token-removed', 'admin@example.test', 'settings'],
    ]);
    expect(JSON.stringify(audit)).not.toContain(TOKEN);
  });

  it('shows a token sealed with a key this server no longer has as unreadable, and never signs with it', async () => {
    const stored = await storeVerificationToken({ ...ctx, cipher: TokenCipher.fromSecret('another-secret-of-enough-length') }, 'secret_sealedElsewhere0123456789', Date.now());
    if (stored.outcome !== 'stored') throw new Error(stored.outcome);
    await callerAs(ctx, 'admin').webhooks.useToken({ id: stored.id, connectionId: 'c1' });
    expect((await callerAs(ctx, 'admin').webhooks.tokens()).find((t) => t.id === stored.id)?.token).toBeNull();
    expect(await tokensInUse(ctx)).toEqual([]);
  });

  it('forgets pending tokens nobody chose within a day', async () => {
    const dayAgo = Date.now() - 25 * 60 * 60 * 1000;
    await storeVerificationToken(ctx, 'secret_oldAndPending0123456789', dayAgo);
    expect((await callerAs(ctx, 'admin').webhooks.tokens()).map((t) => t.token)).not.toContain('secret_oldAndPending0123456789');
    await storeVerificationToken(ctx, 'secret_newAndPending0123456789', Date.now());
    const rows = await ctx.database.client.execute("select count(*) as n from settings where key like 'webhook.token.%'");
    // The one in use (sealed elsewhere) and the new one: the old pending one is gone from the table too.
    expect(Number(rows.rows[0]?.n)).toBe(2);
  });
});
