import { DEFAULT_EXPORT_OPTIONS } from '@/server/export/domain/export';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { PROJECTIONS } from '@/server/context';
import { EventStore } from '@/server/events/event-store';
import { createTestContext, type TestContext } from '@/server/testing/test-context';
import { type ExportFeedMessage, followExport } from './export-feed';
import { handle } from '@/server/export/domain/handle';

let ctx: TestContext;
beforeEach(async () => {
  ctx = await createTestContext();
  await ctx.database.client.execute(
    "insert into connections (id, name, token_ciphertext, token_hash, token_hint, created_at) values ('c1','c','x','h','…',0)",
  );
  await handle(ctx.store, 'e1', {
    type: 'RequestExport',
    data: { exportId: 'e1', connectionId: 'c1', formats: ['json'], outDir: '/tmp/e1', requestedBy: 'cli', options: DEFAULT_EXPORT_OPTIONS },
  });
});
afterEach(async () => {
  await ctx.cleanup();
});

async function collect(gen: AsyncGenerator<ExportFeedMessage>, until: (m: ExportFeedMessage) => boolean) {
  const out: ExportFeedMessage[] = [];
  for await (const m of gen) {
    out.push(m);
    if (until(m)) break;
  }
  return out;
}

const stats = { requests: 1, rateLimited: 0, retries: 0 };

describe('following an export live', () => {
  it('backfills, then streams new commits as they happen, and ends when the export finishes', async () => {
    const abort = new AbortController();
    const feed = followExport(ctx, 'e1', 0, abort.signal, 10_000);
    const first = await feed.next();
    expect(first.value).toMatchObject({ progress: { status: 'queued' }, events: [{ type: 'ExportRequested' }] });
    setTimeout(async () => {
      await handle(ctx.store, 'e1', { type: 'StartExport', data: { attempt: 1, runner: 'r' } });
      await handle(ctx.store, 'e1', { type: 'CompleteExport', data: { pages: 0, failed: 0, files: 0, bytes: 0, stats } });
    }, 20);
    const rest: ExportFeedMessage[] = [];
    for await (const m of feed) rest.push(m);
    const types = rest.flatMap((m) => m.events.map((e) => e.type));
    expect(types).toEqual(['ExportStarted', 'ExportCompleted']);
    expect(rest.at(-1)!.progress.status).toBe('completed');
    expect(rest.at(-1)!.events.at(-1)!.recordedAt).toMatch(/^\d{4}-/);
  });

  it('resumes after the last event id a client saw, skipping what it had', async () => {
    await handle(ctx.store, 'e1', { type: 'StartExport', data: { attempt: 1, runner: 'r' } });
    const all = await ctx.store.readStream('export-e1');
    const abort = new AbortController();
    const messages = await collect(followExport(ctx, 'e1', all[0]!.globalPosition, abort.signal, 10), () => true);
    expect(messages[0]!.events.map((e) => e.type)).toEqual(['ExportStarted']);
    expect(messages[0]!.position).toBe(all[1]!.globalPosition);
  });

  it('picks up commits made by another process by polling', async () => {
    const abort = new AbortController();
    const feed = followExport(ctx, 'e1', 0, abort.signal, 20);
    await feed.next();
    // Append without the live feed, as a standalone worker's process would.
    const silent = new EventStore(ctx.database.db, { projections: PROJECTIONS });
    await silent.append('export-e1', 1, [{ type: 'ExportStarted', data: { attempt: 1, runner: 'w' } }]);
    const next = (await feed.next()).value as ExportFeedMessage;
    expect(next.events.map((e) => e.type)).toEqual(['ExportStarted']);
    abort.abort();
    expect((await feed.next()).done).toBe(true);
  });

  it('ends at once for an unknown export', async () => {
    const messages = await collect(followExport(ctx, 'nope', 0, new AbortController().signal), () => false);
    expect(messages).toEqual([]);
  });
});
