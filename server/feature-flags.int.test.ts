import { eq } from 'drizzle-orm';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { settings } from '@/db/schema';
import { type AppContext, createAppContext } from '@/server/context';
import { LiveFeed } from '@/server/events/live-feed';
import { manualClock } from '@/server/testing/fake-clock';
import { createTestContext, type TestContext } from '@/server/testing/test-context';
import { FEATURE_FLAG_NAMES, FEATURE_FLAGS, FLAG_CACHE_MS, isEnabled, listFlags, readFlags, setFlag } from './feature-flags';

/** The dashboard and a worker: two app contexts (two connections, two flag caches) on one database file. */
let dashboard: TestContext;
let worker: AppContext;
beforeEach(async () => {
  dashboard = await createTestContext();
  worker = await createAppContext(dashboard.config, new LiveFeed());
});
afterEach(async () => {
  worker.database.close();
  await dashboard.cleanup();
});

describe('feature flags', () => {
  it('are typed in one registry, each with a default, a description, an owner and a removal condition', () => {
    expect(FEATURE_FLAG_NAMES).toEqual(['downloadExternalFiles', 'pageMarkdownEndpoint', 'webhooks']);
    for (const name of FEATURE_FLAG_NAMES) {
      const flag = FEATURE_FLAGS[name];
      expect(flag.type).toBe('boolean');
      expect(flag.description.length, name).toBeGreaterThan(20);
      expect(flag.owner.length, name).toBeGreaterThan(5);
      expect(flag.removal.length, name).toBeGreaterThan(20);
    }
    // What the project did before each flag existed: external downloads offered, the rest off.
    expect(Object.fromEntries(FEATURE_FLAG_NAMES.map((n) => [n, FEATURE_FLAGS[n].default]))).toEqual({
      downloadExternalFiles: true,
      pageMarkdownEndpoint: false,
      webhooks: false,
    });
  });

  it('read their defaults until set, and are stored under flag.<name> in the settings table', async () => {
    expect(await readFlags(dashboard.database.db)).toEqual({ downloadExternalFiles: true, pageMarkdownEndpoint: false, webhooks: false });
    expect(await setFlag(dashboard.database.db, 'webhooks', true)).toEqual({ before: false, after: true });
    expect(await setFlag(dashboard.database.db, 'webhooks', true)).toEqual({ before: true, after: true });
    const rows = await dashboard.database.db.select().from(settings).where(eq(settings.key, 'flag.webhooks'));
    expect(rows).toEqual([{ key: 'flag.webhooks', value: true }]);
    // The process that changed it sees it at once.
    expect(await isEnabled(dashboard.database.db, 'webhooks')).toBe(true);
  });

  it('reach another process within FLAG_CACHE_MS of its clock, without a restart', async () => {
    const clock = manualClock();
    expect(await isEnabled(worker.database.db, 'pageMarkdownEndpoint', { clock })).toBe(false);
    await setFlag(dashboard.database.db, 'pageMarkdownEndpoint', true);
    // The worker trusts what it read a moment ago ...
    clock.advance(FLAG_CACHE_MS - 1);
    expect(await isEnabled(worker.database.db, 'pageMarkdownEndpoint', { clock })).toBe(false);
    // ... and reads again once that is FLAG_CACHE_MS old.
    clock.advance(1);
    expect(await isEnabled(worker.database.db, 'pageMarkdownEndpoint', { clock })).toBe(true);
    await setFlag(dashboard.database.db, 'pageMarkdownEndpoint', false);
    clock.advance(FLAG_CACHE_MS);
    expect(await isEnabled(worker.database.db, 'pageMarkdownEndpoint', { clock })).toBe(false);
  });

  it('ask the database once per FLAG_CACHE_MS however often they are asked', async () => {
    const clock = manualClock();
    let queries = 0;
    const counting = new Proxy(worker.database.db, {
      get(target, key, receiver) {
        if (key === 'select') queries += 1;
        return Reflect.get(target, key, receiver);
      },
    });
    await Promise.all(Array.from({ length: 20 }, () => isEnabled(counting, 'webhooks', { clock })));
    for (let i = 0; i < 20; i++) await isEnabled(counting, 'downloadExternalFiles', { clock });
    expect(queries).toBe(1);
    clock.advance(FLAG_CACHE_MS);
    await isEnabled(counting, 'webhooks', { clock });
    expect(queries).toBe(2);
  });

  it('read a stored value that is no boolean, or a flag no longer in the registry, as nothing', async () => {
    await dashboard.database.db.insert(settings).values([
      { key: 'flag.webhooks', value: 'yes' },
      { key: 'flag.retired', value: true },
    ]);
    expect(await readFlags(worker.database.db)).toEqual({ downloadExternalFiles: true, pageMarkdownEndpoint: false, webhooks: false });
    expect(await setFlag(dashboard.database.db, 'webhooks', true)).toEqual({ before: false, after: true });
  });

  it('keep the last values read when the database cannot answer', async () => {
    const clock = manualClock();
    await setFlag(dashboard.database.db, 'webhooks', true);
    expect(await isEnabled(worker.database.db, 'webhooks', { clock })).toBe(true);
    worker.database.close();
    clock.advance(FLAG_CACHE_MS);
    expect(await isEnabled(worker.database.db, 'webhooks', { clock })).toBe(true);
    // A process that never read them has the defaults.
    const closed = await createAppContext(dashboard.config, new LiveFeed());
    closed.database.close();
    expect(await isEnabled(closed.database.db, 'webhooks')).toBe(false);
  });

  it('list with their value and what the dashboard shows of each', async () => {
    await setFlag(dashboard.database.db, 'downloadExternalFiles', false);
    const listed = await listFlags(dashboard.database.db);
    expect(listed.map((f) => [f.name, f.enabled, f.default])).toEqual([
      ['downloadExternalFiles', false, true],
      ['pageMarkdownEndpoint', false, false],
      ['webhooks', false, false],
    ]);
    expect(listed[0]).toMatchObject({ owner: FEATURE_FLAGS.downloadExternalFiles.owner, removal: FEATURE_FLAGS.downloadExternalFiles.removal });
  });
});
