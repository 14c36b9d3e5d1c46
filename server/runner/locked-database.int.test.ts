import { monitorEventLoopDelay } from 'node:perf_hooks';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTwin, type Twin } from '@/e2e/notion-twin';
import { callerAs } from '@/server/testing/call-as';
import { createConnection } from '@/server/connections/connections';
import { requestExport } from '@/server/export/control/request-export';
import { verifyManifest } from '@/server/export/files/manifest';
import { spawnScript } from '@/server/testing/export-checks';
import { createTestContext } from '@/server/testing/test-context';
import { Runner } from './runner';

let twin: Twin;
beforeAll(async () => {
  twin = await startTwin({
    workspace: { seed: 41, pages: 80, databases: 1, rowsPerDatabase: 5, linkedDatabases: 0 },
    latencyMs: [20, 40],
  });
});
afterAll(async () => {
  await twin.close();
});

describe('another process holding the write lock for seconds at a time', () => {
  it('neither freezes the server nor breaks the export or the dashboard', async () => {
    const ctx = await createTestContext();
    try {
      const connection = await createConnection(ctx, { token: 'secret_twin', baseUrl: twin.url });
      const exportId = await requestExport(ctx, { connectionId: connection.id, formats: ['json'], requestedBy: 'dashboard' });
      // 3 holds of 2.5 s, 0.8 s apart, while the export and the dashboard run.
      const holder = spawnScript('db/testing/hold-write-lock.ts', [ctx.config.databaseUrl, '2500', '3', '800'], {});
      await holder.line((l) => l.startsWith('locked 1 '), 'the first hold', { stream: 'stdout' });

      const delay = monitorEventLoopDelay({ resolution: 10 });
      delay.enable();
      // The dashboard reads the export whenever it changes (as the export page does from its
      // live feed), and whenever the other process takes or lets go of the lock.
      const caller = callerAs(ctx, 'admin');
      let reads = 0;
      let readsWhileLocked = 0;
      let reading = Promise.resolve();
      const read = (whileLocked = false) => {
        reading = reading.then(async () => {
          const row = await caller.exports.get({ id: exportId });
          expect(row.id).toBe(exportId);
          reads++;
          if (whileLocked) readsWhileLocked++;
        });
      };
      const stopReading = [
        ctx.feed.subscribe(() => read()),
        holder.onLine((l) => read(l.startsWith('locked ')), 'stdout'),
      ];
      read(true);
      const outcome = await new Runner(ctx).runOnce();
      const held = await holder.done;
      for (const stop of stopReading) stop();
      await reading;
      delay.disable();
      expect(held.code, held.stderr).toBe(0);
      expect(held.stdout.match(/released/g)).toHaveLength(3);
      expect(outcome).toBe('completed');
      expect(reads).toBeGreaterThan(5);
      expect(readsWhileLocked).toBeGreaterThanOrEqual(2);
      // SQLite waits in short slices: the event loop is never blocked for long.
      expect(delay.max / 1e6).toBeLessThan(1000);
      const row = await caller.exports.get({ id: exportId });
      expect(row.pagesDone).toBe(twin.workspace.allPages().length + twin.workspace.allDatabases().length);
      expect(row.outDir).toEqual(expect.any(String));
      expect(await verifyManifest(row.outDir ?? '')).toMatchObject({ missing: [], changed: [], extra: [] });
    } finally {
      await ctx.cleanup();
    }
  });
});
