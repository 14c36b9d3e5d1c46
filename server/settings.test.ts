import path from 'node:path';
import { eq } from 'drizzle-orm';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { exports } from '@/db/schema';
import type { AttachmentStoreOptions } from '@/server/export/files/attachments';
import { beginRun, openSession } from '@/server/export/crawl/export-session';
import { Runner } from '@/server/runner/runner';
import { systemClock } from '@/server/retry/clock';
import { requestTestExport } from '@/server/testing/seed';
import { createTestContext, type TestContext } from '@/server/testing/test-context';
import { type AppContext, createAppContext } from '@/server/context';
import { handle } from '@/server/export/domain/handle';
import { LiveFeed } from '@/server/events/live-feed';
import { FLAG_CACHE_MS, setFlag } from '@/server/feature-flags';
import { type ManualClock, manualClock } from '@/server/testing/fake-clock';
import { DEFAULT_ATTACHMENT_DOWNLOADS, DEFAULT_PAGES_IN_FLIGHT, SETTINGS_CHECK_MS, writeSettings } from './settings';

/**
 * The settings are followed by the export's session while it runs: the request budget (its
 * gateway's limiter), pages in flight (read by the work loop at each turn) and attachment
 * downloads (its attachment store), with the downloadExternalFiles flag. The runner hands
 * runExport only a concurrency of its own. Each is observed where it is handed on, with what it
 * is handed to stubbed; a second app context on the same database file plays the dashboard's
 * process, so a change comes from "elsewhere" as in production.
 */

const runExport = vi.hoisted(() => vi.fn(async (_ctx: unknown, _options: { concurrency?: number }) => 'completed' as const));
vi.mock('@/server/export/crawl/run-export', () => ({ runExport }));

interface RecordedStore {
  concurrency?: number;
  downloadExternal?: boolean;
  tuned: { concurrency?: number; downloadExternal?: boolean }[];
}
const attachmentStores = vi.hoisted(() => [] as RecordedStore[]);
vi.mock('@/server/export/files/attachments', async (importOriginal) => {
  const actual = await importOriginal<typeof import('@/server/export/files/attachments')>();
  class RecordedAttachmentStore extends actual.AttachmentStore {
    readonly recorded: RecordedStore;
    constructor(options: AttachmentStoreOptions) {
      super(options);
      this.recorded = { concurrency: options.concurrency, downloadExternal: options.downloadExternal, tuned: [] };
      attachmentStores.push(this.recorded);
    }
    override tune(change: { concurrency?: number; downloadExternal?: boolean }): void {
      this.recorded.tuned.push(change);
      super.tune(change);
    }
  }
  return { ...actual, AttachmentStore: RecordedAttachmentStore };
});

let ctx: TestContext;
/** The dashboard's process: the same database file, another connection and flag cache. */
let dashboard: AppContext;
beforeEach(async () => {
  ctx = await createTestContext();
  dashboard = await createAppContext(ctx.config, new LiveFeed());
  runExport.mockClear();
  attachmentStores.length = 0;
  // A connection whose token this server can decrypt (the session opens it; nothing is sent).
  for (const id of ['c1', 'c2']) {
    await ctx.database.client.execute({
      sql: "insert into connections (id, name, token_ciphertext, token_hash, token_hint, created_at) values (?, 'n', ?, ?, '…', 0)",
      args: [id, ctx.cipher.encrypt('secret_unused'), id],
    });
  }
});
afterEach(async () => {
  dashboard.database.close();
  await ctx.cleanup();
});

const set = (patch: Parameters<typeof writeSettings>[1]) => writeSettings(dashboard.database.db, patch, dashboard.config);

describe('pages in flight', () => {
  it('the runner leaves them to the run, which follows the settings (runExport gets no concurrency of the runner)', async () => {
    await set({ pagesInFlight: 3 });
    await requestTestExport(ctx, 'e1');
    expect(await new Runner(ctx).runOnce()).toBe('completed');
    expect(runExport.mock.calls.at(-1)?.[1].concurrency).toBeUndefined();
  });

  it("a runner's own concurrency (tests, benchmarks) comes first", async () => {
    await set({ pagesInFlight: 3 });
    await requestTestExport(ctx, 'e1');
    expect(await new Runner(ctx, { concurrency: 2 }).runOnce()).toBe('completed');
    expect(runExport.mock.calls.at(-1)?.[1].concurrency).toBe(2);
  });
});

describe('a running export follows the settings and flags changed elsewhere', () => {
  async function open(exportId: string, clock: ManualClock) {
    const [row] = await ctx.database.db.select().from(exports).where(eq(exports.id, exportId));
    if (!row) throw new Error(`no export ${exportId}`);
    const lease = { check: async () => undefined, fence: async () => undefined };
    const run = beginRun(ctx, row, { attempt: 1, runner: 'test', lease, signal: new AbortController().signal, clock });
    return openSession(run);
  }

  /** Lets the session's next look at the settings happen (its wait on the run's clock ends). */
  async function nextLook(clock: ManualClock, looksBefore: number): Promise<void> {
    await clock.waiting(SETTINGS_CHECK_MS);
    clock.advance(SETTINGS_CHECK_MS);
    // The look is done once the store has been tuned again.
    await vi.waitFor(() => expect(attachmentStores.at(-1)?.tuned.length).toBeGreaterThan(looksBefore), { timeout: 5000, interval: 5 });
  }

  it('the defaults as it opens; the budget, pages in flight and downloads at once within one look', async () => {
    await requestTestExport(ctx, 'e1');
    const clock = manualClock();
    const session = await open('e1', clock);
    try {
      expect(session.pagesInFlight()).toBe(DEFAULT_PAGES_IN_FLIGHT);
      expect(attachmentStores.at(-1)?.concurrency).toBe(DEFAULT_ATTACHMENT_DOWNLOADS);
      expect(session.gateway.limiter.learned().configured).toBe(ctx.config.requestsPerSecond);

      await set({ pagesInFlight: 2, attachmentDownloads: 7, requestsPerSecond: 4 });
      // Nothing changes before the look.
      expect(session.pagesInFlight()).toBe(DEFAULT_PAGES_IN_FLIGHT);
      await nextLook(clock, 1);
      expect(session.pagesInFlight()).toBe(2);
      expect(attachmentStores.at(-1)?.tuned.at(-1)).toEqual({ concurrency: 7, downloadExternal: false });
      expect(session.gateway.limiter.learned().configured).toBe(4);
    } finally {
      await session.close();
    }
  });

  it('downloadExternalFiles: honoured as the export opens and when it is turned off while it runs', async () => {
    await handle(ctx.store, 'e2', {
      type: 'RequestExport',
      data: { exportId: 'e2', connectionId: 'c2', formats: ['json'], outDir: path.join(ctx.dir, 'e2'), requestedBy: 'cli', options: { naming: 'notion', downloadExternal: true } },
    });
    const clock = manualClock();
    const session = await open('e2', clock);
    try {
      // On by default: the export's own option counts.
      expect(attachmentStores.at(-1)?.downloadExternal).toBe(true);
      await setFlag(dashboard.database.db, 'downloadExternalFiles', false);
      await nextLook(clock, 1);
      expect(attachmentStores.at(-1)?.tuned.at(-1)?.downloadExternal).toBe(false);
    } finally {
      await session.close();
    }
    // An export that opens while the flag is off never downloads them.
    const again = await open('e2', manualClock(clock.now() + FLAG_CACHE_MS));
    await again.close();
    expect(attachmentStores.at(-1)?.downloadExternal).toBe(false);
  });
});

describe('attachment downloads', () => {
  it('an export session takes them from the settings as it opens: the default 4, then each change', async () => {
    await requestTestExport(ctx, 'e1');
    for (const downloads of [undefined, 8]) {
      if (downloads) await set({ attachmentDownloads: downloads });
      const [row] = await ctx.database.db.select().from(exports).where(eq(exports.id, 'e1'));
      if (!row) throw new Error('no export e1');
      const lease = { check: async () => undefined, fence: async () => undefined };
      const run = beginRun(ctx, row, { attempt: 1, runner: 'test', lease, signal: new AbortController().signal, clock: systemClock });
      await (await openSession(run)).close();
    }
    expect(attachmentStores.map((store) => store.concurrency)).toEqual([4, 8]);
  });
});
