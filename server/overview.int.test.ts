import net from 'node:net';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { handle } from '@/server/export/domain/handle';
import { callerAs } from '@/server/testing/call-as';
import { completeTestExport, requestTestExport, seedConnections } from '@/server/testing/seed';
import { createTestContext, type TestContext } from '@/server/testing/test-context';
import { writeRunnerSettings } from '@/server/settings';
import { averageRate, checkDisk, getOverview, LOW_DISK_BYTES, RECENT_FAILURES_MS } from './overview';

const GB = 1024 ** 3;

let ctx: TestContext;
/** A port nothing listens on: the connection that points there fails its check. */
let closedPort: number;

beforeAll(async () => {
  const probe = net.createServer();
  await new Promise<void>((resolve) => probe.listen(0, '127.0.0.1', resolve));
  closedPort = (probe.address() as net.AddressInfo).port;
  await new Promise<void>((resolve) => probe.close(() => resolve()));

  ctx = await createTestContext({ notionRetry: { maxAttempts: 1, baseDelayMs: 1, maxDelayMs: 1, timeoutMs: 5_000 } });
  await seedConnections(ctx, ['c1']);
  await ctx.database.client.execute({
    sql: "insert into connections (id, name, base_url, token_ciphertext, token_hash, token_hint, workspace_name, created_at, checked_at) values ('c2', 'Offline', ?, ?, 'h2', '…', 'Far away', 0, 1000)",
    args: [`http://127.0.0.1:${closedPort}`, ctx.cipher.encrypt('secret_unused')],
  });
  // Running: 1 of 4 pages exported, 42 requests made.
  await requestTestExport(ctx, 'running', 'c1', path.join(ctx.config.exportsDir, 'running'));
  await handle(ctx.store, 'running', { type: 'StartExport', data: { attempt: 1, runner: 'r' } });
  await handle(ctx.store, 'running', { type: 'ChangePhase', data: { phase: 'exporting' } });
  const page = (id: string) => ({ id, kind: 'page' as const, title: id, parentId: null, dir: '', stem: id, status: 'pending' as const });
  await handle(ctx.store, 'running', {
    type: 'RecordProgress',
    data: {
      discovered: ['p1', 'p2', 'p3', 'p4'].map(page),
      exported: [{ id: 'p1', files: [] }],
      failed: [],
      stats: { requests: 42, rateLimited: 0, retries: 0 },
    },
  });
  // Failed, with a path of this machine in its reason.
  await requestTestExport(ctx, 'failed', 'c1', path.join(ctx.config.exportsDir, 'failed'));
  await handle(ctx.store, 'failed', { type: 'StartExport', data: { attempt: 1, runner: 'r' } });
  await handle(ctx.store, 'failed', {
    type: 'FailExport',
    data: { reason: `Cannot write ${ctx.config.exportsDir}/failed/Page.md`, retryable: false, now: new Date(), jitter: 0 },
  });
  // Finished well, and queued behind the running one.
  await requestTestExport(ctx, 'done', 'c1', path.join(ctx.config.exportsDir, 'done'));
  await completeTestExport(ctx, 'done');
  await requestTestExport(ctx, 'waiting', 'c1', path.join(ctx.config.exportsDir, 'waiting'));
  // Its check fails: Notion cannot be reached there.
  expect(await callerAs(ctx, 'operator').connections.test({ id: 'c2' })).toMatchObject({ ok: false, problem: 'unreachable' });
});
afterAll(async () => {
  await ctx.cleanup();
});

describe('overview.get', () => {
  it('shows a viewer the running export with its progress, the recent failure, the budget and the health of everything', async () => {
    const overview = await callerAs(ctx, 'viewer').overview.get();
    expect(overview.running).toEqual([
      {
        id: 'running',
        connectionName: 'n',
        workspaceName: null,
        phase: 'exporting',
        pagesDiscovered: 4,
        pagesDone: 1,
        pagesFailed: 0,
        requests: 42,
        pacedRate: null,
        averageRate: overview.running[0]?.averageRate,
        lastPosition: expect.any(Number),
        startedAt: expect.any(Date),
        requestedByUser: null,
      },
    ]);
    expect(overview.queued).toBe(1);
    expect(overview.budget).toBe(ctx.config.requestsPerSecond);
    expect(overview.recentFailures).toEqual([
      { id: 'failed', connectionName: 'n', failedAt: expect.any(Date), reason: expect.stringContaining('Cannot write …') },
    ]);
    expect(overview.recentFailureCount).toBe(1);

    const { database, disk, connections } = overview.health;
    expect(database).toEqual({ ok: true, latencyMs: expect.any(Number) });
    expect(disk).toEqual({ ok: true, freeBytes: expect.any(Number), totalBytes: expect.any(Number), low: expect.any(Boolean) });
    if (disk.ok) {
      expect(disk.freeBytes).toBeGreaterThan(0);
      expect(disk.totalBytes).toBeGreaterThanOrEqual(disk.freeBytes);
    }
    expect(connections).toEqual([
      { id: 'c1', name: 'n', workspaceName: null, checkedAt: null, lastCheckFailed: false, lastCheckAt: null, problem: null },
      {
        id: 'c2',
        name: 'Offline',
        workspaceName: 'Far away',
        checkedAt: new Date(1000),
        lastCheckFailed: true,
        lastCheckAt: expect.any(Date),
        problem: 'Notion could not be reached',
      },
    ]);
    // Nothing of this machine: no folder, no API address.
    const text = JSON.stringify(overview);
    expect(text).not.toContain(ctx.dir);
    expect(text).not.toContain(String(closedPort));
  });

  it('shows each running export’s request rate over its running time, and the runner’s limits', async () => {
    const later = new Date(Date.now() + 60_000);
    const overview = await getOverview(ctx, { now: later });
    // 42 requests in about a minute of running.
    expect(overview.running[0]!.averageRate).toBeGreaterThan(0.6);
    expect(overview.running[0]!.averageRate).toBeLessThanOrEqual(0.7);
    expect(overview).toMatchObject({ workspaceBudget: null, maxExportsPerRunner: 3 });
    await writeRunnerSettings(ctx.database.db, { workspaceRequestsPerSecond: 5, maxExports: 2 });
    try {
      expect(await callerAs(ctx, 'viewer').overview.get()).toMatchObject({ workspaceBudget: 5, maxExportsPerRunner: 2 });
    } finally {
      await writeRunnerSettings(ctx.database.db, { workspaceRequestsPerSecond: null, maxExports: 3 });
    }
  });

  it('measures a rate over running time only, once a second has passed', () => {
    const now = new Date(100_000);
    expect(averageRate(10, 0, new Date(99_500), now)).toBeNull();
    expect(averageRate(30, 0, new Date(90_000), now)).toBe(3);
    // Earlier runs count with their running time; queued or paused time does not.
    expect(averageRate(30, 5_000, new Date(95_000), now)).toBe(3);
    expect(averageRate(12, 4_000, null, now)).toBe(3);
  });

  it('counts failures of the last 24 hours only', async () => {
    const later = await getOverview(ctx, { now: new Date(Date.now() + RECENT_FAILURES_MS + 60_000) });
    expect(later.recentFailures).toEqual([]);
    expect(later.recentFailureCount).toBe(0);
  });

  it('shows a connection whose check failed as well again once a check succeeds', async () => {
    await ctx.database.client.execute({
      sql: "insert into audit_events (at, action, outcome, target_type, target_id, detail) values (?, 'connection.tested', 'ok', 'connection', 'c2', '{}')",
      args: [Date.now()],
    });
    const c2 = (await getOverview(ctx)).health.connections.find((c) => c.id === 'c2');
    expect(c2).toMatchObject({ lastCheckFailed: false, problem: null });
  });

  it('says the database does not answer when it does not, and still tells the disk', async () => {
    const broken = await createTestContext();
    broken.database.close();
    try {
      const overview = await getOverview(broken);
      expect(overview.health.database).toEqual({ ok: false, error: expect.stringMatching(/^does not answer/) });
      expect(overview.health.disk.ok).toBe(true);
      expect(overview.running).toEqual([]);
    } finally {
      await broken.cleanup();
    }
  });

  it('is refused without a session', async () => {
    const { createCaller } = await import('@/server/api/root');
    await expect(createCaller({ app: ctx }).overview.get()).rejects.toMatchObject({ code: 'UNAUTHORIZED' });
  });
});

describe('the disk of EXPORTS_DIR', () => {
  const disk = (freeGb: number, totalGb: number) => async () => ({ bavail: (freeGb * GB) / 4096, bsize: 4096, blocks: (totalGb * GB) / 4096 });

  it('is low under 1 GB free or under 5 % free, whichever comes first', async () => {
    expect(await checkDisk(ctx.config.exportsDir, disk(0.5, 10))).toEqual({ ok: true, freeBytes: 0.5 * GB, totalBytes: 10 * GB, low: true });
    expect(await checkDisk(ctx.config.exportsDir, disk(2, 10))).toMatchObject({ low: false });
    expect(await checkDisk(ctx.config.exportsDir, disk(4, 100))).toMatchObject({ low: true });
    expect(await checkDisk(ctx.config.exportsDir, disk(6, 100))).toMatchObject({ low: false });
    expect(LOW_DISK_BYTES).toBe(GB);
  });

  it('is measured on the nearest folder that exists (EXPORTS_DIR is made with the first export)', async () => {
    const asked: string[] = [];
    const result = await checkDisk(path.join(ctx.dir, 'not', 'yet'), async (dir) => {
      asked.push(dir);
      return { bavail: 1, bsize: 1, blocks: 1 };
    });
    expect(asked).toEqual([ctx.dir]);
    expect(result.ok).toBe(true);
  });

  it('that cannot be read says so with a code, never the path', async () => {
    const result = await checkDisk(ctx.config.exportsDir, async (dir) => {
      throw Object.assign(new Error(`EACCES: permission denied, statfs '${dir}'`), { code: 'EACCES' });
    });
    expect(result).toEqual({ ok: false, error: 'cannot be read (EACCES)' });
  });
});
