import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { type Client, type InStatement, LibsqlError, type ResultSet, type Transaction } from '@libsql/client';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { configureDatabase, type Database, openDatabase } from './client';
import { type BusyEvent, DatabaseBusyError, isBusyError, Mutex, serializeClient } from './serialized-client';
import { holdWriteLock, main as holdWriterMain } from './testing/hold-write-lock';

let dir: string;
let database: Database;
beforeEach(async () => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'serialized-'));
  database = openDatabase(`file:${path.join(dir, 'x.db')}`);
  await database.client.executeMultiple('create table t (n integer); create table u (n integer);');
});
afterEach(() => {
  database.close();
  fs.rmSync(dir, { recursive: true, force: true });
});

describe('serialized libSQL client', () => {
  it('runs a statement issued during a transaction after it, instead of failing', async () => {
    const tx = await database.client.transaction('write');
    await tx.execute({ sql: 'insert into t values (1)', args: [] });
    const outside = database.client.execute('select count(*) as n from t');
    let settled = false;
    void outside.then(() => {
      settled = true;
    });
    // Let every pending callback run: the statement still waits for the transaction.
    for (let i = 0; i < 10; i++) await new Promise((r) => setImmediate(r));
    expect(settled).toBe(false);
    await tx.commit();
    expect(Number((await outside).rows[0]!.n)).toBe(1);
    expect(tx.closed).toBe(true);
  });

  it('releases the lock on rollback and close, and after a failed BEGIN', async () => {
    const tx = await database.client.transaction('write');
    await tx.batch([{ sql: 'insert into t values (2)', args: [] }]);
    await tx.rollback();
    const tx2 = await database.client.transaction('write');
    await tx2.executeMultiple('insert into t values (3);');
    tx2.close();
    expect(Number((await database.client.execute('select count(*) as n from t')).rows[0]!.n)).toBe(0);
    await expect(database.client.transaction('nonsense' as never)).rejects.toThrow();
    await expect(database.client.execute('select 1')).resolves.toBeDefined();
  });

  it('passes batches, migrations and multi-statement scripts through', async () => {
    await database.client.batch([{ sql: 'insert into u values (?)', args: [1] }, 'insert into u values (2)'], 'write');
    await database.client.migrate([{ sql: 'insert into u values (3)', args: [] }]);
    await database.client.executeMultiple('insert into u values (4);');
    expect(Number((await database.client.execute('select count(*) as n from u')).rows[0]!.n)).toBe(4);
    expect(database.client.closed).toBe(false);
    expect(database.client.protocol).toBe('file');
  });

  it('hands the mutex out in arrival order', async () => {
    const mutex = new Mutex();
    const order: number[] = [];
    await Promise.all(
      [3, 1, 2].map((delay, i) =>
        mutex.run(async () => {
          await new Promise((r) => setTimeout(r, delay));
          order.push(i);
        }),
      ),
    );
    expect(order).toEqual([0, 1, 2]);
  });
});

const busy = (message = 'database is locked') => new LibsqlError(message, 'SQLITE_BUSY', 'SQLITE_BUSY', 5);

/** A stand-in libSQL client whose operations fail as scripted. */
function fakeClient(script: { fail?: (op: string, n: number) => unknown } = {}) {
  const calls: string[] = [];
  const counts = new Map<string, number>();
  let reconnects = 0;
  const run = async (op: string) => {
    const n = (counts.get(op) ?? 0) + 1;
    counts.set(op, n);
    calls.push(op);
    const error = script.fail?.(op, n);
    if (error) throw error;
    return { rows: [], columns: [], columnTypes: [], rowsAffected: 0, lastInsertRowid: undefined } as unknown as ResultSet;
  };
  const client = {
    closed: false,
    protocol: 'file',
    execute: (stmt: InStatement) => run(`execute ${typeof stmt === 'string' ? stmt : stmt.sql}`),
    batch: () => run('batch').then((r) => [r]),
    migrate: () => run('migrate').then((r) => [r]),
    executeMultiple: () => run('executeMultiple').then(() => undefined),
    sync: () => run('sync').then(() => undefined),
    async transaction() {
      await run('BEGIN');
      let closed = false;
      return {
        get closed() {
          return closed;
        },
        execute: (stmt: InStatement) => run(`tx ${typeof stmt === 'string' ? stmt : stmt.sql}`),
        batch: () => run('tx batch').then((r) => [r]),
        executeMultiple: () => run('tx script').then(() => undefined),
        commit: () =>
          run('COMMIT').finally(() => {
            closed = true;
          }),
        rollback: () =>
          run('ROLLBACK').finally(() => {
            closed = true;
          }),
        close: () => {
          calls.push('close');
          closed = true;
          const error = script.fail?.('close', 1);
          if (error) throw error;
        },
      } as unknown as Transaction;
    },
    close() {
      calls.push('client.close');
    },
    reconnect() {
      reconnects += 1;
      calls.push('reconnect');
    },
  } as unknown as Client;
  return { client, calls, reconnects: () => reconnects };
}

function fakeTime() {
  let t = 0;
  const sleeps: number[] = [];
  return {
    sleeps,
    now: () => t,
    sleep: async (ms: number) => {
      sleeps.push(ms);
      t += ms;
    },
  };
}

describe('serialized client under SQLITE_BUSY', () => {
  it('retries a busy statement with growing, jittered pauses and resets the connection each time', async () => {
    const time = fakeTime();
    const events: BusyEvent[] = [];
    const fake = fakeClient({ fail: (op, n) => (op.startsWith('execute insert') && n <= 3 ? busy() : undefined) });
    const client = serializeClient(fake.client, {
      prepareConnection: (c) => c.execute('PRAGMA foreign_keys = ON').then(() => undefined),
      ...time,
      random: () => 0.5,
      onBusy: (event) => events.push(event),
    });
    await client.execute('insert into t values (?)', [1]);
    expect(time.sleeps).toEqual([10, 20, 40]);
    expect(events.map((e) => [e.operation, e.attempt, e.gaveUp])).toEqual([
      ['statement', 1, false],
      ['statement', 2, false],
      ['statement', 3, false],
    ]);
    expect(fake.reconnects()).toBe(3);
    // Each reset connection gets its settings again before the next statement.
    expect(fake.calls.filter((c) => c === 'execute PRAGMA foreign_keys = ON')).toHaveLength(4);
    await client.execute({ sql: 'select 1', args: [] });
    expect(fake.calls.filter((c) => c === 'execute PRAGMA foreign_keys = ON')).toHaveLength(4);
  });

  it('gives up after the busy timeout with a DatabaseBusyError that says what happened', async () => {
    const time = fakeTime();
    const fake = fakeClient({ fail: (op) => (op === 'batch' || op === 'migrate' || op === 'BEGIN' ? busy() : undefined) });
    const client = serializeClient(fake.client, { ...time, busyTimeoutMs: 1000, random: () => 1 });
    const error = await client.batch(['insert into t values (1)'], 'write').catch((e: unknown) => e);
    expect(error).toBeInstanceOf(DatabaseBusyError);
    expect(error).toBeInstanceOf(LibsqlError);
    expect(error).toMatchObject({ code: 'SQLITE_BUSY', operation: 'batch', waitedMs: 1000, attempts: 8 });
    expect((error as Error).message).toBe(
      'SQLITE_BUSY: The database is locked by another process: batch waited 1000 ms (8 attempts) for the lock and gave up; nothing was written (the batch was rolled back). [SQLITE_BUSY: database is locked]',
    );
    // Pauses double up to 250 ms (here with the maximum jitter, 1.5×) and never pass the deadline.
    expect(time.sleeps).toEqual([15, 30, 60, 120, 240, 375, 160]);
    await expect(client.migrate([])).rejects.toMatchObject({ operation: 'migration' });
    await expect(client.transaction('write')).rejects.toMatchObject({ operation: 'BEGIN' });
    // The mutex was released every time.
    await expect(client.execute('select 1')).resolves.toBeDefined();
  });

  it('never retries a multi-statement script, and passes other errors straight through', async () => {
    const fake = fakeClient({
      fail: (op) => (op === 'executeMultiple' ? busy() : op === 'sync' ? new Error('not a replica') : undefined),
    });
    const client = serializeClient(fake.client, { ...fakeTime() });
    await expect(client.executeMultiple('insert into t values (1); insert into t values (2);')).rejects.toMatchObject({
      operation: 'script',
      attempts: 1,
      message: expect.stringContaining('statements before the locked one may have run'),
    });
    expect(fake.calls.filter((c) => c === 'executeMultiple')).toHaveLength(1);
    await expect(client.sync()).rejects.toThrow('not a replica');
    await client.reconnect();
    client.close();
    expect(fake.calls.slice(-2)).toEqual(['reconnect', 'client.close']);
  });

  it('a busy statement inside a transaction makes COMMIT roll back, and frees the connection', async () => {
    const fake = fakeClient({ fail: (op) => (op === 'tx insert into t values (1)' ? busy() : undefined) });
    const client = serializeClient(fake.client, { ...fakeTime() });
    const tx = await client.transaction();
    await expect(tx.execute({ sql: 'insert into t values (1)', args: [] })).rejects.toMatchObject({
      name: 'DatabaseBusyError',
      message: expect.stringContaining('a statement inside a transaction failed; the transaction can only be rolled back'),
    });
    await expect(tx.commit()).rejects.toMatchObject({
      message: expect.stringContaining('COMMIT (after a statement of the transaction hit SQLITE_BUSY) failed; the transaction was rolled back'),
    });
    expect(tx.closed).toBe(true);
    await tx.rollback(); // what drizzle does after a failed commit: a no-op now
    expect(fake.calls.filter((c) => c === 'COMMIT' || c === 'ROLLBACK')).toEqual([]);
    expect(fake.calls.slice(-2)).toEqual(['close', 'reconnect']);
    await expect(client.execute('select 1')).resolves.toBeDefined();

    // Rolling back or closing such a transaction drops the connection too, without throwing.
    for (const end of ['rollback', 'close'] as const) {
      const again = await client.transaction('deferred');
      await expect(again.batch([{ sql: 'insert into t values (1)', args: [] }])).resolves.toBeDefined();
      await expect(again.executeMultiple('insert into t values (1)')).resolves.toBeUndefined();
      await again.execute({ sql: 'insert into t values (1)', args: [] }).catch(() => undefined);
      const before = fake.reconnects();
      if (end === 'rollback') await again.rollback();
      else again.close();
      expect(fake.reconnects()).toBe(before + 1);
      await expect(client.execute('select 1')).resolves.toBeDefined();
    }
  });

  it('a busy COMMIT reports the rollback; a failing ROLLBACK or close drops the connection instead of throwing', async () => {
    let failCommit = true;
    const fake = fakeClient({
      fail: (op) => {
        if (op === 'COMMIT' && failCommit) return busy('cannot commit transaction - SQL statements in progress');
        if (op === 'COMMIT') return new Error('FOREIGN KEY constraint failed');
        if (op === 'ROLLBACK' || op === 'close') return new Error('connection is unusable');
        return undefined;
      },
    });
    const client = serializeClient(fake.client, { ...fakeTime() });
    const tx = await client.transaction('write');
    await expect(tx.commit()).rejects.toMatchObject({ name: 'DatabaseBusyError', operation: 'COMMIT' });
    expect(fake.reconnects()).toBe(1);

    failCommit = false;
    const tx2 = await client.transaction('write');
    await expect(tx2.commit()).rejects.toThrow('FOREIGN KEY constraint failed');
    expect(fake.reconnects()).toBe(1);

    const tx3 = await client.transaction('write');
    await expect(tx3.rollback()).resolves.toBeUndefined();
    const tx4 = await client.transaction('write');
    expect(() => tx4.close()).not.toThrow();
    expect(fake.reconnects()).toBe(3);
    await expect(client.execute('select 1')).resolves.toBeDefined();
  });

  it('recognises SQLITE_BUSY and SQLITE_LOCKED however deeply wrapped', () => {
    expect(isBusyError(busy())).toBe(true);
    expect(isBusyError(new Error('Failed query', { cause: new LibsqlError('x', 'SQLITE_LOCKED') }))).toBe(true);
    expect(isBusyError(Object.assign(new Error('x'), { extendedCode: 'SQLITE_BUSY_SNAPSHOT' }))).toBe(true);
    expect(isBusyError(new LibsqlError('x', 'SQLITE_CONSTRAINT'))).toBe(false);
    expect(isBusyError('SQLITE_BUSY')).toBe(false);
    expect(new DatabaseBusyError({ operation: 'x', outcome: 'y', cause: 'z' }).message).toBe(
      'SQLITE_BUSY: The database is locked by another process: x failed; y.',
    );
  });
});

describe('openDatabase with a short busy timeout (lock held in this process)', () => {
  it('rolls back a deferred transaction whose write cannot get the lock, and works right after', async () => {
    const url = `file:${path.join(dir, 'x.db')}`;
    await configureDatabase(database);
    const short = openDatabase(url, undefined, { busyTimeoutMs: 200, busyWaitSliceMs: 20 });
    let released: () => void = () => undefined;
    const unlocked = new Promise<void>((resolve) => {
      released = resolve;
    });
    const locked = new Promise<void>((resolve) => {
      void holdWriteLock({ url, holdMs: 400, gapMs: 0 }, (line) => {
        if (line.startsWith('released')) released();
        if (line.startsWith('locked')) resolve();
      });
    });
    try {
      const tx = await short.client.transaction('deferred');
      await tx.execute({ sql: 'select count(*) from t', args: [] });
      await locked;
      await expect(tx.execute({ sql: 'insert into t values (1)', args: [] })).rejects.toBeInstanceOf(DatabaseBusyError);
      await expect(tx.commit()).rejects.toBeInstanceOf(DatabaseBusyError);
      await expect(short.client.execute('insert into t values (2)')).rejects.toMatchObject({ operation: 'statement' });
      // Once the holder commits, the next write goes through on a fresh connection.
      await unlocked;
      await short.client.execute('insert into t values (3)');
      const fresh = openDatabase(url);
      expect((await fresh.client.execute('select n from t')).rows.map((r) => Number(r.n))).toEqual([3]);
      fresh.close();
    } finally {
      short.close();
    }
  });
});

describe('the lock-holder helper (db/testing/hold-write-lock.ts)', () => {
  it('reports each hold, and fails with an exit code on a bad URL', async () => {
    const lines: string[] = [];
    await holdWriterMain([`file:${path.join(dir, 'x.db')}`, '5', '2', '5'], (line) => lines.push(line), () => {});
    expect(lines.map((l) => l.split(' ').slice(0, 2).join(' '))).toEqual([
      'locked 1',
      'released 1',
      'locked 2',
      'released 2',
      'done',
    ]);
    expect(Number((await database.client.execute('select count(*) as n from lock_holder')).rows[0]!.n)).toBe(2);

    let stderr = '';
    try {
      await holdWriterMain(['nonsense:x', '5'], () => {}, (text) => {
        stderr += text;
      });
      expect(process.exitCode).toBe(1);
    } finally {
      process.exitCode = undefined;
    }
    expect(stderr).toMatch(/URL_SCHEME_NOT_SUPPORTED|not supported/);
  });
});
