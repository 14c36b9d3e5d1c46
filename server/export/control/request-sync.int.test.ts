import fs from 'node:fs';
import path from 'node:path';
import { eq } from 'drizzle-orm';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { exports } from '@/db/schema';
import { startTwin, type Twin } from '@/e2e/notion-twin/index';
import { createConnection } from '@/server/connections/connections';
import { DomainError } from '@/server/errors';
import { Runner } from '@/server/runner/runner';
import { createTestContext, type TestContext } from '@/server/testing/test-context';
import { cancelExport } from './export-control';
import { findBaseline, requestExport, requestSync } from './request-export';

let twin: Twin;
let ctx: TestContext;
let connectionId: string;
beforeAll(async () => {
  twin = await startTwin({ workspace: { seed: 3, pages: 6, databases: 1, rowsPerDatabase: 2, depth: 2, largePages: 0 } });
});
afterAll(async () => {
  await twin.close();
});
beforeEach(async () => {
  ctx = await createTestContext();
  connectionId = (await createConnection(ctx, { token: 'secret_twin', baseUrl: twin.url })).id;
});
afterEach(async () => {
  await ctx.cleanup();
});

const rowOf = async (id: string) => (await ctx.database.db.select().from(exports).where(eq(exports.id, id)))[0]!;
const runAll = async () => {
  const runner = new Runner(ctx, { concurrency: 4 });
  while ((await runner.runOnce()) !== undefined) {}
};

describe('requestSync', () => {
  it('without a finished export is a full export into a new folder, with its trigger', async () => {
    const { exportId, baselineExportId } = await requestSync(ctx, { connectionId, trigger: 'schedule' });
    expect(baselineExportId).toBeNull();
    const row = await rowOf(exportId);
    expect(row).toMatchObject({ mode: 'full', baselineExportId: null, trigger: 'schedule', status: 'queued' });
    expect(row.outDir).toBe(path.join(ctx.config.exportsDir, exportId));
  });

  it('after a finished export is a sync from it into a new snapshot folder', async () => {
    const first = await requestSync(ctx, { connectionId, trigger: 'manual', requestedByUser: 'ann@example.com' });
    await runAll();
    expect((await rowOf(first.exportId)).status).toMatch(/^completed/);
    const second = await requestSync(ctx, { connectionId, trigger: 'webhook' });
    expect(second.baselineExportId).toBe(first.exportId);
    const row = await rowOf(second.exportId);
    expect(row).toMatchObject({ mode: 'sync', baselineExportId: first.exportId, trigger: 'webhook' });
    expect(row.outDir).not.toBe((await rowOf(first.exportId)).outDir);
  });

  it('refuses while an export of the connection is queued', async () => {
    await requestExport(ctx, { connectionId, requestedBy: 'dashboard' });
    await expect(requestSync(ctx, { connectionId, trigger: 'manual' })).rejects.toThrow(DomainError);
    await expect(requestSync(ctx, { connectionId, trigger: 'manual' })).rejects.toThrow(/already queued or running/);
  });

  it('of two requests at the same moment, one becomes a sync and the other is refused (the check is in the request’s transaction)', async () => {
    const first = await requestSync(ctx, { connectionId, trigger: 'manual' });
    await runAll();
    for (let round = 0; round < 3; round++) {
      const settled = await Promise.allSettled([
        requestSync(ctx, { connectionId, trigger: 'schedule' }),
        requestSync(ctx, { connectionId, trigger: 'manual' }),
      ]);
      const made = settled.filter((s) => s.status === 'fulfilled');
      const refused = settled.flatMap((s) => (s.status === 'rejected' ? [s.reason] : []));
      expect(made).toHaveLength(1);
      expect(refused).toEqual([expect.objectContaining({ code: 'CONFLICT' })]);
      const queued = await ctx.database.db.select().from(exports).where(eq(exports.status, 'queued'));
      expect(queued.map((r) => r.baselineExportId)).toEqual([first.exportId]);
      await cancelExport(ctx, (made[0] as PromiseFulfilledResult<{ exportId: string }>).value.exportId, 'next round');
    }
  });

  it('refuses a connection that does not exist', async () => {
    await expect(requestSync(ctx, { connectionId: 'nope', trigger: 'manual' })).rejects.toThrow(/does not exist/);
  });

  it('in place: the baseline is the last export into that folder, when it finished and is this connection’s', async () => {
    const outDir = path.join(ctx.dir, 'mirror');
    expect(await findBaseline(ctx, connectionId, outDir)).toBeUndefined();
    const first = await requestSync(ctx, { connectionId, trigger: 'cli', outDir });
    expect(first.baselineExportId).toBeNull();
    await runAll();
    const second = await requestSync(ctx, { connectionId, trigger: 'cli', outDir });
    expect(second.baselineExportId).toBe(first.exportId);
    expect((await rowOf(second.exportId)).outDir).toBe(outDir);
  });

  it('skips a baseline whose folder is gone or was written again by a later export', async () => {
    const outDir = path.join(ctx.dir, 'mirror');
    const a = await requestSync(ctx, { connectionId, trigger: 'manual' });
    await runAll();
    const b = await requestSync(ctx, { connectionId, trigger: 'cli', outDir });
    await runAll();
    // b is the newest; a snapshot sync starts from it.
    expect(await findBaseline(ctx, connectionId)).toBe(b.exportId);
    fs.rmSync(outDir, { recursive: true });
    expect(await findBaseline(ctx, connectionId)).toBe(a.exportId);
    expect(await findBaseline(ctx, connectionId, outDir)).toBeUndefined();
    fs.rmSync((await rowOf(a.exportId)).outDir, { recursive: true });
    expect(await findBaseline(ctx, connectionId)).toBeUndefined();
  });
});
