/**
 * Test helper, run as a separate process: opens the database file with its own @libsql/client
 * and holds the write lock (`BEGIN IMMEDIATE`) for `holdMs`, `times` times, `gapMs` apart,
 * writing one row to `lock_holder` each time. Prints `locked <i> <epoch ms>` once it holds the
 * lock, `released <i> <epoch ms>` after COMMIT, and `done` at the end.
 *
 *   node --import tsx db/testing/hold-write-lock.ts <file: url> <holdMs> [times=1] [gapMs=500]
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { createClient } from '@libsql/client';

export interface HoldWriteLockOptions {
  url: string;
  holdMs: number;
  times?: number;
  gapMs?: number;
  /** How long this holder itself waits for the lock. Default 30 s. */
  lockTimeoutMs?: number;
}

export async function holdWriteLock(options: HoldWriteLockOptions, report: (line: string) => void): Promise<void> {
  const { url, holdMs, times = 1, gapMs = 500, lockTimeoutMs = 30_000 } = options;
  const client = createClient({ url, timeout: lockTimeoutMs, concurrency: 1 });
  try {
    await client.execute('create table if not exists lock_holder (n integer not null, pid integer not null)');
    for (let i = 1; i <= times; i++) {
      const tx = await client.transaction('write');
      await tx.execute({ sql: 'insert into lock_holder (n, pid) values (?, ?)', args: [i, process.pid] });
      report(`locked ${i} ${Date.now()}`);
      await sleep(holdMs);
      await tx.commit();
      report(`released ${i} ${Date.now()}`);
      if (i < times) await sleep(gapMs);
    }
    report('done');
  } finally {
    client.close();
  }
}

/** The command line: `<url> <holdMs> [times] [gapMs]`; sets the exit code on failure. */
export async function main(args: string[], out: (line: string) => void, err: (text: string) => void): Promise<void> {
  const [url, holdMs, times, gapMs] = args;
  try {
    await holdWriteLock(
      { url: url!, holdMs: Number(holdMs), times: times ? Number(times) : undefined, gapMs: gapMs ? Number(gapMs) : undefined },
      out,
    );
  } catch (error) {
    err(`${error instanceof Error ? error.stack : String(error)}\n`);
    process.exitCode = 1;
  }
}

if (process.argv[1]?.endsWith('hold-write-lock.ts')) {
  void main(process.argv.slice(2), (line) => process.stdout.write(`${line}\n`), (text) => process.stderr.write(text));
}
