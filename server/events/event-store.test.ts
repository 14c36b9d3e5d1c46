import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { createInterface } from 'node:readline';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { exportItems, exports } from '@/db/schema';
import { BUSY_WAIT_SLICE_MS } from '@/db/client';
import { PROJECTIONS } from '@/server/context';
import { createTestContext, type TestContext } from '@/server/testing/test-context';
import { ConcurrencyError, EventStore, type RecordedEvent } from './event-store';
import { rebuildExportReadModels } from '@/server/testing/read-models';

let ctx: TestContext;
beforeEach(async () => {
  ctx = await createTestContext();
});
afterEach(async () => {
  await ctx.cleanup();
});

const ev = (n: number) => ({ type: 'Noted', data: { n } });

describe('libSQL event store', () => {
  it('appends with an expected version and reads the stream back in order', async () => {
    const first = await ctx.store.append('s-1', 0, [ev(1), ev(2)]);
    expect(first.nextVersion).toBe(2);
    const second = await ctx.store.append('s-1', 2, [ev(3)]);
    expect(second.nextVersion).toBe(3);
    const read = await ctx.store.readStream('s-1');
    expect(read.map((e) => e.data)).toEqual([{ n: 1 }, { n: 2 }, { n: 3 }]);
    expect(read.map((e) => e.streamVersion)).toEqual([1, 2, 3]);
    expect(await ctx.store.streamVersion('s-1')).toBe(3);
    expect(await ctx.store.streamVersion('none')).toBe(0);
  });

  it('rejects an append at a stale version with a typed conflict', async () => {
    await ctx.store.append('s-1', 0, [ev(1)]);
    const error = await ctx.store.append('s-1', 0, [ev(2)]).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ConcurrencyError);
    expect((error as ConcurrencyError).actual).toBe(1);
    await expect(ctx.store.append('s-1', 'any', [ev(2)])).resolves.toMatchObject({ nextVersion: 2 });
    await expect(ctx.store.append('s-1', 0, [])).rejects.toThrow(/at least one event/);
  });

  it('lets exactly one of several concurrent appenders win, within a process', async () => {
    await ctx.store.append('race', 0, [ev(0)]);
    const results = await Promise.allSettled(Array.from({ length: 5 }, (_, i) => ctx.store.append('race', 1, [ev(i + 1)])));
    expect(results.filter((r) => r.status === 'fulfilled')).toHaveLength(1);
    for (const r of results.filter((r) => r.status === 'rejected')) {
      expect((r as PromiseRejectedResult).reason).toBeInstanceOf(ConcurrencyError);
    }
    expect(await ctx.store.readStream('race')).toHaveLength(2);
  });

  it('lets exactly one of three appenders in separate processes win', async () => {
    await ctx.store.append('race', 0, [ev(0)]);
    // Three real processes, released together once all three are ready (a latch, not a clock).
    const racers = Array.from({ length: 3 }, () =>
      spawn(process.execPath, ['--import', 'tsx', 'server/testing/append-race.ts', ctx.config.databaseUrl, 'race', '1']),
    );
    const lines = racers.map((child) => {
      const out = createInterface({ input: child.stdout })[Symbol.asyncIterator]();
      return async () => String((await out.next()).value ?? '').trim();
    });
    expect(await Promise.all(lines.map((next) => next()))).toEqual(['ready', 'ready', 'ready']);
    for (const child of racers) child.stdin.write('go\n');
    const outcomes = (await Promise.all(lines.map((next) => next()))).sort();
    await Promise.all(racers.map((child) => (child.exitCode === null ? once(child, 'exit') : undefined)));
    expect(outcomes).toEqual(['conflict', 'conflict', 'won']);
    expect(await ctx.store.readStream('race')).toHaveLength(2);
  });

  it('treats a retried append with the same event ids as done (lost acknowledgement)', async () => {
    const batch = [
      { ...ev(1), eventId: 'id-1' },
      { ...ev(2), eventId: 'id-2' },
    ];
    const first = await ctx.store.append('s-2', 0, batch);
    const retry = await ctx.store.append('s-2', 0, batch);
    expect(retry.nextVersion).toBe(first.nextVersion);
    expect(await ctx.store.readStream('s-2')).toHaveLength(2);
    // Also when the stream moved on since: the stored events are the answer, nothing is added.
    await ctx.store.append('s-2', 2, [ev(3)]);
    await expect(ctx.store.append('s-2', 0, batch)).resolves.toMatchObject({ nextVersion: 2 });
    expect(await ctx.store.readStream('s-2')).toHaveLength(3);
  });

  it('reads everything after a global position across streams, and publishes commits', async () => {
    const seen: RecordedEvent[][] = [];
    const unsubscribe = ctx.feed.subscribe((events) => seen.push(events));
    await ctx.store.append('a', 0, [ev(1)]);
    const b = await ctx.store.append('b', 0, [ev(2), ev(3)]);
    unsubscribe();
    await ctx.store.append('a', 1, [ev(4)]);
    expect(seen.map((batch) => batch.length)).toEqual([1, 2]);
    const all = await ctx.store.readAll(0);
    expect(all.map((e) => e.streamId)).toEqual(['a', 'b', 'b', 'a']);
    const after = await ctx.store.readAll(b.recorded[0]!.globalPosition);
    expect(after.map((e) => (e.data as { n: number }).n)).toEqual([3, 4]);
    expect(await ctx.store.readStreamAfter('a', all[0]!.globalPosition)).toHaveLength(1);
    expect(await ctx.store.readStream('b', 2)).toHaveLength(1);
  });

  it('rolls the append back when a projection fails', async () => {
    const failing = new EventStore(ctx.database.db, {
      projections: [
        {
          name: 'broken',
          canHandle: ['Noted'],
          apply: async () => {
            throw new Error('projection broke');
          },
        },
      ],
    });
    await expect(failing.append('s-3', 0, [ev(1)])).rejects.toThrow('projection broke');
    expect(await ctx.store.readStream('s-3')).toHaveLength(0);
  });

  it('pins WAL, a busy timeout and foreign keys on the connection', async () => {
    const mode = await ctx.database.client.execute('PRAGMA journal_mode');
    expect(String(mode.rows[0]![0])).toBe('wal');
    const fk = await ctx.database.client.execute('PRAGMA foreign_keys');
    expect(Number(fk.rows[0]![0])).toBe(1);
    // SQLite waits in short slices; the client retries them up to BUSY_TIMEOUT_MS (db/client.ts).
    const busy = await ctx.database.client.execute('PRAGMA busy_timeout');
    expect(Number(busy.rows[0]![0])).toBe(BUSY_WAIT_SLICE_MS);
    // Foreign keys are enforced inside transactions too: an export row needs its connection.
    await expect(
      ctx.database.db.transaction(async (tx) => {
        await tx.insert(exports).values({
          id: 'x',
          connectionId: 'missing',
          status: 'queued',
          phase: 'queued',
          formats: [],
          outDir: '/x',
          requestedAt: new Date(),
          streamVersion: 1,
          lastPosition: 1,
        });
      }),
    ).rejects.toSatisfy((e: Error) => /FOREIGN KEY/i.test(String(e.cause ?? e)));
  });

  it('rebuilds the read models from the log to the same state', async () => {
    const item = { id: 'p1', kind: 'page', title: 'P', parentId: null, dir: '', status: 'pending' };
    await ctx.database.client.execute(
      "insert into connections (id, name, token_ciphertext, token_hash, token_hint, created_at) values ('c1','c','x','h','…1',0)",
    );
    await ctx.store.append('export-e1', 0, [
      {
        type: 'ExportRequested',
        data: { exportId: 'e1', connectionId: 'c1', formats: ['json'], outDir: '/o', requestedBy: 'cli' },
      },
      { type: 'ExportStarted', data: { attempt: 1, runner: 'r' } },
      { type: 'ItemsDiscovered', data: { items: [item, { ...item, id: 'p2' }] } },
      {
        type: 'PagesExported',
        data: {
          items: [{ id: 'p1', files: [{ path: 'P.json', bytes: 2, sha256: 'a'.repeat(64), sourceId: 'p1' }] }],
          stats: { requests: 4, rateLimited: 1, retries: 0 },
        },
      },
    ]);
    const live = { exports: await ctx.database.db.select().from(exports), items: await ctx.database.db.select().from(exportItems) };
    expect(live.exports[0]).toMatchObject({ status: 'running', pagesDiscovered: 2, pagesDone: 1, requests: 4, filesWritten: 1 });
    const count = await rebuildExportReadModels(ctx.store);
    expect(count).toBe(4);
    const rebuilt = { exports: await ctx.database.db.select().from(exports), items: await ctx.database.db.select().from(exportItems) };
    expect(rebuilt).toEqual(live);
    expect(PROJECTIONS.map((p) => p.name)).toContain('exports');
  });
});
