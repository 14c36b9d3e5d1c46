import { eq } from 'drizzle-orm';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { exports } from '@/db/schema';
import type { AttachmentStoreOptions } from '@/server/export/files/attachments';
import { beginRun, openSession } from '@/server/export/crawl/export-session';
import { Runner } from '@/server/runner/runner';
import { systemClock } from '@/server/retry/clock';
import { requestTestExport } from '@/server/testing/seed';
import { createTestContext, type TestContext } from '@/server/testing/test-context';
import { writeSettings } from './settings';

/**
 * The concurrency settings are read where a run begins: the runner (pages in flight, handed to
 * runExport) and the export's session (attachment downloads, handed to its attachment store).
 * Both are observed right there, with what they hand on stubbed.
 */

const runExport = vi.hoisted(() => vi.fn(async (_ctx: unknown, _options: { concurrency?: number }) => 'completed' as const));
vi.mock('@/server/export/crawl/run-export', () => ({ runExport }));

const attachmentStores = vi.hoisted(() => [] as { concurrency?: number }[]);
vi.mock('@/server/export/files/attachments', async (importOriginal) => {
  const actual = await importOriginal<typeof import('@/server/export/files/attachments')>();
  class RecordedAttachmentStore extends actual.AttachmentStore {
    constructor(options: AttachmentStoreOptions) {
      super(options);
      attachmentStores.push({ concurrency: options.concurrency });
    }
  }
  return { ...actual, AttachmentStore: RecordedAttachmentStore };
});

let ctx: TestContext;
beforeEach(async () => {
  ctx = await createTestContext();
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
  await ctx.cleanup();
});

const set = (patch: Parameters<typeof writeSettings>[1]) => writeSettings(ctx.database.db, patch, ctx.config);

describe('pages in flight', () => {
  it('a run takes them from the settings as it begins: the default 6, then each change for the next run', async () => {
    await requestTestExport(ctx, 'e1');
    expect(await new Runner(ctx).runOnce()).toBe('completed');
    expect(runExport.mock.calls.at(-1)?.[1].concurrency).toBe(6);

    await set({ pagesInFlight: 3 });
    // Another connection's: the stub left e1's claim in place, and a connection runs one export at a time.
    await requestTestExport(ctx, 'e2', 'c2');
    expect(await new Runner(ctx).runOnce()).toBe('completed');
    expect(runExport.mock.calls.at(-1)?.[1].concurrency).toBe(3);
  });

  it("a runner's own concurrency (tests, benchmarks) comes first", async () => {
    await set({ pagesInFlight: 3 });
    await requestTestExport(ctx, 'e1');
    expect(await new Runner(ctx, { concurrency: 2 }).runOnce()).toBe('completed');
    expect(runExport.mock.calls.at(-1)?.[1].concurrency).toBe(2);
  });
});

describe('attachment downloads', () => {
  async function openAndClose(): Promise<void> {
    const [row] = await ctx.database.db.select().from(exports).where(eq(exports.id, 'e1'));
    if (!row) throw new Error('no export e1');
    const lease = { check: async () => undefined, fence: async () => undefined };
    const run = beginRun(ctx, row, { attempt: 1, runner: 'test', lease, signal: new AbortController().signal, clock: systemClock });
    const session = await openSession(run);
    await session.close();
  }

  it('an export session takes them from the settings as it opens: the default 4, then each change', async () => {
    await requestTestExport(ctx, 'e1');
    await openAndClose();
    await set({ attachmentDownloads: 8 });
    await openAndClose();
    expect(attachmentStores).toEqual([{ concurrency: 4 }, { concurrency: 8 }]);
  });
});
