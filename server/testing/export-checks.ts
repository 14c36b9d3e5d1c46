/**
 * Helpers for the reliability tests (server/reliability/*.int.test.ts): spawning the CLI, waiting
 * on conditions, and the invariants every interrupted-then-resumed export must satisfy.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { createClient } from '@libsql/client';
import { expect } from 'vitest';
import type { Twin } from '@/e2e/notion-twin';
import { mulberry32 } from '@/e2e/notion-twin/ids';
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
}

const ROOT = path.resolve(import.meta.dirname, '../..');

/** Runs a TypeScript script of this repository (through tsx) with extra environment variables. */
export function spawnScript(script: string, args: string[], env: Record<string, string | undefined>): Spawned {
  let stderr = '';
  let stdout = '';
  const child = spawn(process.execPath, ['--import', 'tsx', script, ...args], {
    cwd: ROOT,
    env: { ...process.env, NOTION_SYNC_FAILPOINTS: undefined, NOTION_SYNC_FAILPOINT_LOG: undefined, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  child.stderr!.on('data', (d) => {
    stderr += String(d);
  });
  child.stdout!.on('data', (d) => {
    stdout += String(d);
  });
  const done = new Promise<Exit>((resolve) =>
    child.on('close', (code, signal) => resolve({ code, signal, stderr, stdout })),
  );
  return { child, done, stderr: () => stderr };
}

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

/** Resolves once `condition()` holds, polling; rejects after `timeoutMs` with `what` in the message. */
export async function waitFor(condition: () => boolean, what: string, timeoutMs = 60_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`Timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
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

/** Opens the state database read-only-ish (a plain client) for queries, closes it afterwards. */
export async function withDb<T>(dbPath: string, fn: (db: ReturnType<typeof createClient>) => Promise<T>): Promise<T> {
  const db = createClient({ url: `file:${dbPath}` });
  try {
    return await fn(db);
  } finally {
    db.close();
  }
}

/** Page ids that appear in more than one PagesExported event of the same export stream. */
export async function pagesExportedTwice(dbPath: string): Promise<string[]> {
  return withDb(dbPath, async (db) => {
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
export async function exportedCounts(dbPath: string): Promise<Map<string, number>> {
  return withDb(dbPath, async (db) => {
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
