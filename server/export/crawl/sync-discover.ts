import path from 'node:path';
import type { DataSourceObjectResponse, PageObjectResponse } from '@notionhq/client/build/src/api-endpoints';
import { eq } from 'drizzle-orm';
import { exports } from '@/db/schema';
import type { DiscoveredItem, ExportedItem, FailedItem } from '@/server/export/domain/export';
import { linkFiles } from '@/server/export/files/link-tree';
import { failpoint } from '@/server/failpoints';
import { logger } from '@/server/observability/logger';
import { discoveredItem, itemFromBaseline, type ListedItem, listWorkspace, mergeDatabaseEntry, recordTrashed } from './discover';
import type { ExportSession } from './export-session';
import { placeAtRoot } from './export-target';
import { normalizeId } from '@/server/export/render/notion-text';
import { type Baseline, baselineFiles, loadBaseline } from './sync-baseline';
import { type ListingEntry, planSync, type SyncPlan } from './sync-plan';
import { keepBaselineDetails } from './sync-relink';

/** Parent types whose id is an item of the export (or the workspace's top): a move can be seen in them. */
const KNOWN_PARENTS = new Set(['workspace', 'page_id', 'database_id', 'data_source_id']);
/** Carried-over items recorded per append. */
const CARRY_BATCH = 200;

/**
 * A sync's discovery phase. Its folder first gets every file of the baseline (hard links, for a
 * snapshot; an in-place sync has them already). Then one listing of the workspace (search, about
 * one request per 100 items: the least any sync can read, since removals are only seen in a full
 * listing) is compared with the baseline (`planSync`): unchanged items are recorded as exported
 * with their baseline files, without a request; the others are queued for the work loop, where
 * they were or as candidates the walk places again.
 */
export async function discoverSync(session: ExportSession): Promise<SyncPlan> {
  const { ctx, row, target } = session;
  const db = ctx.database.db;
  const baselineId = row.baselineExportId;
  if (!baselineId) throw new Error('A sync needs a baseline export');
  const [baseRow] = await db.select({ outDir: exports.outDir }).from(exports).where(eq(exports.id, baselineId));
  if (!baseRow) throw new Error(`The baseline export ${baselineId} no longer exists`);
  if (path.resolve(baseRow.outDir) !== path.resolve(row.outDir)) {
    const files = await baselineFiles(db, baselineId);
    await target.fence();
    const linked = await linkFiles(baseRow.outDir, row.outDir, files.map((f) => f.path));
    logger.info({ exportId: row.id, ...linked }, 'snapshot started from its baseline');
  }
  failpoint('sync-after-linking');

  const readAt = session.clock.now();
  const baseline = await loadBaseline(db, ctx.store, baselineId);
  const { listing, listed, pages, dataSources } = await listChanges(session, baseline);
  const plan = planSync(baseline.entries, listing, { childTimesShown: target.formats.includes('json') });
  await recordCarried(session, baseline, plan);
  failpoint('sync-after-carry-over');
  await recordQueued(session, baseline, plan, listed, readAt);
  const reread = new Set([...plan.inPlace, ...plan.relocated]);
  const kept = pages.filter((p) => reread.has(normalizeId(p.id)));
  // The schemas of the databases read again, and of those whose rows are: as search listed them.
  const schemaNeeded = new Set<string>();
  for (const id of reread) {
    const item = listed.get(id);
    if (item?.kind === 'database') schemaNeeded.add(id);
    else if (item?.parentType === 'data_source_id' && item.parentId) schemaNeeded.add(item.parentId);
  }
  const schemas = dataSources.filter((ds) => ds.parent.type === 'database_id' && schemaNeeded.has(normalizeId(ds.parent.database_id)));
  await target.pages.put([...kept, ...schemas]);
  await session.buffer.flush();
  await recordTrashed(
    session,
    [...plan.trashed, ...plan.trashedElsewhere].flatMap((id) => {
      const item = listed.get(id);
      return item ? [item] : [];
    }),
  );
  await session.record({ type: 'ChangePhase', data: { phase: 'exporting' } });
  logger.info(
    {
      exportId: row.id,
      carried: plan.carried.length,
      inPlace: plan.inPlace.length,
      relocated: plan.relocated.length,
      movedAlong: plan.movedAlong.length,
      relinked: plan.relinked.length,
      added: plan.added.length,
      trashed: plan.trashed.length,
    },
    'sync planned',
  );
  return plan;
}

/**
 * The listing, with the page objects of items edited since the baseline (kept so those are not
 * fetched again; the rest are not held in memory) and the data sources search listed (schemas).
 */
async function listChanges(
  session: ExportSession,
  baseline: Baseline,
): Promise<{
  listing: Map<string, ListingEntry>;
  listed: Map<string, ListedItem>;
  pages: PageObjectResponse[];
  dataSources: DataSourceObjectResponse[];
}> {
  const listed = new Map<string, ListedItem>();
  const pages: PageObjectResponse[] = [];
  const dataSources: DataSourceObjectResponse[] = [];
  for await (const item of listWorkspace(session.gateway.client, session.signal)) {
    if (item.kind === 'database') {
      listed.set(item.id, mergeDatabaseEntry(listed.get(item.id), item));
      if (item.dataSource && !item.trashed) dataSources.push(item.dataSource);
      continue;
    }
    const { page, ...rest } = item;
    listed.set(item.id, rest);
    if (page && !item.trashed && baseline.entries.get(item.id)?.lastEditedTime !== item.lastEditedTime) pages.push(page);
  }
  const listing = new Map<string, ListingEntry>();
  for (const item of listed.values()) {
    listing.set(item.id, {
      id: item.id,
      kind: item.kind,
      title: item.title,
      parentId: item.parentType === 'workspace' ? null : item.parentId,
      parentKnown: KNOWN_PARENTS.has(item.parentType),
      lastEditedTime: item.lastEditedTime,
      trashed: item.trashed,
    });
  }
  return { listing, listed, pages, dataSources };
}

/** Unchanged items: as the baseline recorded them (place, files, issues, links, edit time), a batch per append. */
async function recordCarried(session: ExportSession, baseline: Baseline, plan: SyncPlan): Promise<void> {
  const ids = [...plan.carried, ...plan.carriedFailures];
  for (let i = 0; i < ids.length; i += CARRY_BATCH) {
    const discovered: DiscoveredItem[] = [];
    const exported: ExportedItem[] = [];
    const failed: FailedItem[] = [];
    for (const id of ids.slice(i, i + CARRY_BATCH)) {
      const entry = baseline.entries.get(id);
      const detail = baseline.details.get(id);
      if (!entry || !detail) continue;
      discovered.push(itemFromBaseline(id, entry, entry.lastEditedTime, entry.readAt));
      if (entry.status === 'failed') {
        const failure = detail.failure ?? { code: 'failed', message: 'failed' };
        failed.push({ id, kind: entry.kind, title: entry.title, ...failure });
        continue;
      }
      exported.push({
        id,
        files: detail.files,
        ...(detail.issues.length > 0 ? { issues: detail.issues } : {}),
        ...(entry.links ? { links: [...entry.links] } : {}),
        ...(entry.shows?.length ? { shows: [...entry.shows] } : {}),
        ...(entry.holds?.length ? { holds: [...entry.holds] } : {}),
      });
    }
    session.signal.throwIfAborted();
    await session.record({ type: 'RecordProgress', data: { discovered, exported, failed, stats: session.stats() } });
  }
}

/**
 * Items read again: where the baseline had them (pending), or as candidates that their parent's
 * walk places again (at the root when their parent is the workspace's top).
 */
async function recordQueued(
  session: ExportSession,
  baseline: Baseline,
  plan: SyncPlan,
  listed: Map<string, ListedItem>,
  readAt: number,
): Promise<void> {
  const items: DiscoveredItem[] = [];
  for (const id of plan.inPlace) {
    const entry = baseline.entries.get(id);
    const now = listed.get(id);
    if (!entry || !now) continue;
    items.push(itemFromBaseline(id, entry, now.lastEditedTime, readAt));
  }
  for (const id of plan.relocated) {
    const now = listed.get(id);
    if (now) items.push(discoveredItem(now, readAt));
  }
  // Not read again: recorded with the baseline's read time, which tells the work loop to relink
  // their files (sync-relink.ts). Those that moved along are placed again by their parent's walk.
  for (const id of plan.movedAlong) {
    const now = listed.get(id);
    const entry = baseline.entries.get(id);
    if (now && entry?.readAt != null) items.push(discoveredItem(now, entry.readAt));
  }
  for (const id of plan.relinked) {
    const entry = baseline.entries.get(id);
    if (!entry || entry.readAt === null || entry.lastEditedTime === null) continue;
    items.push(itemFromBaseline(id, entry, entry.lastEditedTime, entry.readAt));
  }
  await keepBaselineDetails(session.ctx.database.db, session.exportId, [...plan.movedAlong, ...plan.relinked], baseline.entries, baseline.details);
  for (let i = 0; i < items.length; i += CARRY_BATCH) {
    session.buffer.addDiscovered(await placeAtRoot(session.target, items.slice(i, i + CARRY_BATCH)));
    await session.buffer.flush();
  }
}
