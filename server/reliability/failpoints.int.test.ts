/**
 * T02: a crash at every commit boundary of an export loses nothing. For each failpoint the CLI
 * export dies by SIGKILL at that point (the N-th time it is reached, so in the middle of the work),
 * the same command is run again, and the folder and the event log must be as if nothing happened:
 * every page once per format, no temp file, a manifest that verifies, no page recorded twice.
 */
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import yauzl from 'yauzl';
import { startTwin, type Twin } from '@/e2e/notion-twin';
import type { Failpoint } from '@/server/failpoints';
import {
  cliEnv,
  expectCompleteExport,
  exportedCounts,
  listFiles,
  messagesOf,
  pagesExportedTwice,
  parseRecords,
  spawnCli,
  spawnScript,
  withDb,
} from '@/server/testing/export-checks';

let twin: Twin;
let dir: string;
let items: number;
beforeAll(async () => {
  twin = await startTwin({
    workspace: { seed: 7, pages: 60, databases: 2, rowsPerDatabase: 8, depth: 3, unsharedPages: 0, linkedDatabases: 0 },
  });
  items = twin.workspace.allPages().length + twin.workspace.allDatabases().length;
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'notion-sync-failpoints-int-'));
});
afterAll(async () => {
  await twin?.close();
  if (dir) fs.rmSync(dir, { recursive: true, force: true });
});

interface Scenario {
  failpoint: Exclude<Failpoint, 'mid-zip'>;
  /** Fires the N-th time the point is reached in the first run. */
  at: number;
  /** Whether the first run recorded every item before it died (the crash is in the finishing phase). */
  allExportedBeforeCrash: boolean;
}

// About 400 files are written and about 15 appends committed in a full run of this workspace.
const SCENARIOS: Scenario[] = [
  { failpoint: 'after-temp-write', at: 250, allExportedBeforeCrash: false },
  { failpoint: 'after-rename', at: 250, allExportedBeforeCrash: false },
  { failpoint: 'after-commit', at: 6, allExportedBeforeCrash: false },
  { failpoint: 'before-manifest', at: 1, allExportedBeforeCrash: true },
  { failpoint: 'after-manifest', at: 1, allExportedBeforeCrash: true },
  { failpoint: 'after-completion', at: 1, allExportedBeforeCrash: true },
];

async function exportRows(state: string) {
  return withDb(state, async (db) => (await db.execute('select id, status, out_dir from exports order by requested_at')).rows);
}

async function expectVerifyExitCode(out: string, code: number) {
  const verify = await spawnCli(['verify', out], {}).done;
  expect(verify.code, verify.stderr + verify.stdout).toBe(code);
}

describe('a crash at each failpoint, then the same command again', () => {
  for (const { failpoint, at, allExportedBeforeCrash } of SCENARIOS) {
    it(`${failpoint}:${at}`, { timeout: 120_000 }, async () => {
      const out = path.join(dir, failpoint);
      const state = path.join(dir, `${failpoint}.db`);
      const log = path.join(dir, `${failpoint}.log`);

      const args = ['export', '--out', out, '--progress', 'json'];
      const first = await spawnCli(
        args,
        cliEnv(twin, state, { NOTION_SYNC_FAILPOINTS: `${failpoint}:${at}`, NOTION_SYNC_FAILPOINT_LOG: log }),
      ).done;
      expect(first.signal, first.stderr).toBe('SIGKILL');
      expect(fs.readFileSync(log, 'utf8')).toBe(`failpoint ${failpoint} reached\n`);
      // Every line the CLI wrote is a record, but the failpoint's own.
      expect(parseRecords(first.stderr).other).toEqual([`failpoint ${failpoint} reached`]);

      // What the crash left behind.
      const [crashed] = await exportRows(state);
      const exportedFirst = [...(await exportedCounts(state)).values()].reduce((a, b) => a + b, 0);
      if (allExportedBeforeCrash) expect(exportedFirst).toBe(items);
      else expect(exportedFirst, 'the failpoint fired in the middle of the export').toBeGreaterThan(0);
      if (!allExportedBeforeCrash) expect(exportedFirst).toBeLessThan(items);
      const manifest = path.join(out, 'manifest.json');
      switch (failpoint) {
        case 'after-temp-write':
          expect(listFiles(out).filter((f) => f.endsWith('.tmp')).length, 'a temp file was left').toBeGreaterThan(0);
          break;
        case 'before-manifest':
          expect(fs.existsSync(manifest)).toBe(false);
          break;
        case 'after-manifest':
          expect(fs.existsSync(manifest)).toBe(true);
          expect(crashed?.status).toBe('running');
          break;
        case 'after-completion':
          expect(crashed?.status).toBe('completed');
          break;
      }
      if (failpoint !== 'after-completion') expect(crashed?.status).toBe('running');

      const second = await spawnCli(args, cliEnv(twin, state)).done;
      expect(second.code, second.stderr).toBe(0);
      const { records, other } = parseRecords(second.stderr);
      expect(other, 'lines that are not records (no failpoint fires)').toEqual([]);
      expect(records.at(-1)).toMatchObject({ type: 'result', exitCode: 0, status: 'completed' });
      const rows = await exportRows(state);
      if (failpoint === 'after-completion') {
        // Nothing unfinished for this folder: the CLI starts a new export into it, which
        // rewrites the same tree and its manifest.
        expect(messagesOf(records).filter((m) => m.startsWith('Resuming export'))).toEqual([]);
        expect(rows.map((r) => r.status)).toEqual(['completed', 'completed']);
        expect(rows[1]!.id).not.toBe(crashed!.id);
      } else {
        expect(messagesOf(records)[0]).toMatch(new RegExp(`^Resuming export ${String(crashed!.id)} `));
        expect(rows.map((r) => [r.id, r.status])).toEqual([[crashed!.id, 'completed']]);
      }
      expect(rows.every((r) => r.out_dir === out)).toBe(true);

      await expectCompleteExport(out, twin);
      await expectVerifyExitCode(out, 0);
      expect(await pagesExportedTwice(state)).toEqual([]);
      for (const [stream, n] of await exportedCounts(state)) expect(n, stream).toBe(items);
    });
  }
});

/** Reads every entry of a zip file: name → sha256 of its content (directories left out). */
function readZip(file: string): Promise<Map<string, { sha256: string; bytes: number }>> {
  return new Promise((resolve, reject) => {
    yauzl.open(file, { lazyEntries: true }, (err, zip) => {
      if (err) return reject(err);
      const entries = new Map<string, { sha256: string; bytes: number }>();
      zip.on('error', reject);
      zip.on('end', () => resolve(entries));
      zip.on('entry', (entry: yauzl.Entry) => {
        if (entry.fileName.endsWith('/')) return zip.readEntry();
        zip.openReadStream(entry, (streamErr, stream) => {
          if (streamErr) return reject(streamErr);
          const hash = createHash('sha256');
          let bytes = 0;
          stream.on('data', (chunk: Buffer) => {
            hash.update(chunk);
            bytes += chunk.length;
          });
          stream.on('error', reject);
          stream.on('end', () => {
            entries.set(entry.fileName, { sha256: hash.digest('hex'), bytes });
            zip.readEntry();
          });
        });
      });
      zip.readEntry();
    });
  });
}

describe('a crash while zipping', () => {
  it('mid-zip: leaves the export folder intact, and a later zip is complete', { timeout: 120_000 }, async () => {
    const out = path.join(dir, 'mid-zip');
    const state = path.join(dir, 'mid-zip.db');
    const log = path.join(dir, 'mid-zip.log');
    const exported = await spawnCli(['export', '--out', out, '--progress', 'json'], cliEnv(twin, state)).done;
    expect(exported.code, exported.stderr).toBe(0);
    const before = new Map(listFiles(out).map((f) => [f, fs.statSync(f).mtimeMs]));

    const partial = path.join(dir, 'partial.zip');
    const killed = await spawnScript('server/testing/zip-to-null.ts', [out, partial], {
      NOTION_SYNC_FAILPOINTS: 'mid-zip',
      NOTION_SYNC_FAILPOINT_LOG: log,
    }).done;
    expect(killed.signal, killed.stderr).toBe('SIGKILL');
    expect(killed.stdout).toBe('');
    expect(fs.readFileSync(log, 'utf8')).toBe('failpoint mid-zip reached\n');
    await expect(readZip(partial), 'the interrupted zip is not a valid zip').rejects.toThrow();

    // Zipping only reads: the folder is unchanged and still verifies.
    expect(new Map(listFiles(out).map((f) => [f, fs.statSync(f).mtimeMs]))).toEqual(before);
    await expectCompleteExport(out, twin);
    await expectVerifyExitCode(out, 0);

    const full = path.join(dir, 'full.zip');
    const zipped = await spawnScript('server/testing/zip-to-null.ts', [out, full], {}).done;
    expect(zipped.code, zipped.stderr).toBe(0);
    const entries = await readZip(full);
    const onDisk = new Map(
      listFiles(out).map((f) => [
        path.relative(out, f).split(path.sep).join('/'),
        { sha256: createHash('sha256').update(fs.readFileSync(f)).digest('hex'), bytes: fs.statSync(f).size },
      ]),
    );
    expect(entries.size).toBe(onDisk.size);
    expect(entries).toEqual(onDisk);
    const manifest = JSON.parse(fs.readFileSync(path.join(out, 'manifest.json'), 'utf8')) as {
      files: { path: string; sha256: string; bytes: number }[];
    };
    for (const f of manifest.files) expect(entries.get(f.path), f.path).toEqual({ sha256: f.sha256, bytes: f.bytes });
    expect(await pagesExportedTwice(state)).toEqual([]);
  });
});
