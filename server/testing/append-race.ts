/**
 * Test helper run as a separate process: waits until `startAt`, then appends one event to
 * `stream` at `expected` and prints "won" or "conflict". Used to race real processes.
 */
import { openDatabase } from '@/db/client';
import { ConcurrencyError, EventStore } from '@/server/events/event-store';

async function main(): Promise<void> {
  const [url, stream, expected, startAt] = process.argv.slice(2);
  const database = openDatabase(url!);
  const store = new EventStore(database.db);
  await new Promise((r) => setTimeout(r, Math.max(0, Number(startAt) - Date.now())));
  try {
    await store.append(stream!, Number(expected), [{ type: 'Raced', data: { pid: process.pid } }]);
    process.stdout.write('won\n');
  } catch (error) {
    process.stdout.write(error instanceof ConcurrencyError ? 'conflict\n' : `error ${String(error)}\n`);
  } finally {
    database.close();
  }
}

void main();
