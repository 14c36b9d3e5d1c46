import fs from 'node:fs';
import path from 'node:path';
import { type Client, createClient } from '@libsql/client';
import { drizzle, type LibSQLDatabase } from 'drizzle-orm/libsql';
import * as schema from './schema';
import { type SerializeClientOptions, serializeClient } from './serialized-client';
import { installStatementCache } from './statement-cache';

export type DB = LibSQLDatabase<typeof schema>;
export type Tx = Parameters<Parameters<DB['transaction']>[0]>[0];
export type DbOrTx = DB | Tx;

export interface Database {
  db: DB;
  client: Client;
  url: string;
  close(): void;
}

/** How long one operation keeps trying while another process holds the database lock. */
export const BUSY_TIMEOUT_MS = 10_000;
/**
 * Longest single wait inside SQLite's busy handler. It blocks the Node thread, so operations
 * wait in short slices with async pauses between them, up to the busy timeout.
 */
export const BUSY_WAIT_SLICE_MS = 100;

export interface OpenDatabaseOptions {
  /** Total time one operation waits for another process's lock before DatabaseBusyError. Default 10 s. */
  busyTimeoutMs?: number;
  /** Longest blocking wait per attempt (capped at the busy timeout). Default 100 ms. */
  busyWaitSliceMs?: number;
  /** Called on every SQLITE_BUSY (logging, metrics). */
  onBusy?: SerializeClientOptions['onBusy'];
}

function isLocalFile(url: string): boolean {
  return url.startsWith('file:') && !url.includes(':memory:');
}

/**
 * Opens the database. For a local file: WAL journal (readers never block the writer),
 * `synchronous=NORMAL` (safe in WAL against process crashes), foreign keys on, one connection
 * used by one operation at a time (a transaction is never interleaved with another statement
 * of this process), and lock waits in short slices up to `busyTimeoutMs`, after which the
 * operation fails with DatabaseBusyError and the connection is replaced (see serializeClient).
 * A `libsql:`/`http(s):` URL talks to a libSQL server.
 */
export function openDatabase(url: string, authToken?: string, options: OpenDatabaseOptions = {}): Database {
  if (isLocalFile(url)) {
    fs.mkdirSync(path.dirname(path.resolve(url.slice('file:'.length))), { recursive: true });
  }
  const busyTimeoutMs = options.busyTimeoutMs ?? BUSY_TIMEOUT_MS;
  const slice = Math.max(1, Math.min(options.busyWaitSliceMs ?? BUSY_WAIT_SLICE_MS, busyTimeoutMs));
  if (url.startsWith('file:')) installStatementCache();
  const raw = createClient({ url, authToken, timeout: slice, concurrency: 1 });
  const client = serializeClient(raw, {
    prepareConnection: url.startsWith('file:') ? (c) => applyConnectionPragmas(c, isLocalFile(url)) : undefined,
    busyTimeoutMs,
    onBusy: options.onBusy,
  });
  const db = drizzle({ client, schema, casing: 'snake_case' });
  return { db, client, url, close: () => raw.close() };
}

/**
 * SQLite's page cache per connection, in KiB (negative: a size, not a page count). SQLite's
 * default is 2,000 KiB, filled by any scan of a large export's tables and held for the life of
 * the connection; the worker keeps under 100 MB at 10,000 pages with little to spare, and the
 * operating system caches the file anyway (measured: a scan of a 10,000-page export's tables
 * leaves 1.9 MB resident at the default, 0.4 MB at 512 KiB).
 */
export const PAGE_CACHE_KIB = 512;

/** Settings each new connection needs (they are not stored in the file). */
async function applyConnectionPragmas(client: Client, localFile: boolean): Promise<void> {
  await client.execute('PRAGMA foreign_keys = ON');
  await client.execute(`PRAGMA cache_size = -${PAGE_CACHE_KIB}`);
  if (localFile) await client.execute('PRAGMA synchronous = NORMAL');
}

/** Settings that persist in the database file (WAL) or that each connection needs. */
export async function configureDatabase(database: Database): Promise<void> {
  if (!database.url.startsWith('file:')) return;
  if (isLocalFile(database.url)) {
    await database.client.execute('PRAGMA journal_mode = WAL');
    await database.client.execute('PRAGMA synchronous = NORMAL');
  }
  await database.client.execute('PRAGMA foreign_keys = ON');
  await database.client.execute(`PRAGMA cache_size = -${PAGE_CACHE_KIB}`);
}
