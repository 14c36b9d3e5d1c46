/**
 * The incremental sync (`npm run bench -- --runs sync-10k`): a 10,000-page workspace on an
 * unthrottled twin, exported in full, synced unchanged (target: at most 2 % of the full export's
 * requests), then N pages changed through the twin's control endpoints (edits, a rename, a move,
 * pages added and trashed) and synced again (target: about what those N pages need plus the
 * listing). Each sync writes a snapshot next to the previous one (hard links), verified against
 * its manifest. In process: the runner of the product, its database in a temp folder.
 *
 * Also runnable alone: `npx tsx bench/sync.ts [--pages 8000] [--databases 39] [--rows 50] [--changed 20]`.
 */
import { readdirSync, statSync } from 'node:fs';
import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';
import { eq } from 'drizzle-orm';
import { exports } from '@/db/schema';
import { startTwin, type WorkspaceOptions } from '@/e2e/notion-twin';
import { createConnection } from '@/server/connections/connections';
import { requestSync } from '@/server/export/control/request-export';
import { verifyManifest } from '@/server/export/files/manifest';
import { Runner } from '@/server/runner/runner';
import { createTestContext } from '@/server/testing/test-context';
import { round } from './measure';
import { log, ROOT } from './processes';
import { workspaceMinimum } from './workspace-minimum';

export interface SyncBenchOptions {
  pages?: number;
  databases?: number;
  rowsPerDatabase?: number;
  /** Pages changed between the second and the third sync. */
  changed?: number;
}

interface SyncRun {
  mode: string;
  requests: number;
  wallSec: number;
  changes: unknown;
  filesShared?: number;
  filesOwn?: number;
  verified: boolean;
}

export interface SyncBenchResult {
  name: string;
  workspace: WorkspaceOptions & { totalPages: number; minimum: number };
  full: SyncRun;
  unchanged: SyncRun & { ratioToFull: number };
  changed: SyncRun & { pagesChanged: number; listingRequests: number; requestsPerChangedPage: number };
  verdicts: { target: string; measured: string; pass: boolean }[];
}

export async function runSyncBench(name: string, out: string, options: SyncBenchOptions = {}): Promise<SyncBenchResult> {
  const workspace: WorkspaceOptions = {
    seed: 1,
    depth: 3,
    pages: options.pages ?? 8000,
    databases: options.databases ?? 39,
    rowsPerDatabase: options.rowsPerDatabase ?? 50,
    blocksPerPage: 12,
    blocksPerRow: 3,
    largePages: 1,
    largePageBlocks: 250,
    linkedDatabases: 0,
    unsharedPages: 0,
  };
  const twin = await startTwin({ workspace });
  const ctx = await createTestContext({ requestsPerSecond: 1000 });
  try {
    const minimum = workspaceMinimum(twin.workspace).total;
    const totalPages = twin.workspace.allPages().length;
    log(`${name}: ${totalPages} pages; a full export's minimum is ${minimum} requests`);
    const { id: connectionId } = await createConnection(ctx, { token: 'secret_twin', baseUrl: twin.url });
    const sync = async (mode: string): Promise<SyncRun & { outDir: string; baselineOutDir: string | null }> => {
      const started = Date.now();
      const { exportId, baselineExportId } = await requestSync(ctx, { connectionId, trigger: 'manual', formats: ['markdown', 'json'] });
      const runner = new Runner(ctx, { concurrency: 6 });
      while ((await runner.runOnce()) !== undefined) {}
      const wallSec = round((Date.now() - started) / 1000, 1);
      const [row] = await ctx.database.db.select().from(exports).where(eq(exports.id, exportId));
      if (!row) throw new Error(`Export ${exportId} is gone`);
      const [base] = baselineExportId ? await ctx.database.db.select().from(exports).where(eq(exports.id, baselineExportId)) : [];
      const check = await verifyManifest(row.outDir);
      const verified = check.missing.length + check.changed.length + check.extra.length === 0;
      log(`${name}: ${mode}: ${row.status}, ${row.requests} requests, ${wallSec} s, manifest ${verified ? 'verified' : 'NOT verified'}`);
      return { mode, requests: row.requests, wallSec, changes: row.changes, verified, outDir: row.outDir, baselineOutDir: base?.outDir ?? null };
    };
    const full = await sync('full export');
    const unchanged = await sync('sync, nothing changed');
    const shared = sharedFiles(unchanged.outDir, unchanged.baselineOutDir);

    // N pages changed the way another process would: through the twin's control endpoints.
    const pagesChanged = options.changed ?? 20;
    const pages = twin.workspace.allPages().filter((p) => p.kind === 'page' && p.depth >= 2);
    const control = async (what: string, body: Record<string, unknown>) => {
      const response = await fetch(`${twin.url}/__twin/${what}`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
      if (!response.ok) throw new Error(`twin ${what}: ${response.status} ${await response.text()}`);
    };
    const step = Math.max(1, Math.floor(pages.length / pagesChanged));
    const chosen = Array.from({ length: pagesChanged }, (_, i) => pages[i * step]).filter((p) => p !== undefined);
    for (const [i, page] of chosen.entries()) {
      if (i === 0) await control('rename-page', { id: page.id, title: `Renamed ${i}` });
      else if (i === 1) await control('trash', { id: page.id });
      else if (i === 2) await control('add-page', { parentId: page.id, title: 'Added by the bench' });
      else await control('edit-page', { id: page.id });
    }
    const changed = await sync(`sync, ${chosen.length} pages changed`);
    const listingRequests = unchanged.requests;
    const fullPerPage = full.requests / totalPages;
    const result: SyncBenchResult = {
      name,
      workspace: { ...workspace, totalPages, minimum },
      full: strip(full),
      unchanged: { ...strip(unchanged), ...shared, ratioToFull: round(unchanged.requests / full.requests, 4) },
      changed: {
        ...strip(changed),
        pagesChanged: chosen.length,
        listingRequests,
        requestsPerChangedPage: round((changed.requests - listingRequests) / chosen.length, 1),
      },
      verdicts: [
        {
          target: 'a sync of an unchanged workspace costs ≤ 2 % of a full export’s requests',
          measured: `${unchanged.requests} of ${full.requests} (${round((100 * unchanged.requests) / full.requests, 2)} %)`,
          pass: unchanged.requests <= 0.02 * full.requests,
        },
        {
          target: 'a sync after N pages changed costs about those pages plus the listing',
          measured: `${changed.requests} requests for ${chosen.length} pages changed (listing ${listingRequests}; a full export spends ${round(fullPerPage, 2)} a page)`,
          pass: changed.requests <= listingRequests + chosen.length * fullPerPage * 4 + 50,
        },
        {
          target: 'every snapshot verifies against its manifest; unchanged files are shared (hard links)',
          measured: `verified ${[full, unchanged, changed].filter((r) => r.verified).length}/3; ${shared.filesShared} of ${shared.filesShared + shared.filesOwn} files shared`,
          pass: full.verified && unchanged.verified && changed.verified && shared.filesOwn === 0,
        },
      ],
    };
    await writeFile(path.join(out, `${name}.json`), `${JSON.stringify(result, null, 2)}\n`);
    for (const v of result.verdicts) process.stdout.write(`${v.pass ? 'PASS' : 'FAIL'}  ${v.target}: ${v.measured}\n`);
    return result;
  } finally {
    await ctx.cleanup();
    await twin.close();
  }
}

function strip<T extends { outDir: string; baselineOutDir: string | null }>(run: T): Omit<T, 'outDir' | 'baselineOutDir'> {
  const { outDir: _outDir, baselineOutDir: _baseline, ...rest } = run;
  return rest;
}

/** Files of a snapshot that are the same inode as in the snapshot before it (hard links), and those that are not. */
function sharedFiles(outDir: string, baselineOutDir: string | null): { filesShared: number; filesOwn: number } {
  let filesShared = 0;
  let filesOwn = 0;
  const walk = (rel: string) => {
    const abs = path.join(outDir, rel);
    for (const name of readdirSync(abs)) {
      const child = path.join(rel, name);
      const stat = statSync(path.join(outDir, child));
      if (stat.isDirectory()) walk(child);
      else if (name !== 'report.json' && name !== 'manifest.json') {
        const before = baselineOutDir ? statSync(path.join(baselineOutDir, child), { throwIfNoEntry: false }) : undefined;
        if (before?.ino === stat.ino) filesShared++;
        else filesOwn++;
      }
    }
  };
  walk('');
  return { filesShared, filesOwn };
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  const { values } = parseArgs({
    options: { pages: { type: 'string' }, databases: { type: 'string' }, rows: { type: 'string' }, changed: { type: 'string' } },
  });
  const num = (v: string | undefined) => (v === undefined ? undefined : Number(v));
  runSyncBench('sync', path.join(ROOT, 'bench', 'out'), {
    pages: num(values.pages),
    databases: num(values.databases),
    rowsPerDatabase: num(values.rows),
    changed: num(values.changed),
  }).catch((error) => {
    process.stderr.write(`${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
    process.exit(1);
  });
}
