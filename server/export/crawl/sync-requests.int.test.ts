
import { beforeAll, describe, expect, it } from 'vitest';
import { workspaceMinimum } from '@/bench/workspace-minimum';
import { requestSync } from '@/server/export/control/request-export';
import { runQueuedExports, sharedTwinConnection } from '@/server/testing/twin-connection';

/** About 100 items: pages, rows of three data sources (one database has two), a page in the trash, one not shared. */
const WORKSPACE = { seed: 11, pages: 50, databases: 2, rowsPerDatabase: 15, depth: 3, largePages: 0, trashedPages: 2, unsharedPages: 1 };

const conn = sharedTwinConnection({ workspace: WORKSPACE });

/** Requests a sync (a full export the first time), runs it to its end; the twin's counts of it alone. */
async function syncCounted(): Promise<{ exportId: string; outDir: string; status: string; requests: number; byEndpoint: Record<string, number> }> {
  conn.twin.resetStats();
  const { exportId } = await requestSync(conn.ctx, { connectionId: conn.connectionId, trigger: 'manual' });
  await runQueuedExports(conn.ctx);
  const row = await conn.exportRowOf(exportId);
  const stats = conn.twin.stats();
  return { exportId, outDir: row.outDir, status: row.status, requests: stats.requests, byEndpoint: { ...stats.byEndpoint } };
}

describe('requests of exports and syncs, counted by the twin', () => {
  let full: Awaited<ReturnType<typeof syncCounted>>;

  beforeAll(async () => {
    full = await syncCounted();
  }, 120_000);

  it('a full export of about 100 items costs at most 1.05 × the minimum the benchmark computes', () => {
    const minimum = workspaceMinimum(conn.twin.workspace);
    expect(minimum.counts.pages + minimum.counts.dataSources).toBeGreaterThan(90);
    expect(full.status).toBe('completed_with_errors'); // the page that is not shared
    expect(full.requests).toBeLessThanOrEqual(Math.floor(minimum.total * 1.05));
    // Search already described every data source with its schema; rows read with their data
    // source are not completed a second time as pages.
    expect(full.byEndpoint['dataSources.retrieve'] ?? 0).toBe(0);
    expect(full.byEndpoint['pages.properties.retrieve']).toBe(minimum.byEndpoint['pages.properties.retrieve']);
    expect(full.byEndpoint['blocks.children.list']).toBe(minimum.byEndpoint['blocks.children.list']);
    expect(full.byEndpoint['dataSources.query']).toBe(minimum.byEndpoint['dataSources.query']);
  });

  it('a sync of the unchanged workspace reads the listing only: one search page per 100 results', async () => {
    const unchanged = await syncCounted();
    expect(unchanged.status).toBe('completed_with_errors');
    expect(unchanged.byEndpoint).toEqual({ search: Math.ceil(conn.twin.workspace.searchItems().length / 100) });
  });

  it('a sync after a row’s edit reads the listing, the row and its database, the schema as search gave it', async () => {
    const database = conn.twin.workspace.allDatabases().find((d) => d.dataSources.length === 1 && d.rowIds.length > 2)!;
    const row = database.rowIds[2]!;
    conn.twin.workspace.editProperty(row);
    const edited = await syncCounted();
    // Its CSV is written again with every row complete: the rows' cut properties are read again.
    const { 'pages.properties.retrieve': properties = 0, 'users.list': _people, 'blocks.children.list': listings = 0, ...rest } = edited.byEndpoint;
    expect(rest).toEqual({ search: Math.ceil(conn.twin.workspace.searchItems().length / 100), 'databases.retrieve': 1, 'dataSources.query': 1 });
    // The row's own blocks only (its body, and the children of its blocks that have some).
    expect(listings).toBeGreaterThanOrEqual(1);
    expect(listings).toBeLessThanOrEqual(3);
    expect(properties).toBeLessThanOrEqual(full.byEndpoint['pages.properties.retrieve'] ?? 0);
    expect(conn.twin.stats().byId[row]).toBeGreaterThan(0);
  });
});
