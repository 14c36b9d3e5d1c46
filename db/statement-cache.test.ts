import { mkdtemp, rm } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openDatabase } from './client';
import { installStatementCache, STATEMENT_CACHE_LIMIT } from './statement-cache';

interface Statement {
  all(...args: unknown[]): unknown[];
}
interface Connection {
  prepare(sql: string): Statement;
  close(): void;
}
const fromClient = createRequire(createRequire(path.join(process.cwd(), 'package.json')).resolve('@libsql/client'));
const Libsql = fromClient('libsql') as new (file: string) => Connection;

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(path.join(tmpdir(), 'statement-cache-'));
  installStatementCache();
  installStatementCache(); // idempotent
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('installStatementCache', () => {
  it('hands out one prepared statement per SQL text and connection, and it still runs with new arguments', () => {
    const a = new Libsql(path.join(dir, 'a.db'));
    const b = new Libsql(path.join(dir, 'a.db'));
    const first = a.prepare('SELECT ? AS v');
    expect(a.prepare('SELECT ? AS v')).toBe(first);
    expect(b.prepare('SELECT ? AS v')).not.toBe(first);
    expect(first.all(1)).toEqual([{ v: 1 }]);
    expect(a.prepare('SELECT ? AS v').all('two')).toEqual([{ v: 'two' }]);
    a.close();
    b.close();
  });

  it('keeps at most the limit per connection, dropping the least recently used', () => {
    const c = new Libsql(path.join(dir, 'c.db'));
    const kept = c.prepare('SELECT 0');
    const evicted = c.prepare('SELECT 1');
    for (let i = 2; i <= STATEMENT_CACHE_LIMIT; i++) {
      c.prepare(`SELECT ${i}`);
      if (i % 50 === 0) expect(c.prepare('SELECT 0')).toBe(kept); // used recently: stays
    }
    expect(c.prepare('SELECT 0')).toBe(kept);
    expect(c.prepare('SELECT 1')).not.toBe(evicted);
    c.close();
  });

  it('is in place for the client: many runs of one statement through drizzle keep their results right', async () => {
    const database = openDatabase(`file:${path.join(dir, 'd.db')}`);
    try {
      await database.client.execute('CREATE TABLE t (id INTEGER PRIMARY KEY, v TEXT)');
      for (let i = 0; i < 50; i++) await database.client.execute({ sql: 'INSERT INTO t (v) VALUES (?)', args: [`v${i}`] });
      const rows = await database.client.execute({ sql: 'SELECT count(*) AS n, max(v) AS top FROM t WHERE id > ?', args: [10] });
      expect(rows.rows[0]).toMatchObject({ n: 40, top: 'v49' });
      const tx = await database.client.transaction('write');
      await tx.execute({ sql: 'INSERT INTO t (v) VALUES (?)', args: ['in-tx'] });
      await tx.rollback();
      tx.close();
      const after = await database.client.execute({ sql: 'SELECT count(*) AS n, max(v) AS top FROM t WHERE id > ?', args: [0] });
      expect(after.rows[0]).toMatchObject({ n: 50 });
    } finally {
      database.close();
    }
  });
});
