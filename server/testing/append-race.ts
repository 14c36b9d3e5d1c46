/**
 * Test helper run as a separate process: opens the database, prints "ready", waits for "go" on
 * its standard input (a latch the test opens once every racer is ready), then appends one event
 * to `stream` at `expected` and prints "won" or "conflict". Used to race real processes.
 */
import { once } from 'node:events';
import { openDatabase } from '@/db/client';
import { ConcurrencyError, EventStore } from '@/server/events/event-store';

async function main(): Promise<void> {
  const [url = '', stream = '', expected = ''] = process.argv.slice(2);
  const database = openDatabase(url);
  const store = new EventStore(database.db);
  await store.readStream(stream);
  process.stdout.write('ready\n');
  await once(process.stdin, 'data');
  try {
    await store.append(stream, Number(expected), [{ type: 'Raced', data: { pid: process.pid } }]);
    process.stdout.write('won\n');
  } catch (error) {
    process.stdout.write(error instanceof ConcurrencyError ? 'conflict\n' : `error ${String(error)}\n`);
  } finally {
    database.close();
    process.stdin.destroy();
  }
}

void main();
