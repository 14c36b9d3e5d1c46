import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTwin, type Twin } from '@/e2e/notion-twin';
import { callerAs } from '@/server/testing/call-as';
import { createTestContext, type TestContext } from '@/server/testing/test-context';
import { Runner } from '@/server/runner/runner';

let twin: Twin;
let ctx: TestContext;
beforeAll(async () => {
  twin = await startTwin({ workspace: { seed: 51, pages: 25, databases: 1, rowsPerDatabase: 4, linkedDatabases: 0 } });
  // The environment's budget is 1 request/s: an export of this workspace would take minutes.
  ctx = await createTestContext({ requestsPerSecond: 1 });
});
afterAll(async () => {
  await ctx.cleanup();
  await twin.close();
});

describe('run-time settings', () => {
  it('change the Notion budget without a restart, and the runner follows them', async () => {
    const caller = callerAs(ctx, 'admin');
    expect(await caller.settings.get()).toEqual({ requestsPerSecond: 1 });
    await expect(caller.settings.update({ requestsPerSecond: -1 })).rejects.toThrow();
    expect(await caller.settings.update({ requestsPerSecond: 500 })).toEqual({ requestsPerSecond: 500 });
    expect(await caller.settings.get()).toEqual({ requestsPerSecond: 500 });

    const connection = await caller.connections.create({ token: 'secret_twin', baseUrl: twin.url });
    const { id } = await caller.exports.start({ connectionId: connection.id, formats: ['json'] });
    const started = Date.now();
    expect(await new Runner(ctx).runOnce()).toBe('completed');
    const row = await caller.exports.get({ id });
    // At 1 request/s this would have taken row.requests seconds.
    expect(row.requests).toBeGreaterThan(60);
    expect(Date.now() - started).toBeLessThan((row.requests * 1000) / 4);
  });
});
