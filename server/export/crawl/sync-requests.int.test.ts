/**
 * What exports and syncs cost in Notion requests, counted by the twin per endpoint: a full export
 * of a small workspace stays within 5 % of the fewest requests it needs (bench/workspace-minimum.ts,
 * the benchmark's own measure), a sync of an unchanged workspace reads the listing only, and a
 * page moved with its children (sync.int.test.ts) moves their files without reading the children again.
 */
import { eq } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { workspaceMinimum } from '@/bench/workspace-minimum';
import { exports } from '@/db/schema';
import type { Twin } from '@/e2e/notion-twin/index';
import { requestSync } from '@/server/export/control/request-export';
import type { TestContext } from '@/server/testing/test-context';
import { openTwinConnection, runQueuedExports } from '@/server/testing/twin-connection';

/** About 100 items: pages, rows of three data sources (one database has two), a page in the trash, one not shared. */
const WORKSPACE = { seed: 11, pages: 50, databases: 2, rowsPerDatabase: 15, depth: 3, largePages: 0, trashedPages: 2, unsharedPages: 1 };

let twin: Twin;
let ctx: TestContext;
let connectionId: string;
let close: (() => Promise<void>) | undefined;

beforeAll(async () => {
  ({ twin, ctx, connectionId, close } = await openTwinConnection({ workspace: WORKSPACE }));
});
afterAll(() => close?.());

/** Requests a sync (a full export the first time), runs it to its end; the twin's counts of it alone. */
async function syncCounted(): Promise<{ exportId: string; outDir: string; status: string; requests: number; byEndpoint: Record<string, number> }> {
  twin.resetStats();
  const { exportId } = await requestSync(ctx, { connectionId, trigger: 'manual' });
  await runQueuedExports(ctx);
  const [row] = await ctx.database.db.select().from(exports).where(eq(exports.id, exportId));
  const stats = twin.stats();
  return { exportId, outDir: row!.outDir, status: row!.status, requests: stats.requests, byEndpoint: { ...stats.byEndpoint } };
}

describe('requests of exports and syncs, counted by the twin', () => {
  let full: Awaited<ReturnType<typeof syncCounted>>;

  beforeAll(async () => {
    full = await syncCounted();
  }, 120_000);

  it('a full export of about 100 items costs at most 1.05 × the minimum the benchmark computes', () => {
    const minimum = workspaceMinimum(twin.workspace);
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
    expect(unchanged.byEndpoint).toEqual({ search: Math.ceil(twin.workspace.searchItems().length / 100) });
  });

  it('a sync after a row’s edit reads the listing, the row and its database, the schema as search gave it', async () => {
    const database = twin.workspace.allDatabases().find((d) => d.dataSources.length === 1 && d.rowIds.length > 2)!;
    const row = database.rowIds[2]!;
    twin.workspace.editProperty(row);
    const edited = await syncCounted();
    // Its CSV is written again with every row complete: the rows' cut properties are read again.
    const { 'pages.properties.retrieve': properties = 0, 'users.list': _people, 'blocks.children.list': listings = 0, ...rest } = edited.byEndpoint;
    expect(rest).toEqual({ search: Math.ceil(twin.workspace.searchItems().length / 100), 'databases.retrieve': 1, 'dataSources.query': 1 });
    // The row's own blocks only (its body, and the children of its blocks that have some).
    expect(listings).toBeGreaterThanOrEqual(1);
    expect(listings).toBeLessThanOrEqual(3);
    expect(properties).toBeLessThanOrEqual(full.byEndpoint['pages.properties.retrieve'] ?? 0);
    expect(twin.stats().byId[row]).toBeGreaterThan(0);
  });
});
