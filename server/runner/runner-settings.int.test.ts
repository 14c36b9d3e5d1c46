import { eq } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { auditEvents } from '@/db/schema';
import { callerAs } from '@/server/testing/call-as';
import { createTestContext, type TestContext } from '@/server/testing/test-context';

let ctx: TestContext;
beforeAll(async () => {
  ctx = await createTestContext({ runnerMaxExports: 4 });
});
afterAll(async () => {
  await ctx.cleanup();
});

describe('settings.runner and settings.updateRunner', () => {
  it('shows the runner settings with the process’s ceiling, and lets an admin change them, audited', async () => {
    expect(await callerAs(ctx, 'viewer').settings.runner()).toEqual({ maxExports: 4, workspaceRequestsPerSecond: null, maxExportsCeiling: 4 });
    expect(await callerAs(ctx, 'admin').settings.updateRunner({ maxExports: 2, workspaceRequestsPerSecond: 4.5 })).toEqual({
      maxExports: 2,
      workspaceRequestsPerSecond: 4.5,
    });
    // Above the ceiling: stored, but the runner keeps to RUNNER_MAX_EXPORTS.
    expect(await callerAs(ctx, 'admin').settings.updateRunner({ maxExports: 9 })).toMatchObject({ maxExports: 4 });
    const audit = await ctx.database.db.select().from(auditEvents).where(eq(auditEvents.targetId, 'runner'));
    expect(audit.map((a) => a.detail)).toEqual([
      { before: { maxExports: null, workspaceRequestsPerSecond: null }, after: { maxExports: 2, workspaceRequestsPerSecond: 4.5 } },
      { before: { maxExports: 2 }, after: { maxExports: 9 } },
    ]);
    expect(audit[0]).toMatchObject({ action: 'settings.changed', actorEmail: 'admin@example.test' });
    // Nothing changed: nothing recorded.
    await callerAs(ctx, 'admin').settings.updateRunner({ maxExports: 9 });
    expect(await ctx.database.db.select().from(auditEvents).where(eq(auditEvents.targetId, 'runner'))).toHaveLength(2);
  });

  it('refuses values out of bounds and an empty change, and writes nothing', async () => {
    const admin = callerAs(ctx, 'admin');
    await expect(admin.settings.updateRunner({ maxExports: 0 })).rejects.toThrow(/At least 1 export/);
    await expect(admin.settings.updateRunner({ workspaceRequestsPerSecond: 1000 })).rejects.toThrow(/at most 100/);
    await expect(admin.settings.updateRunner({})).rejects.toThrow(/Change at least one setting/);
    expect(await callerAs(ctx, 'viewer').settings.runner()).toMatchObject({ workspaceRequestsPerSecond: 4.5 });
  });
});
