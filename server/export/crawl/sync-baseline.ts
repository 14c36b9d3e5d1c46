import { and, eq, inArray } from 'drizzle-orm';
import type { DB } from '@/db/client';
import { exportFiles, exportIssues, exportItems } from '@/db/schema';
import type { EventStore } from '@/server/events/event-store';
import { type ExportIssue, exportStreamId, parseExportEvent, type WrittenFile } from '@/server/export/domain/export';
import { MANIFEST_FILE } from '@/server/export/files/manifest';
import { REPORT_FILE } from '@/server/export/files/layout';
import type { BaselineEntry } from './sync-plan';

/** What a sync carries over from its baseline for one item, besides its plan entry. */
export interface BaselineDetail {
  /** Its files as its baseline recorded them last (attachments it shares with others included). */
  files: WrittenFile[];
  issues: ExportIssue[];
  /** For a failed item: the failure's code and words. */
  failure?: { code: string; message: string };
}

export interface Baseline {
  exportId: string;
  entries: Map<string, BaselineEntry>;
  details: Map<string, BaselineDetail>;
}

const EVENT_PAGE = 500;

/**
 * Reads what a finished export holds: its items and places (export_items), each item's files,
 * links and synced originals (from its PagesExported events: one file may belong to several
 * items, which export_files cannot tell), their last checksums (export_files), issues and failures.
 */
export async function loadBaseline(db: DB, store: EventStore, exportId: string): Promise<Baseline> {
  const rows = await db
    .select()
    .from(exportItems)
    .where(and(eq(exportItems.exportId, exportId), inArray(exportItems.status, ['done', 'failed'])));
  const issues = await db.select().from(exportIssues).where(eq(exportIssues.exportId, exportId));
  const checksums = new Map<string, { bytes: number; sha256: string }>();
  for (const f of await db.select().from(exportFiles).where(eq(exportFiles.exportId, exportId))) {
    checksums.set(f.path, { bytes: f.bytes, sha256: f.sha256 });
  }
  const linked = new Set(issues.filter((i) => i.kind === 'linked_database').map((i) => i.itemId));
  const issuesOf = new Map<string, ExportIssue[]>();
  for (const i of issues) {
    const list = issuesOf.get(i.itemId) ?? [];
    list.push({ kind: i.kind as ExportIssue['kind'], sourceId: i.sourceId, message: i.message });
    issuesOf.set(i.itemId, list);
  }
  const recorded = new Map<string, { paths: Set<string>; links?: string[]; shows?: string[]; holds?: string[] }>();
  let after = 0;
  for (;;) {
    const events = await store.readStreamAfter(exportStreamId(exportId), after, EVENT_PAGE);
    const last = events.at(-1);
    if (!last) break;
    after = last.globalPosition;
    for (const event of events) {
      if (event.type !== 'PagesExported') continue;
      const parsed = parseExportEvent(event.type, event.data);
      if (parsed.type !== 'PagesExported') continue;
      for (const item of parsed.data.items) {
        const seen = recorded.get(item.id) ?? { paths: new Set<string>() };
        for (const f of item.files) seen.paths.add(f.path);
        if (item.links) seen.links = item.links;
        if (item.shows) seen.shows = item.shows;
        if (item.holds) seen.holds = item.holds;
        recorded.set(item.id, seen);
      }
    }
  }
  const entries = new Map<string, BaselineEntry>();
  const details = new Map<string, BaselineDetail>();
  for (const row of rows) {
    const seen = recorded.get(row.itemId);
    const status = row.status as 'done' | 'failed';
    entries.set(row.itemId, {
      id: row.itemId,
      kind: row.kind,
      title: row.title,
      parentId: row.parentId,
      dir: row.dir,
      stem: row.stem,
      status,
      linked: linked.has(row.itemId),
      lastEditedTime: row.lastEditedTime,
      readAt: row.readAt,
      links: status === 'done' ? seen?.links : [],
      shows: seen?.shows ?? [],
      holds: seen?.holds ?? [],
    });
    const files: WrittenFile[] = [];
    for (const p of [...(seen?.paths ?? [])].sort()) {
      const sum = checksums.get(p);
      if (sum && p !== REPORT_FILE && p !== MANIFEST_FILE) files.push({ path: p, ...sum, sourceId: row.itemId });
    }
    const [code, ...words] = (row.error ?? 'failed: failed').split(': ');
    details.set(row.itemId, {
      files,
      issues: issuesOf.get(row.itemId) ?? [],
      ...(status === 'failed' ? { failure: { code: code ?? 'failed', message: words.join(': ') || (code ?? 'failed') } } : {}),
    });
  }
  return { exportId, entries, details };
}

/** Every file of an export but report.json and manifest.json: what a snapshot starts from. */
export async function baselineFiles(db: DB, exportId: string): Promise<{ path: string; bytes: number; sha256: string }[]> {
  const rows = await db
    .select({ path: exportFiles.path, bytes: exportFiles.bytes, sha256: exportFiles.sha256 })
    .from(exportFiles)
    .where(eq(exportFiles.exportId, exportId));
  return rows.filter((r) => r.path !== REPORT_FILE && r.path !== MANIFEST_FILE);
}
