/**
 * SQLITE_BUSY across processes: another process holds the write lock (BEGIN IMMEDIATE) while
 * this one keeps writing in transactions and reading. Shorter than the busy timeout: nothing
 * fails and the event loop keeps turning. Longer: the operation fails with a clear error, the
 * work is rolled back, the mutex is free, and the next operation after the lock is gone works.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { createClient } from '@libsql/client';
import { sql } from 'drizzle-orm';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { configureDatabase, type Database, openDatabase, PAGE_CACHE_KIB } from './client';
import { DatabaseBusyError } from './serialized-client';

interface Holder {
  child: ChildProcess;
  /** Resolves when the holder printed `line` (e.g. `locked 1`). */
  seen(line: string): Promise<number>;
  exited: Promise<number | null>;
}

/** Spawns db/testing/hold-write-lock.ts in its own Node process. */
function spawnHolder(url: string, holdMs: number, times: number, gapMs: number): Holder {
  const child = spawn(
    process.execPath,
    ['--import', 'tsx', 'db/testing/hold-write-lock.ts', url, String(holdMs), String(times), String(gapMs)],
    { cwd: process.cwd(), stdio: ['ignore', 'pipe', 'pipe'] },
  );
  const lines: string[] = [];
  const waiters: { prefix: string; resolve: (at: number) => void }[] = [];
  let stderr = '';
  let buffer = '';
  child.stderr!.on('data', (chunk: Buffer) => {
    stderr += chunk.toString();
  });
  child.stdout!.on('data', (chunk: Buffer) => {
    buffer += chunk.toString();
    const parts = buffer.split('\n');
    buffer = parts.pop()!;
    for (const line of parts) {
      lines.push(line);
      for (const waiter of waiters.filter((w) => line.startsWith(w.prefix))) waiter.resolve(Date.now());
    }
  });
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  return {
    child,
    exited: exited.then((code) => {
      if (code !== 0) throw new Error(`lock holder exited with ${code}: ${stderr}`);
      return code;
    }),
    seen: (prefix) =>
      lines.some((l) => l.startsWith(prefix))
        ? Promise.resolve(Date.now())
        : new Promise<number>((resolve, reject) => {
            waiters.push({ prefix, resolve });
            void exited.then(() => reject(new Error(`lock holder exited before "${prefix}": ${stderr}`)));
          }),
  };
}

let dir: string;
let url: string;
let database: Database;
const holders: Holder[] = [];

beforeEach(async () => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'busy-'));
  url = `file:${path.join(dir, 'busy.db')}`;
  const setup = openDatabase(url);
  await configureDatabase(setup);
  await setup.client.executeMultiple(
    'create table entries (id integer primary key, n integer not null); create table lock_holder (n integer not null, pid integer not null);',
  );
  setup.close();
});

afterEach(() => {
  for (const holder of holders.splice(0)) holder.child.kill();
  database?.close();
  fs.rmSync(dir, { recursive: true, force: true });
});

const count = async (table: string) =>
  Number((await database.client.execute(`select count(*) as n from ${table}`)).rows[0]!.n);

describe('SQLITE_BUSY from another process', () => {
  it('loses nothing while another process holds the write lock for less than the busy timeout', async () => {
    const busy: number[] = [];
    database = openDatabase(url, undefined, { onBusy: (event) => busy.push(event.attempt) });
    const holder = spawnHolder(url, 2500, 3, 400);
    holders.push(holder);
    await holder.seen('locked 1');

    const loop = monitorEventLoopDelay({ resolution: 10 });
    loop.enable();
    let finished = false;
    void holder.exited.finally(() => {
      finished = true;
    });
    let written = 0;
    let reads = 0;
    let slowest = 0;
    while (!finished) {
      const started = Date.now();
      await database.db.transaction(async (tx) => {
        await tx.run(sql`insert into entries (n) values (${written + 1})`);
      });
      slowest = Math.max(slowest, Date.now() - started);
      written += 1;
      expect(await count('entries')).toBe(written);
      reads += 1;
      await database.client.batch([{ sql: 'select 1', args: [] }], 'read');
      // Let timers run between operations, as a server's request handling would.
      await new Promise((resolve) => setImmediate(resolve));
    }
    loop.disable();
    await holder.exited;

    expect(written).toBeGreaterThan(3);
    expect(reads).toBe(written);
    // Some writes waited most of a hold (2.5 s) without failing ...
    expect(slowest).toBeGreaterThan(1500);
    expect(busy.length).toBeGreaterThan(10);
    // ... in short blocking slices (100 ms), so the event loop kept turning.
    expect(loop.max / 1e6).toBeLessThan(400);
    expect(await count('lock_holder')).toBe(3);
  });

  it('fails cleanly when the lock is held longer than the busy timeout, and recovers at once', async () => {
    database = openDatabase(url, undefined, { busyTimeoutMs: 500 });
    await database.db.run(sql`insert into entries (n) values (0)`);
    const holder = spawnHolder(url, 3000, 1, 0);
    holders.push(holder);
    await holder.seen('locked 1');

    // A drizzle transaction: BEGIN IMMEDIATE is retried for 500 ms, then gives up.
    const started = Date.now();
    const txError = await database.db
      .transaction(async (tx) => {
        await tx.run(sql`insert into entries (n) values (1)`);
      })
      .catch((e: unknown) => e);
    const elapsed = Date.now() - started;
    expect(txError).toBeInstanceOf(DatabaseBusyError);
    expect(txError).toMatchObject({ code: 'SQLITE_BUSY', operation: 'BEGIN' });
    expect((txError as Error).message).toMatch(
      /^SQLITE_BUSY: The database is locked by another process: BEGIN waited \d+ ms \(\d+ attempts\) for the lock and gave up; the transaction did not start\./,
    );
    expect(elapsed).toBeGreaterThanOrEqual(450);
    expect(elapsed).toBeLessThan(1200);

    // The mutex is free: a plain statement and a batch get their own turn (and fail the same way) ...
    const statementError = await database.client.execute('insert into entries (n) values (2)').catch((e: unknown) => e);
    expect(statementError).toMatchObject({ name: 'DatabaseBusyError', operation: 'statement' });
    const batchError = await database.client
      .batch([{ sql: 'insert into entries (n) values (3)', args: [] }], 'write')
      .catch((e: unknown) => e);
    expect(batchError).toMatchObject({ name: 'DatabaseBusyError', operation: 'batch' });
    // ... and reads still work in WAL mode while the other process writes.
    expect(await count('entries')).toBe(1);

    await holder.seen('released 1');
    await holder.exited;

    // The very next operation succeeds, and it is really committed: no leftover BEGIN, no
    // statement left in progress on a poisoned connection.
    await database.db.transaction(async (tx) => {
      await tx.run(sql`insert into entries (n) values (4)`);
    });
    await database.client.execute('insert into entries (n) values (5)');
    const other = createClient({ url, timeout: 50 });
    try {
      const tx = await other.transaction('write'); // would time out if this process still held the lock
      await tx.rollback();
      const rows = await other.execute('select n from entries order by id');
      expect(rows.rows.map((r) => Number(r.n))).toEqual([0, 4, 5]);
      expect(Number((await other.execute('select count(*) as n from lock_holder')).rows[0]!.n)).toBe(1);
    } finally {
      other.close();
    }
    // The replaced connection got its settings back.
    expect(Number((await database.client.execute('PRAGMA foreign_keys')).rows[0]![0])).toBe(1);
    expect(Number((await database.client.execute('PRAGMA cache_size')).rows[0]![0])).toBe(-PAGE_CACHE_KIB);
  });
});
