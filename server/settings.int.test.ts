import { TRPCError } from '@trpc/server';
import { eq } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { auditEvents, settings } from '@/db/schema';
import { startTwin, type Twin } from '@/e2e/notion-twin';
import { Runner } from '@/server/runner/runner';
import { callerAs } from '@/server/testing/call-as';
import { createTestContext, type TestContext } from '@/server/testing/test-context';
import { type AppContext, createAppContext } from '@/server/context';
import { LiveFeed } from '@/server/events/live-feed';
import { exportRow } from '@/server/testing/export-row';
import { manualClock } from '@/server/testing/fake-clock';
import { readSettings, SETTINGS_CHECK_MS, SETTINGS_LIMITS, settingsForRun } from './settings';

const codeOf = (error: unknown) => (error instanceof TRPCError ? error.code : error);

describe('settings.update', () => {
  let ctx: TestContext;
  beforeAll(async () => {
    // The environment's budget (NOTION_RATE_LIMIT) may be above what the dashboard allows.
    ctx = await createTestContext({ requestsPerSecond: 50 });
  });
  afterAll(async () => {
    await ctx.cleanup();
  });

  const stored = async () => (await ctx.database.db.select().from(settings).where(eq(settings.key, 'runtime')))[0]?.value;

  it('starts from the defaults: the environment budget, 6 pages and 4 downloads at a time, with the bounds the form shows', async () => {
    expect(await callerAs(ctx, 'viewer').settings.get()).toEqual({
      requestsPerSecond: 50,
      pagesInFlight: 6,
      attachmentDownloads: 4,
      limits: SETTINGS_LIMITS,
      notionAverageRate: 3,
      flags: { downloadExternalFiles: true, pageMarkdownEndpoint: false, webhooks: false },
    });
  });

  it.each([
    { requestsPerSecond: 0.05 },
    { requestsPerSecond: 10.5 },
    { requestsPerSecond: 0 },
    { requestsPerSecond: Number.NaN },
    { pagesInFlight: 0 },
    { pagesInFlight: 9 },
    { pagesInFlight: 2.5 },
    { attachmentDownloads: 0 },
    { attachmentDownloads: 9 },
    { requestsPerSecond: 5, attachmentDownloads: 100 },
    {},
  ])('refuses %o before anything is written', async (input) => {
    const error = await callerAs(ctx, 'admin')
      .settings.update(input)
      .catch((e: unknown) => e);
    expect(codeOf(error)).toBe('BAD_REQUEST');
    expect(await stored()).toBeUndefined();
    expect(await ctx.database.db.select().from(auditEvents)).toEqual([]);
  });

  it('takes the bounds themselves, stores only what was set, and records the change with its before and after', async () => {
    const admin = callerAs(ctx, 'admin');
    expect(await admin.settings.update({ pagesInFlight: 8 })).toEqual({ requestsPerSecond: 50, pagesInFlight: 8, attachmentDownloads: 4 });
    // The budget nobody set keeps following the environment.
    expect(await stored()).toEqual({ pagesInFlight: 8 });
    expect(await admin.settings.update({ requestsPerSecond: 0.1, attachmentDownloads: 1 })).toEqual({
      requestsPerSecond: 0.1,
      pagesInFlight: 8,
      attachmentDownloads: 1,
    });
    expect(await admin.settings.update({ requestsPerSecond: 10, attachmentDownloads: 1 })).toMatchObject({ requestsPerSecond: 10 });
    // Saving what is already set changes nothing, and records nothing.
    await admin.settings.update({ pagesInFlight: 8 });

    const entries = await ctx.database.db.select().from(auditEvents).orderBy(auditEvents.position);
    expect(entries.map((e) => [e.action, e.actorEmail, e.targetType, e.detail])).toEqual([
      ['settings.changed', 'admin@example.test', 'settings', { before: { pagesInFlight: 6 }, after: { pagesInFlight: 8 } }],
      [
        'settings.changed',
        'admin@example.test',
        'settings',
        { before: { requestsPerSecond: 50, attachmentDownloads: 4 }, after: { requestsPerSecond: 0.1, attachmentDownloads: 1 } },
      ],
      ['settings.changed', 'admin@example.test', 'settings', { before: { requestsPerSecond: 0.1 }, after: { requestsPerSecond: 10 } }],
    ]);
  });

  it('is for admins only', async () => {
    for (const role of ['viewer', 'operator'] as const) {
      const error = await callerAs(ctx, role)
        .settings.update({ pagesInFlight: 2 })
        .catch((e: unknown) => e);
      expect(codeOf(error), role).toBe('FORBIDDEN');
    }
  });

  it('reads a stored value the bounds no longer allow as its default, without losing the others', async () => {
    await ctx.database.db
      .update(settings)
      .set({ value: { requestsPerSecond: 500, pagesInFlight: 3, attachmentDownloads: 'many' } })
      .where(eq(settings.key, 'runtime'));
    expect(await readSettings(ctx.database.db, { requestsPerSecond: 2 })).toEqual({ requestsPerSecond: 2, pagesInFlight: 3, attachmentDownloads: 4 });
    await ctx.database.db.update(settings).set({ value: 'garbled' }).where(eq(settings.key, 'runtime'));
    expect(await readSettings(ctx.database.db, { requestsPerSecond: 2 })).toEqual({ requestsPerSecond: 2, pagesInFlight: 6, attachmentDownloads: 4 });
  });

  it('gives a run the defaults when the database cannot answer', async () => {
    const closed = await createTestContext({ requestsPerSecond: 3 });
    closed.database.close();
    try {
      expect(await settingsForRun(closed.database.db, closed.config)).toEqual({ requestsPerSecond: 3, pagesInFlight: 6, attachmentDownloads: 4 });
    } finally {
      await closed.cleanup();
    }
  });
});

describe('the request budget of a running export', () => {
  let twin: Twin;
  let ctx: TestContext;
  beforeAll(async () => {
    twin = await startTwin({ workspace: { seed: 51, pages: 3, databases: 0, linkedDatabases: 0, largePages: 0, depth: 1, blocksPerPage: 4, manyRelationRefs: 0, manyMentionRefs: 0 } });
    // The environment's budget is 1 request/s: this export (about 40 requests) would take 40 s at it.
    ctx = await createTestContext({ requestsPerSecond: 1 });
  });
  afterAll(async () => {
    await ctx.cleanup();
    await twin.close();
  });

  it('follows the dashboard without a restart', async () => {
    const caller = callerAs(ctx, 'admin');
    expect(await caller.settings.update({ requestsPerSecond: 10 })).toMatchObject({ requestsPerSecond: 10 });

    const connection = await caller.connections.create({ token: 'secret_twin', baseUrl: twin.url });
    const { id } = await caller.exports.start({ connectionId: connection.id, formats: ['json'] });
    const started = Date.now();
    expect(await new Runner(ctx).runOnce()).toBe('completed');
    const row = await caller.exports.get({ id });
    // At 1 request/s this would have taken row.requests seconds; at 10/s a tenth of it.
    expect(row.requests).toBeGreaterThan(20);
    expect(Date.now() - started).toBeLessThan((row.requests * 1000) / 3);
  });
});

describe('feature flags in the dashboard', () => {
  let ctx: TestContext;
  beforeAll(async () => {
    ctx = await createTestContext();
  });
  afterAll(async () => {
    await ctx.cleanup();
  });

  it('admins list them with their value, default, owner and removal condition', async () => {
    const flags = await callerAs(ctx, 'admin').settings.flags();
    expect(flags.map((f) => f.name)).toEqual(['downloadExternalFiles', 'pageMarkdownEndpoint', 'webhooks']);
    expect(flags[2]).toMatchObject({ name: 'webhooks', enabled: false, default: false, owner: expect.any(String), removal: expect.any(String) });
  });

  it('admins turn one on or off; each change is in the audit log by name, saving the same value records nothing', async () => {
    const admin = callerAs(ctx, 'admin');
    expect(await admin.settings.setFlag({ name: 'webhooks', enabled: true })).toEqual({ name: 'webhooks', enabled: true });
    await admin.settings.setFlag({ name: 'webhooks', enabled: true });
    await admin.settings.setFlag({ name: 'downloadExternalFiles', enabled: false });
    expect((await callerAs(ctx, 'viewer').settings.get()).flags).toEqual({ downloadExternalFiles: false, pageMarkdownEndpoint: false, webhooks: true });
    const entries = await ctx.database.db.select().from(auditEvents).where(eq(auditEvents.action, 'settings.flag-changed')).orderBy(auditEvents.position);
    expect(entries.map((e) => [e.actorEmail, e.targetType, e.targetId, e.detail])).toEqual([
      ['admin@example.test', 'settings', 'flag.webhooks', { flag: 'webhooks', before: false, after: true }],
      ['admin@example.test', 'settings', 'flag.downloadExternalFiles', { flag: 'downloadExternalFiles', before: true, after: false }],
    ]);
  });

  it.each([{ name: 'nope', enabled: true }, { name: 'webhooks', enabled: 'yes' }, { name: 'webhooks' }, {}])(
    'refuses %o before anything is written',
    async (input) => {
      const before = await ctx.database.db.select().from(settings);
      const error = await callerAs(ctx, 'admin')
        .settings.setFlag(input as never)
        .catch((e: unknown) => e);
      expect(codeOf(error)).toBe('BAD_REQUEST');
      expect(await ctx.database.db.select().from(settings)).toEqual(before);
    },
  );

  it('is for admins only, the list as the change', async () => {
    for (const role of ['viewer', 'operator'] as const) {
      expect(codeOf(await callerAs(ctx, role).settings.flags().catch((e: unknown) => e)), role).toBe('FORBIDDEN');
      expect(codeOf(await callerAs(ctx, role).settings.setFlag({ name: 'webhooks', enabled: false }).catch((e: unknown) => e)), role).toBe('FORBIDDEN');
    }
  });
});

describe('pages in flight of a running export, changed in the dashboard of another process', () => {
  let twin: Twin;
  let worker: TestContext;
  let dashboard: AppContext;
  beforeAll(async () => {
    // Pages that take a while to answer, all under the workspace: many are pending at once.
    twin = await startTwin({
      workspace: { seed: 52, pages: 24, databases: 0, linkedDatabases: 0, largePages: 0, depth: 1, blocksPerPage: 2, manyRelationRefs: 0, manyMentionRefs: 0 },
      latencyMs: [30, 40],
    });
    worker = await createTestContext();
    dashboard = await createAppContext(worker.config, new LiveFeed());
  });
  afterAll(async () => {
    dashboard.database.close();
    await worker.cleanup();
    await twin.close();
  });

  it('one page at a time until the change, several at once within a look (SETTINGS_CHECK_MS) after it', async () => {
    const admin = callerAs(dashboard, 'admin');
    await admin.settings.update({ pagesInFlight: 1 });
    const connection = await admin.connections.create({ token: 'secret_twin', baseUrl: twin.url });
    const { id } = await admin.exports.start({ connectionId: connection.id, formats: ['json'] });
    const clock = manualClock();
    const outcome = new Runner(worker, { clock }).runOnce();
    await exportRow(worker, id, (r) => r.pagesDone >= 3);
    const atOne = twin.stats().maxInFlight;
    expect(atOne).toBeLessThanOrEqual(2);

    await admin.settings.update({ pagesInFlight: 6 });
    twin.resetStats();
    await clock.waiting(SETTINGS_CHECK_MS);
    clock.advance(SETTINGS_CHECK_MS);
    expect(await outcome).toBe('completed');
    expect(twin.stats().maxInFlight).toBeGreaterThan(atOne + 1);
  });
});
