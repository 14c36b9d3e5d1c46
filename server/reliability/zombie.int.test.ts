import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTwin, type Twin } from '@/e2e/notion-twin';
import {
  cliEnv,
  doneAtLeast,
  expectCompleteExport,
  listFiles,
  messagesOf,
  pagesExportedTwice,
  parseRecords,
  spawnCli,
  withDb,
} from '@/server/testing/export-checks';

let twin: Twin;
let dir: string;
beforeAll(async () => {
  twin = await startTwin({
    workspace: { seed: 61, pages: 90, databases: 2, rowsPerDatabase: 5, linkedDatabases: 0 },
    latencyMs: [5, 15],
  });
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'notion-sync-zombie-'));
});
afterAll(async () => {
  await twin.close();
  fs.rmSync(dir, { recursive: true, force: true });
});

describe('a runner paused past its lease (SIGSTOP) that wakes up', () => {
  it('can no longer append, write into the export, complete or fail it: the newer owner’s work stands', async () => {
    const out = path.join(dir, 'out');
    const db = path.join(dir, 'state.db');
    const env = cliEnv(twin, db, { RUNNER_LEASE_MS: '4000' });
    const args = ['export', '--out', out, '--format', 'json', '--progress', 'json'];
    const zombie = spawnCli(args, env);
    await zombie.record(doneAtLeast(30), 'the first runner to export 30 pages');
    zombie.child.kill('SIGSTOP');
    const frozenAt = Date.now();
    const filesWhenFrozen = listFiles(out).length;

    // The lease runs out; a second runner (same command) takes the export over and finishes it.
    // A frozen process is what is under test, so this is the real lease of 4 s on the real clock:
    // the successor waits for it to run out, it cannot take the export before.
    const successor = await spawnCli(args, env).done;
    expect(Date.now() - frozenAt).toBeGreaterThan(4000);
    expect(messagesOf(parseRecords(successor.stderr).records).filter((m) => m.startsWith('Resuming export'))).toHaveLength(1);
    expect(successor.code).toBe(0);
    const files = listFiles(out).sort();
    const manifest = fs.readFileSync(path.join(out, 'manifest.json'), 'utf8');
    const events = await withDb(db, async (c) => Number((await c.execute('select count(*) as n from events')).rows[0]!.n));

    // The zombie wakes up, finds its lease gone, and leaves without touching anything.
    zombie.child.kill('SIGCONT');
    const woke = await zombie.done;
    expect(woke.signal).toBeNull();
    expect(listFiles(out).sort()).toEqual(files);
    expect(fs.readFileSync(path.join(out, 'manifest.json'), 'utf8')).toBe(manifest);
    expect(await withDb(db, async (c) => Number((await c.execute('select count(*) as n from events')).rows[0]!.n))).toBe(events);
    const status = await withDb(db, async (c) => String((await c.execute('select status from exports')).rows[0]!.status));
    expect(status).toBe('completed');
    expect(filesWhenFrozen).toBeGreaterThan(0);
    expect(await pagesExportedTwice(db)).toEqual([]);
    await expectCompleteExport(out, twin, ['json']);
  });
});
