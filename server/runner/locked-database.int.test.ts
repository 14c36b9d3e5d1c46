import { spawn } from 'node:child_process';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTwin, type Twin } from '@/e2e/notion-twin';
import { createCaller } from '@/server/api/root';
import { createConnection } from '@/server/connections/connections';
import { requestExport } from '@/server/export/control/request-export';
import { verifyManifest } from '@/server/export/files/manifest';
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
      const holder = spawn(
        process.execPath,
        ['--import', 'tsx', 'db/testing/hold-write-lock.ts', ctx.config.databaseUrl, '2500', '3', '800'],
        { stdio: ['ignore', 'pipe', 'inherit'] },
      );
      let held = '';
      holder.stdout!.on('data', (d) => {
        held += String(d);
      });
      const holderDone = new Promise<number | null>((resolve) => holder.on('exit', resolve));
      await new Promise<void>((resolve) => {
        const timer = setInterval(() => {
          if (held.includes('locked 1')) {
            clearInterval(timer);
            resolve();
          }
        }, 10);
      });

      const delay = monitorEventLoopDelay({ resolution: 10 });
      delay.enable();
      const caller = createCaller({ app: ctx });
      const dashboard = (async () => {
        let reads = 0;
        while (!held.includes('done')) {
          const row = await caller.exports.get({ id: exportId });
          expect(row.id).toBe(exportId);
          reads++;
          await new Promise((r) => setTimeout(r, 100));
        }
        return reads;
      })();
      const outcome = await new Runner(ctx).runOnce();
      const reads = await dashboard;
      delay.disable();
      expect(await holderDone).toBe(0);
      expect(held.match(/released/g)).toHaveLength(3);
      expect(outcome).toBe('completed');
      expect(reads).toBeGreaterThan(5);
      // SQLite waits in short slices: the event loop is never blocked for long.
      expect(delay.max / 1e6).toBeLessThan(1000);
      const row = await caller.exports.get({ id: exportId });
      expect(row.pagesDone).toBe(twin.workspace.allPages().length + twin.workspace.allDatabases().length);
      expect(await verifyManifest(row.outDir)).toMatchObject({ missing: [], changed: [], extra: [] });
    } finally {
      await ctx.cleanup();
    }
  });
});
