import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { type Database, openDatabase } from './client';
import { Mutex } from './serialized-client';

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
    await new Promise((r) => setTimeout(r, 20));
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
