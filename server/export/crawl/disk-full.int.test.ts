import { eq } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { exports } from '@/db/schema';
import { startTwin, type Twin } from '@/e2e/notion-twin/index';
import { createConnection } from '@/server/connections/connections';
import { Runner } from '@/server/runner/runner';
import { createTestContext } from '@/server/testing/test-context';
import { resumeExport } from '@/server/export/control/export-control';
import { verifyManifest } from '@/server/export/files/manifest';
import { requestExport } from '@/server/export/control/request-export';

// The disk is the one thing stubbed here: after `allowed` writes, every write fails with ENOSPC.
const disk = vi.hoisted(() => ({ allowed: Number.POSITIVE_INFINITY, writes: 0 }));
vi.mock('@/server/export/files/atomic-write', async (importOriginal) => {
  const actual = await importOriginal<typeof import('@/server/export/files/atomic-write')>();
  return {
    ...actual,
    writeFileAtomic: async (absPath: string, data: string | Uint8Array) => {
      if (++disk.writes > disk.allowed) {
        throw Object.assign(new Error(`ENOSPC: no space left on device, write '${absPath}'`), { code: 'ENOSPC' });
      }
      return actual.writeFileAtomic(absPath, data);
    },
  };
});

let twin: Twin;
beforeAll(async () => {
  twin = await startTwin({ workspace: { seed: 31, pages: 40, databases: 1, rowsPerDatabase: 4, linkedDatabases: 0 } });
});
afterAll(async () => {
  await twin.close();
});

describe('a full disk', () => {
  it('pauses the export with a clear message, loses nothing written, and resumes once there is room', async () => {
    const ctx = await createTestContext();
    try {
      const connection = await createConnection(ctx, { token: 'secret_twin', baseUrl: twin.url });
      const exportId = await requestExport(ctx, { connectionId: connection.id, formats: ['json'], requestedBy: 'cli' });
      disk.writes = 0;
      disk.allowed = 20;
      expect(await new Runner(ctx).runOnce()).toBe('paused');
      const [paused] = await ctx.database.db.select().from(exports).where(eq(exports.id, exportId));
      expect(paused!.status).toBe('paused');
      expect(paused!.lastError).toMatch(/disk is full.*nothing written so far is lost/i);
      expect(paused!.pagesDone).toBeGreaterThan(5);
      const doneBefore = paused!.pagesDone;

      disk.allowed = Number.POSITIVE_INFINITY;
      await resumeExport(ctx, exportId, 'a test');
      expect(await new Runner(ctx).runOnce()).toBe('completed');
      const [done] = await ctx.database.db.select().from(exports).where(eq(exports.id, exportId));
      expect(done!.pagesDone).toBeGreaterThan(doneBefore);
      expect(done!.attempt).toBe(1); // a pause is no attempt
      expect(await verifyManifest(done!.outDir)).toMatchObject({ missing: [], changed: [], extra: [] });
    } finally {
      await ctx.cleanup();
    }
  });
});
