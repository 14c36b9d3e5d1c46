import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { recordAudit } from '@/server/audit/audit-log';
import { callerAs } from '@/server/testing/call-as';
import { createTestContext, type TestContext } from '@/server/testing/test-context';

let ctx: TestContext;
beforeEach(async () => {
  ctx = await createTestContext();
});
afterEach(async () => {
  await ctx.cleanup();
});

describe('audit router', () => {
  it('lists the audit log to admins, newest first, filtered and page by page with times as ISO strings', async () => {
    const at = Date.parse('2026-11-02T09:00:00Z');
    for (let i = 0; i < 5; i++) {
      await recordAudit(ctx.database.db, { action: i % 2 ? 'export.started' : 'sign-in', actor: { email: `p${i}@example.test` }, address: '192.0.2.3' }, new Date(at + i * 1000));
    }
    const admin = callerAs(ctx, 'admin');
    const first = await admin.audit.list({ limit: 2 });
    expect(first.entries.map((e) => [e.actorEmail, e.at])).toEqual([
      ['p4@example.test', '2026-11-02T09:00:04.000Z'],
      ['p3@example.test', '2026-11-02T09:00:03.000Z'],
    ]);
    const second = await admin.audit.list({ limit: 2, cursor: first.nextCursor ?? undefined });
    expect(second.entries.map((e) => e.actorEmail)).toEqual(['p2@example.test', 'p1@example.test']);
    expect((await admin.audit.list({ action: 'sign-in', from: '2026-11-02T09:00:01Z', to: '2026-11-02T09:00:04Z' })).entries.map((e) => e.actorEmail)).toEqual([
      'p4@example.test',
      'p2@example.test',
    ]);
    await expect(admin.audit.list({ limit: 201 })).rejects.toMatchObject({ code: 'BAD_REQUEST' });
    await expect(admin.audit.list({ from: 'last week' })).rejects.toMatchObject({ code: 'BAD_REQUEST' });
  });

  it('is for admins only', async () => {
    await expect(callerAs(ctx, 'operator').audit.list({})).rejects.toMatchObject({ code: 'FORBIDDEN' });
  });
});
