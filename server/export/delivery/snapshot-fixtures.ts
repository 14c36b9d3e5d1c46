import { createHash } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import type { AppContext } from '@/server/app-context';
import { DEFAULT_EXPORT_OPTIONS, type WrittenFile } from '@/server/export/domain/export';
import { handle } from '@/server/export/domain/handle';
import { MANIFEST_FILE } from '@/server/export/files/manifest';

/**
 * Test fixtures: a finished snapshot made the way the runner makes one (its events: requested,
 * started, items discovered and exported with their files, completed), with its files really on
 * disk in `EXPORTS_DIR/<id>` and its manifest.json. Files equal to the previous snapshot's at the
 * same path are hard links to it, as a sync writes them.
 */

export interface FixtureItem {
  id: string;
  title: string;
  kind?: 'page' | 'database';
  parentId?: string | null;
  /** Folder relative to the snapshot's (default: the top). */
  dir?: string;
  /** Default: the title. */
  stem?: string;
  /** Its files by extension (`.md`) or, with a slash, by path (`attachments/…`). */
  files: Record<string, string>;
}

export interface FixtureSnapshot {
  id: string;
  connectionId?: string;
  /** When it finished. */
  at: Date;
  items: FixtureItem[];
  /** Hard-link files that did not change to this earlier snapshot's. */
  linkTo?: string;
  /** Record no file rows, so readers fall back to manifest.json. */
  manifestOnly?: boolean;
}

const sha256 = (text: string) => createHash('sha256').update(text).digest('hex');

export function fixtureFiles(item: FixtureItem): WrittenFile[] {
  const prefix = item.dir ? `${item.dir}/${item.stem ?? item.title}` : (item.stem ?? item.title);
  return Object.entries(item.files).map(([key, content]) => ({
    path: key.includes('/') ? key : `${prefix}${key}`,
    bytes: Buffer.byteLength(content),
    sha256: sha256(content),
    sourceId: item.id,
  }));
}

/** Makes a finished snapshot; returns its folder. */
export async function makeSnapshot(ctx: AppContext, snapshot: FixtureSnapshot): Promise<string> {
  const root = path.join(ctx.config.exportsDir, snapshot.id);
  const previous = snapshot.linkTo ? path.join(ctx.config.exportsDir, snapshot.linkTo) : undefined;
  await handle(ctx.store, snapshot.id, {
    type: 'RequestExport',
    data: {
      exportId: snapshot.id,
      connectionId: snapshot.connectionId ?? 'c1',
      formats: ['markdown'],
      outDir: root,
      requestedBy: 'dashboard',
      options: DEFAULT_EXPORT_OPTIONS,
      ...(snapshot.linkTo ? { mode: 'sync' as const, baselineExportId: snapshot.linkTo } : {}),
    },
  });
  await handle(ctx.store, snapshot.id, { type: 'StartExport', data: { attempt: 1, runner: 'r' } });
  const written: WrittenFile[] = [];
  for (const item of snapshot.items) {
    const files = fixtureFiles(item);
    for (const [i, file] of files.entries()) {
      const target = path.join(root, ...file.path.split('/'));
      fs.mkdirSync(path.dirname(target), { recursive: true });
      const content = Object.values(item.files)[i] as string;
      const before = previous ? path.join(previous, ...file.path.split('/')) : undefined;
      if (before && fs.existsSync(before) && fs.readFileSync(before, 'utf8') === content) fs.linkSync(before, target);
      else fs.writeFileSync(target, content);
    }
    written.push(...files);
  }
  await handle(ctx.store, snapshot.id, {
    type: 'RecordProgress',
    data: {
      discovered: snapshot.items.map((item) => ({
        id: item.id,
        kind: item.kind ?? 'page',
        title: item.title,
        parentId: item.parentId ?? null,
        dir: item.dir ?? '',
        stem: item.stem ?? item.title,
        status: 'pending' as const,
      })),
      exported: snapshot.items.map((item) => ({ id: item.id, files: snapshot.manifestOnly ? [] : fixtureFiles(item) })),
      failed: [],
      stats: { requests: 0, rateLimited: 0, retries: 0 },
    },
  });
  const manifest = { version: 1, exportId: snapshot.id, createdAt: snapshot.at.toISOString(), files: [...written].sort((a, b) => (a.path < b.path ? -1 : 1)) };
  fs.mkdirSync(root, { recursive: true });
  fs.writeFileSync(path.join(root, MANIFEST_FILE), JSON.stringify(manifest, null, 2));
  await handle(ctx.store, snapshot.id, {
    type: 'CompleteExport',
    data: {
      pages: snapshot.items.length,
      databases: 0,
      skipped: 0,
      failed: 0,
      files: written.length,
      bytes: written.reduce((n, f) => n + f.bytes, 0),
      stats: { requests: 0, rateLimited: 0, retries: 0 },
    },
  });
  // The point in time the test says, rather than this instant (snapshots made in one millisecond would tie).
  await ctx.database.client.execute({ sql: 'update exports set finished_at = ?, requested_at = ? where id = ?', args: [snapshot.at.getTime(), snapshot.at.getTime(), snapshot.id] });
  return root;
}
