import os from 'node:os';
import { eq } from 'drizzle-orm';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { exportJobs } from '@/db/schema';
import { startTwin, type Twin } from '@/e2e/notion-twin';
import { createConnection } from '@/server/connections/connections';
import { type AppContext, createAppContext } from '@/server/context';
import { requestExport } from '@/server/export/control/request-export';
import { exportStreamId } from '@/server/export/domain/export';
import { LiveFeed } from '@/server/events/live-feed';
import { manualClock } from '@/server/testing/fake-clock';
import { createTestContext, type TestContext } from '@/server/testing/test-context';
import { claimNext } from './job-queue';
import { ownerProcessGone, Runner } from './runner';

/**
 * RUNNER_ID: two runners on one machine and one database, as two processes would be (two app
 * contexts on one database file). A runner of the default form (`host:pid`) on this host whose
 * process is gone has its export taken at once; a named runner must behave as a machine of its
 * own: it neither takes an export early that way nor has its own taken early.
 */

const LEASE_MS = 60_000;
/** A runner of this host, of the default form, whose process no longer exists (killed with -9). */
const CRASHED_LOCAL_OWNER = `${os.hostname()}:999999999:deadbeef`;

let twin: Twin;
beforeAll(async () => {
  twin = await startTwin({ workspace: { seed: 61, pages: 3, databases: 0, linkedDatabases: 0, largePages: 0, depth: 1, blocksPerPage: 2, manyRelationRefs: 0, manyMentionRefs: 0 } });
});
afterAll(async () => {
  await twin.close();
});

let unnamed: TestContext;
let named: AppContext;
let exportId: string;
beforeEach(async () => {
  unnamed = await createTestContext();
  // The same database file, another "process" whose RUNNER_ID is worker-b.
  named = await createAppContext({ ...unnamed.config, runnerId: 'worker-b' }, new LiveFeed());
  const connection = await createConnection(unnamed, { token: 'secret_twin', baseUrl: twin.url });
  exportId = await requestExport(unnamed, { connectionId: connection.id, formats: ['json'], requestedBy: 'dashboard' });
});
afterEach(async () => {
  named.database.close();
  await unnamed.cleanup();
});

const leaseOwner = async () => (await unnamed.database.db.select().from(exportJobs).where(eq(exportJobs.exportId, exportId)))[0]?.leaseOwner;
const runnersOfStream = async () =>
  [...new Set((await unnamed.store.readStream(exportStreamId(exportId))).map((e) => (e.metadata as { runner?: string }).runner).filter(Boolean))];

/** The export claimed by a local runner that then died without giving it back. */
async function crashedLocalRunnerHoldsIt(now: number): Promise<void> {
  expect(await claimNext(unnamed.database.db, { owner: CRASHED_LOCAL_OWNER, leaseMs: LEASE_MS, now })).toMatchObject({ exportId });
}

describe('RUNNER_ID', () => {
  it('names the runner: its owner and every event it records start with the name', async () => {
    const runner = new Runner(named, { leaseMs: LEASE_MS });
    expect(runner.owner).toMatch(/^worker-b:[0-9a-f]{8}$/);
    expect(new Runner(unnamed).owner).toMatch(new RegExp(`^${os.hostname().replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}:${process.pid}:[0-9a-f]{8}$`));
    expect(await runner.runOnce()).toBe('completed');
    expect(await runnersOfStream()).toEqual([runner.owner]);
  });

  it('without it, a runner takes the export of a crashed local runner at once (the process is known to be gone)', async () => {
    const clock = manualClock();
    await crashedLocalRunnerHoldsIt(clock.now());
    const local = new Runner(unnamed, { leaseMs: LEASE_MS, clock });
    expect(await local.runOnce()).toBe('completed');
  });

  it('a named runner waits for the lease to run out, as a runner on another machine would', async () => {
    const clock = manualClock();
    await crashedLocalRunnerHoldsIt(clock.now());
    const b = new Runner(named, { leaseMs: LEASE_MS, clock });
    expect(await b.runOnce()).toBeUndefined();
    clock.advance(LEASE_MS - 1);
    expect(await b.runOnce()).toBeUndefined();
    expect(await leaseOwner()).toBe(CRASHED_LOCAL_OWNER);
    clock.advance(2);
    expect(await b.runOnce()).toBe('completed');
    expect((await runnersOfStream()).at(-1)).toBe(b.owner);
  });

  it("a named runner's export is never taken early by a runner of the default form on the same machine", async () => {
    const clock = manualClock();
    // worker-b claims it and stops answering (its process is gone, but nothing can tell by its name).
    expect(await claimNext(unnamed.database.db, { owner: 'worker-b:deadbeef', leaseMs: LEASE_MS, now: clock.now(), isOwnerGone: ownerProcessGone })).toBeDefined();
    const local = new Runner(unnamed, { leaseMs: LEASE_MS, clock });
    expect(await local.runOnce()).toBeUndefined();
    clock.advance(LEASE_MS + 1);
    expect(await local.runOnce()).toBe('completed');
  });

  it('only the default form is ever judged by its process id', () => {
    const host = os.hostname();
    expect(ownerProcessGone(`${host}:999999999:x`)).toBe(true);
    // A named runner's owner has two parts, whatever its name.
    expect(ownerProcessGone(`${host}:deadbeef`)).toBe(false);
    expect(ownerProcessGone('worker-b:deadbeef')).toBe(false);
    expect(ownerProcessGone(`${host}:999999999`)).toBe(false);
    expect(ownerProcessGone(`${host}:12ab:x`)).toBe(false);
  });
});
