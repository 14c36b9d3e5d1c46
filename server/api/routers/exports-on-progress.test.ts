import { isTrackedEnvelope } from '@trpc/server';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { callerAs } from '@/server/testing/call-as';
import { DEFAULT_EXPORT_OPTIONS } from '@/server/export/domain/export';
import { seedConnections } from '@/server/testing/seed';
import { createTestContext, type TestContext } from '@/server/testing/test-context';

let ctx: TestContext;
beforeEach(async () => {
  ctx = await createTestContext();
  await seedConnections(ctx, ['c1']);
  await ctx.store.append('export-e1', 0, [
    {
      type: 'ExportRequested',
      data: { exportId: 'e1', connectionId: 'c1', formats: ['json'], outDir: '/tmp/e1', requestedBy: 'cli', options: DEFAULT_EXPORT_OPTIONS },
    },
    { type: 'ExportStarted', data: { attempt: 1, runner: 'r' } },
  ]);
});
afterEach(async () => {
  await ctx.cleanup();
});

const caller = (signal?: AbortSignal) => callerAs(ctx, 'admin', { signal });

describe('exports.onProgress', () => {
  it('answers NOT_FOUND for an unknown export, and BAD_REQUEST for a last event id that is no position', async () => {
    await expect(caller().exports.onProgress({ id: 'nope' })).rejects.toMatchObject({ code: 'NOT_FOUND' });
    await expect(caller().exports.onProgress({ id: 'e1', lastEventId: 'abc' })).rejects.toMatchObject({ code: 'BAD_REQUEST' });
  });

  it('tags every message with its position, and resumes after the last event id', async () => {
    const abort = new AbortController();
    const events = await ctx.store.readStream('export-e1');
    const stream = await caller(abort.signal).exports.onProgress({ id: 'e1', lastEventId: String(events[0]!.globalPosition) });
    const iterator = stream[Symbol.asyncIterator]();
    const { value } = await iterator.next();
    expect(isTrackedEnvelope(value)).toBe(true);
    const [id, message] = value as unknown as [string, { position: number; activity: { type: string }[] }];
    expect(id).toBe(String(events[1]!.globalPosition));
    expect(message.position).toBe(events[1]!.globalPosition);
    expect(message.activity.map((a) => a.type)).toEqual(['ExportStarted']);
    abort.abort();
    expect((await iterator.next()).done).toBe(true);
    expect(ctx.feed.listenerCount()).toBe(0);
  });
});
