/**
 * Helpers for the reliability tests (server/reliability/*.int.test.ts) and the CLI's: spawning the
 * CLI (and other scripts of the repository), reading what it reports line by line, and the
 * invariants every interrupted-then-resumed export must satisfy.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { createClient } from '@libsql/client';
import { expect } from 'vitest';
import type { Twin } from '@/e2e/notion-twin';
import { mulberry32 } from '@/e2e/notion-twin/ids';
import { CliRecord, type ProgressRecord } from '@/server/cli-progress';
import { verifyManifest } from '@/server/export/files/manifest';

export interface Exit {
  code: number | null;
  signal: NodeJS.Signals | null;
  stderr: string;
  stdout: string;
}

export interface Spawned {
  child: ChildProcess;
  done: Promise<Exit>;
  stderr: () => string;
  stdout: () => string;
  /**
   * Resolves with the first complete line of `stream` (stderr by default) for which `test` holds,
   * those already printed included. Rejects when the process exits without printing one, or
   * after `timeoutMs` (a bound: the test fails if the line never comes).
   */
  line(test: (line: string) => boolean, what: string, options?: { stream?: 'stdout' | 'stderr'; timeoutMs?: number }): Promise<string>;
  /** Calls `listener` with every complete line of `stream` (stderr by default) from now on; returns the way to stop. */
  onLine(listener: (line: string) => void, stream?: 'stdout' | 'stderr'): () => void;
  /** The same for the CLI's `--progress json` records on stderr. */
  record<T extends CliRecord>(test: (record: CliRecord) => record is T, what: string, timeoutMs?: number): Promise<T>;
  record(test: (record: CliRecord) => boolean, what: string, timeoutMs?: number): Promise<CliRecord>;
}

const ROOT = path.resolve(import.meta.dirname, '../..');

/** A stream's complete lines as they come: those so far, and a way to hear of the next ones. */
function lineReader(stream: NodeJS.ReadableStream | null) {
  const lines: string[] = [];
  const listeners = new Set<(line: string) => void>();
  let text = '';
  let partial = '';
  stream?.on('data', (chunk) => {
    text += String(chunk);
    const parts = (partial + String(chunk)).split('\n');
    partial = parts.pop() ?? '';
    for (const line of parts) {
      lines.push(line);
      for (const listener of listeners) listener(line);
    }
  });
  return { lines, listeners, text: () => text };
}

/** Runs a TypeScript script of this repository (through tsx) with extra environment variables. */
export function spawnScript(script: string, args: string[], env: Record<string, string | undefined>): Spawned {
  const child = spawn(process.execPath, ['--import', 'tsx', script, ...args], {
    cwd: ROOT,
    env: { ...process.env, NOTION_SYNC_FAILPOINTS: undefined, NOTION_SYNC_FAILPOINT_LOG: undefined, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const out = { stdout: lineReader(child.stdout), stderr: lineReader(child.stderr) };
  const done = new Promise<Exit>((resolve) =>
    child.on('close', (code, signal) => resolve({ code, signal, stderr: out.stderr.text(), stdout: out.stdout.text() })),
  );
  const line: Spawned['line'] = (test, what, options = {}) => {
    const reader = out[options.stream ?? 'stderr'];
    const seen = reader.lines.find(test);
    if (seen !== undefined) return Promise.resolve(seen);
    const timeoutMs = options.timeoutMs ?? 60_000;
    return new Promise<string>((resolve, reject) => {
      const finish = (error: Error | undefined, found?: string) => {
        reader.listeners.delete(listener);
        clearTimeout(timer);
        if (error) reject(error);
        else resolve(found ?? '');
      };
      const listener = (l: string) => {
        if (test(l)) finish(undefined, l);
      };
      reader.listeners.add(listener);
      const timer = setTimeout(() => finish(new Error(`No line with ${what} within ${timeoutMs} ms:\n${reader.text()}`)), timeoutMs);
      void done.then((exit) => finish(new Error(`${script} exited (${exit.signal ?? exit.code}) before a line with ${what}:\n${exit.stderr}`)));
    });
  };
  const record = (test: (record: CliRecord) => boolean, what: string, timeoutMs?: number) =>
    line(
      (l) => {
        const parsed = parseRecord(l);
        return parsed !== undefined && test(parsed);
      },
      what,
      { timeoutMs },
    ).then((l) => parseRecord(l) as CliRecord);
  const onLine: Spawned['onLine'] = (listener, stream = 'stderr') => {
    out[stream].listeners.add(listener);
    return () => out[stream].listeners.delete(listener);
  };
  return { child, done, stderr: out.stderr.text, stdout: out.stdout.text, line, onLine, record: record as Spawned['record'] };
}

/** A line of the CLI's `--progress json` output, checked against its schema; undefined for any other line. */
export function parseRecord(line: string): CliRecord | undefined {
  if (!line.startsWith('{')) return undefined;
  const parsed = CliRecord.safeParse(JSON.parse(line));
  if (!parsed.success) throw new Error(`Not a record of the CLI's progress: ${line}\n${parsed.error.message}`);
  return parsed.data;
}

/** Every line of `--progress json` stderr, parsed; `other`: the lines that are not records (a failpoint's, say). */
export function parseRecords(stderr: string): { records: CliRecord[]; other: string[] } {
  const records: CliRecord[] = [];
  const other: string[] = [];
  for (const line of stderr.split('\n').filter((l) => l !== '')) {
    const record = parseRecord(line);
    if (record) records.push(record);
    else other.push(line);
  }
  return { records, other };
}

export const isProgress = (record: CliRecord): record is ProgressRecord => record.type === 'progress';

/** A progress record of the exporting phase with at least `share` of the items found done (or failed). */
export const exportedAtLeast =
  (share: number) =>
  (record: CliRecord): record is ProgressRecord =>
    isProgress(record) && record.phase === 'exporting' && record.pagesDone + record.pagesFailed >= share * record.pagesDiscovered;

/** A progress record with at least `items` pages and databases done. */
export const doneAtLeast =
  (items: number) =>
  (record: CliRecord): record is ProgressRecord =>
    isProgress(record) && record.pagesDone >= items;

/** The text of every message record, in order. */
export const messagesOf = (records: CliRecord[]): string[] => records.flatMap((r) => (r.type === 'message' ? [r.text] : []));

/** The environment the CLI needs to export from `twin` with its state in `dbPath`. */
export function cliEnv(twin: Twin, dbPath: string, extra: Record<string, string | undefined> = {}): Record<string, string | undefined> {
  return {
    DATABASE_URL: `file:${dbPath}`,
    NOTION_SYNC_SECRET: 'reliability-test-secret',
    NOTION_TOKEN: 'secret_twin',
    NOTION_BASE_URL: twin.url,
    NOTION_RATE_LIMIT: '1000',
    ...extra,
  };
}

export function spawnCli(args: string[], env: Record<string, string | undefined>): Spawned {
  return spawnScript('server/cli.ts', args, env);
}

export function listFiles(root: string): string[] {
  return fs
    .readdirSync(root, { recursive: true, withFileTypes: true })
    .filter((d) => d.isFile())
    .map((d) => path.join(d.parentPath, d.name));
}

const hex = (id: string) => id.replace(/-/g, '');

/** Extensions each page and database gets per format (CSV is per data source, checked apart). */
const EXTENSIONS: Record<string, string[]> = { markdown: ['.md'], html: ['.html'], json: ['.json'], csv: [] };

/**
 * The export folder holds every page and database of the twin exactly once per format, one CSV
 * per data source, no temp file, and matches its manifest.
 */
export async function expectCompleteExport(root: string, twin: Twin, formats = ['markdown', 'html', 'json', 'csv']): Promise<void> {
  const all = listFiles(root);
  const byEnding = new Map<string, number>();
  for (const f of all) {
    const m = /([0-9a-f]{32})(\.[a-z0-9]+)$/.exec(f);
    if (m) byEnding.set(m[1]! + m[2]!, (byEnding.get(m[1]! + m[2]!) ?? 0) + 1);
  }
  const wrong: string[] = [];
  const items = [
    ...twin.workspace.allPages().map((p) => ({ id: p.id, title: p.title })),
    ...twin.workspace.allDatabases().map((d) => ({ id: d.id, title: d.title })),
  ];
  for (const format of formats) {
    for (const ext of EXTENSIONS[format] ?? []) {
      for (const item of items) {
        const n = byEnding.get(hex(item.id) + ext) ?? 0;
        if (n !== 1) wrong.push(`${item.title} ${item.id}${ext}: ${n} files`);
      }
    }
  }
  if (formats.includes('csv')) {
    // One CSV per data source: named by the database id when it has a single one.
    for (const db of twin.workspace.allDatabases()) {
      for (const ds of db.dataSources) {
        const id = db.dataSources.length === 1 ? db.id : ds.id;
        const n = byEnding.get(`${hex(id)}.csv`) ?? 0;
        if (n !== 1) wrong.push(`data source ${ds.name} ${id}.csv: ${n} files`);
      }
    }
  }
  expect(wrong, 'pages and databases not exactly once per format').toEqual([]);
  expect(all.filter((f) => f.endsWith('.tmp')), 'temp files left behind').toEqual([]);
  expect(await verifyManifest(root)).toMatchObject({ missing: [], changed: [], extra: [] });
}

/**
 * Opens the state database (a plain client) for queries, closes it afterwards: a file's path, or
 * the URL of a libSQL server (`http://…`).
 */
export async function withDb<T>(dbPathOrUrl: string, fn: (db: ReturnType<typeof createClient>) => Promise<T>): Promise<T> {
  const db = createClient({ url: /^(https?|libsql|wss?):\/\//.test(dbPathOrUrl) ? dbPathOrUrl : `file:${dbPathOrUrl}` });
  try {
    return await fn(db);
  } finally {
    db.close();
  }
}

/** Page ids that appear in more than one PagesExported event of the same export stream. */
export async function pagesExportedTwice(dbPathOrUrl: string): Promise<string[]> {
  return withDb(dbPathOrUrl, async (db) => {
    const rows = await db.execute("select stream_id, global_position, data from events where type = 'PagesExported' order by global_position");
    const seen = new Map<string, number>();
    const twice: string[] = [];
    for (const row of rows.rows) {
      const data = JSON.parse(String(row.data)) as { items: { id: string }[] };
      for (const item of data.items) {
        const key = `${String(row.stream_id)} ${item.id}`;
        if (seen.has(key)) twice.push(`${key} (events ${seen.get(key)} and ${String(row.global_position)})`);
        else seen.set(key, Number(row.global_position));
      }
    }
    return twice;
  });
}

/** Number of distinct pages and databases recorded as exported, per export stream. */
export async function exportedCounts(dbPathOrUrl: string): Promise<Map<string, number>> {
  return withDb(dbPathOrUrl, async (db) => {
    const rows = await db.execute("select stream_id, data from events where type = 'PagesExported'");
    const ids = new Map<string, Set<string>>();
    for (const row of rows.rows) {
      const set = ids.get(String(row.stream_id)) ?? new Set<string>();
      for (const item of (JSON.parse(String(row.data)) as { items: { id: string }[] }).items) set.add(item.id);
      ids.set(String(row.stream_id), set);
    }
    return new Map([...ids].map(([k, v]) => [k, v.size]));
  });
}

/** A small seeded PRNG (the twin's mulberry32): floats in [0, 1). */
export const seededRandom = mulberry32;
