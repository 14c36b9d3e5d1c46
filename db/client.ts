import fs from 'node:fs';
import path from 'node:path';
import { type Client, createClient } from '@libsql/client';
import { drizzle, type LibSQLDatabase } from 'drizzle-orm/libsql';
import * as schema from './schema';
import { serializeClient } from './serialized-client';

export type DB = LibSQLDatabase<typeof schema>;
export type Tx = Parameters<Parameters<DB['transaction']>[0]>[0];
export type DbOrTx = DB | Tx;

export interface Database {
  db: DB;
  client: Client;
  url: string;
  close(): void;
}

/** How long a statement waits for another process's write lock before SQLITE_BUSY. */
export const BUSY_TIMEOUT_MS = 10_000;

function isLocalFile(url: string): boolean {
  return url.startsWith('file:') && !url.includes(':memory:');
}

/**
 * Opens the database. For a local file: WAL journal (readers never block the writer),
 * `synchronous=NORMAL` (safe in WAL against process crashes), a busy timeout, foreign keys on,
 * and one connection used by one operation at a time, so a transaction is never interleaved
 * with another statement of this process. A `libsql:`/`http(s):` URL talks to a libSQL server.
 */
export function openDatabase(url: string, authToken?: string): Database {
  if (isLocalFile(url)) {
    fs.mkdirSync(path.dirname(path.resolve(url.slice('file:'.length))), { recursive: true });
  }
  const raw = createClient({ url, authToken, timeout: BUSY_TIMEOUT_MS, concurrency: 1 });
  const local = url.startsWith('file:');
  const client = serializeClient(raw, local ? (c) => applyConnectionPragmas(c).then(() => undefined) : undefined);
  const db = drizzle({ client, schema, casing: 'snake_case' });
  return { db, client, url, close: () => raw.close() };
}

async function applyConnectionPragmas(client: Client): Promise<void> {
  await client.execute('PRAGMA foreign_keys = ON');
}

/** Settings that persist in the database file (WAL) or that each connection needs. */
export async function configureDatabase(database: Database): Promise<void> {
  if (!database.url.startsWith('file:')) return;
  if (isLocalFile(database.url)) {
    await database.client.execute('PRAGMA journal_mode = WAL');
    await database.client.execute('PRAGMA synchronous = NORMAL');
  }
  await database.client.execute('PRAGMA foreign_keys = ON');
}
