import { and, asc, eq, notInArray, sql } from 'drizzle-orm';
import { exportItems, exports } from '@/db/schema';
import type { Tx } from '@/db/client';
import { connectionSecrets } from '@/server/connections/connections';
import { type ExportLease, isLeaseLost } from '@/server/export/domain/export-lease';
import { readSettings } from '@/server/settings';
import { failpoint } from '@/server/failpoints';
import type { AppContext } from '@/server/app-context';
import { type Client, isFullBlock, isFullDatabase, isFullPage } from '@notionhq/client';
import { createNotionGateway, type NotionGateway } from '@/server/notion/notion-gateway';
import { DEFAULT_EXPORT_OPTIONS, type DiscoveredItem, type ExportFormat, type RequestStats } from '@/server/export/domain/export';
import { InvalidStateError } from '@/server/export/domain/decide';
import { handle } from '@/server/export/domain/handle';
import { attachmentRefs, databaseAttachmentRefs } from './attachment-refs';
import { exportDatabase } from './database-exporter';
import type { ExportTarget, WorkItem } from './export-target';
import { exportPage } from './page-exporter';
import { discoverWorkspace } from './discover';
import { sweepTempFiles } from '@/server/export/files/atomic-write';
import { ATTACHMENTS_DIR, type AttachmentRef, AttachmentStore } from '@/server/export/files/attachments';
import { BoundedCache } from './bounded-cache';
import { resolveLinks, writeReportAndManifest } from './finish-export';
import { lookupItems, pageObjectStore, stemsInDir } from './item-lookup';
import { assignSiblingStems, DEEP_DIR, fitPath, itemStem } from '@/server/export/files/layout';
import type { WrittenFile } from '@/server/export/domain/export';
import { ProgressBuffer } from './progress-buffer';
import { fatalFrom, itemFailure } from './export-errors';

export interface RunExportOptions {
  exportId: string;
  attempt: number;
  runner: string;
  /** Fires when the lease is lost or the runner shuts down: stop at once, record nothing more. */
  signal: AbortSignal;
  /** The runner's lease: checked inside every append and before every file becomes visible. */
  lease: ExportLease;
  /** Items exported at the same time (their requests share the token's rate limiter). */
  concurrency?: number;
  /** Graceful stop: start no new page, finish the ones in flight, record them, and return. */
  drain?: AbortSignal;
}

/** `retrying`: failed with a retryable error and queued again, to run after a backoff. */
export type RunOutcome = 'completed' | 'completed_with_errors' | 'failed' | 'retrying' | 'paused' | 'aborted' | 'skipped';

/**
 * Performs one export for the runner that holds its lease: discovers what the token can see,
 * exports every page and database (resuming from the checkpoints of earlier attempts), writes
 * the manifest last and completes. Progress is recorded in batches as events.
 */
export async function runExport(ctx: AppContext, runOptions: RunExportOptions): Promise<RunOutcome> {
  const { exportId, signal } = runOptions;
  const db = ctx.database.db;
  const [row] = await db.select().from(exports).where(eq(exports.id, exportId));
  if (!row || (row.status !== 'queued' && row.status !== 'running')) return 'skipped';
  const meta = { runner: runOptions.runner, attempt: runOptions.attempt };
  const guard = (tx: Tx) => runOptions.lease.check(tx);
  await handle(
    ctx.store,
    exportId,
    { type: 'StartExport', data: { attempt: runOptions.attempt, runner: runOptions.runner } },
    meta,
  );

  const baseline: RequestStats = { requests: row.requests, rateLimited: row.rateLimited, retries: row.retries };
  let gatewayStats = (): RequestStats => ({ requests: 0, rateLimited: 0, retries: 0, pacedRate: null });
  const stats = (): RequestStats => {
    const s = gatewayStats();
    return {
      requests: baseline.requests + s.requests,
      rateLimited: baseline.rateLimited + s.rateLimited,
      retries: baseline.retries + s.retries,
      pacedRate: s.pacedRate ?? null,
    };
  };
  const buffer = new ProgressBuffer(async (batch) => {
    if (signal.aborted) throw new Error('The export was taken over or stopped; progress not recorded');
    await handle(ctx.store, exportId, { type: 'RecordProgress', data: batch }, meta, guard);
  }, stats);

  let apiBase: string | undefined;
  let budgetTimer: NodeJS.Timeout | undefined;
  const baseUrlOf = (_: unknown) => apiBase;
  try {
    const { token, baseUrl } = await connectionSecrets(ctx, row.connectionId);
    apiBase = baseUrl;
    const gateway = createNotionGateway({
      token,
      baseUrl,
      requestsPerSecond: ctx.config.requestsPerSecond,
      ...ctx.config.notionRetry,
      signal,
    });
    gatewayStats = () => {
      const { requests, rateLimited, retries } = gateway.stats();
      const { effective, configured } = gateway.limiter.learned();
      return { requests, rateLimited, retries, pacedRate: effective < configured ? Math.round(effective * 100) / 100 : null };
    };
    // The budget can change at run time (dashboard settings): follow it while the export runs.
    const defaults = { requestsPerSecond: ctx.config.requestsPerSecond };
    const followBudget = async () => gateway.limiter.setRate((await readSettings(db, defaults)).requestsPerSecond);
    await followBudget();
    budgetTimer = setInterval(() => void followBudget().catch(() => undefined), 2000);
    budgetTimer.unref?.();
    const options = { ...DEFAULT_EXPORT_OPTIONS, ...row.options };
    const target: ExportTarget = {
      root: row.outDir,
      formats: row.formats as ExportFormat[],
      options,
      attachments: new AttachmentStore({
        root: row.outDir,
        downloadExternal: options.downloadExternal,
        refresh: (ref) => freshFileUrl(gateway.client, ref),
        signal,
      }),
      lookup: (ids) => lookupItems(db, exportId, ids),
      stemsIn: (dir, except) => stemsInDir(db, exportId, dir, except),
      fence: runOptions.lease.fence,
      pages: pageObjectStore(db, exportId),
      synced: new BoundedCache(500),
      dataSources: new BoundedCache(200),
    };

    // A runner killed mid-write (this export's or an earlier one into the same folder) leaves
    // temp files; nothing of them belongs in the export. Cheap on a new folder.
    await sweepTempFiles(row.outDir);

    if (row.phase === 'queued' || row.phase === 'discovering') {
      for await (const items of discoverWorkspace(gateway.client, signal, target.pages)) {
        buffer.addDiscovered(await placeAtRoot(target, items));
      }
      await buffer.flush();
      await handle(ctx.store, exportId, { type: 'ChangePhase', data: { phase: 'exporting' } }, meta, guard);
    }

    await exportAllItems(ctx, exportId, gateway, target, buffer, signal, runOptions.concurrency ?? 6, runOptions.drain);
    if (signal.aborted || runOptions.drain?.aborted) return 'aborted';

    await handle(ctx.store, exportId, { type: 'ChangePhase', data: { phase: 'finishing' } }, meta, guard);
    const recordFiles = (reason: 'links' | 'report') => async (files: WrittenFile[]) => {
      if (signal.aborted) throw new Error('The export was taken over or stopped');
      await handle(ctx.store, exportId, { type: 'RecordFiles', data: { files, reason } }, meta, guard);
    };
    await resolveLinks(db, exportId, row.outDir, recordFiles('links'), target.fence);
    const written = await writeReportAndManifest(
      db,
      exportId,
      row.outDir,
      (file) => recordFiles('report')([file]),
      target.fence,
    );
    await target.pages.clear();
    const counts = await itemCounts(ctx, exportId);
    if (signal.aborted) return 'aborted';
    await handle(
      ctx.store,
      exportId,
      {
        type: 'CompleteExport',
        data: { pages: counts.done, failed: counts.failed, files: written.files, bytes: written.bytes, stats: stats() },
      },
      meta,
      guard,
    );
    failpoint('after-completion');
    return counts.failed > 0 ? 'completed_with_errors' : 'completed';
  } catch (error) {
    if (signal.aborted) return 'aborted';
    // Cancelled, paused or taken over meanwhile: this runner records nothing more.
    if (error instanceof InvalidStateError || isLeaseLost(error)) return 'aborted';
    const fatal = fatalFrom(error, baseUrlOf(row));
    await buffer.flush().catch(() => undefined);
    if (fatal.pause) {
      await handle(ctx.store, exportId, { type: 'PauseExport', data: { reason: fatal.message, cause: fatal.pause } }, meta, guard);
      return 'paused';
    }
    // A retryable failure with retries left goes back to the queue, to run again after a backoff.
    const failed = await handle(
      ctx.store,
      exportId,
      { type: 'FailExport', data: { reason: fatal.message, retryable: fatal.retryable, now: new Date(), jitter: Math.random() } },
      meta,
      guard,
    );
    return failed.state.status === 'queued' ? 'retrying' : 'failed';
  } finally {
    clearInterval(budgetTimer);
    buffer.dispose();
  }
}

async function itemCounts(ctx: AppContext, exportId: string): Promise<{ done: number; failed: number }> {
  const rows = await ctx.database.db
    .select({ status: exportItems.status, n: sql<number>`count(*)` })
    .from(exportItems)
    .where(eq(exportItems.exportId, exportId))
    .groupBy(exportItems.status);
  const n = (s: string) => Number(rows.find((r) => r.status === s)?.n ?? 0);
  return { done: n('done'), failed: n('failed') };
}

/** The work loop: keeps `concurrency` items in flight until nothing is pending. */
async function exportAllItems(
  ctx: AppContext,
  exportId: string,
  gateway: NotionGateway,
  target: ExportTarget,
  buffer: ProgressBuffer,
  signal: AbortSignal,
  concurrency: number,
  drain?: AbortSignal,
): Promise<void> {
  const db = ctx.database.db;
  const inFlight = new Map<string, Promise<void>>();
  let fatal: unknown;
  const stop = new AbortController();
  const onAbort = () => stop.abort();
  signal.addEventListener('abort', onAbort);

  const nextPending = async (limit: number): Promise<WorkItem[]> => {
    const busy = [...inFlight.keys(), ...buffer.unflushed];
    const rows = await db
      .select()
      .from(exportItems)
      .where(
        and(
          eq(exportItems.exportId, exportId),
          eq(exportItems.status, 'pending'),
          busy.length > 0 ? notInArray(exportItems.itemId, busy) : undefined,
        ),
      )
      .orderBy(asc(exportItems.seq))
      .limit(limit);
    return rows.map((r) => ({ id: r.itemId, kind: r.kind, title: r.title, dir: r.dir ?? '', stem: r.stem }));
  };

  const start = (item: WorkItem) => {
    const task = (async () => {
      try {
        const result =
          item.kind === 'page'
            ? await exportPage(gateway.client, target, item, stop.signal)
            : await exportDatabase(gateway.client, target, item, stop.signal);
        buffer.addExported(
          { id: item.id, files: result.files, issues: result.issues, unresolvedLinks: result.unresolvedLinks },
          result.discovered,
        );
      } catch (error) {
        if (stop.signal.aborted) return;
        const notion = itemFailure(error, gateway.baseUrl, item.id);
        if (notion) {
          buffer.addFailed({
            id: item.id,
            kind: item.kind,
            title: item.title,
            code: notion.code ?? notion.kind,
            message: notion.userMessage,
          });
          return;
        }
        fatal ??= error;
        stop.abort();
      } finally {
        inFlight.delete(item.id);
      }
    })();
    inFlight.set(item.id, task);
  };

  try {
    while (!stop.signal.aborted && !drain?.aborted) {
      const free = concurrency - inFlight.size;
      const next = free > 0 ? await nextPending(free) : [];
      for (const item of next) start(item);
      if (inFlight.size > 0 && (next.length === 0 || inFlight.size >= concurrency)) {
        await Promise.race(inFlight.values());
        continue;
      }
      if (inFlight.size > 0) continue;
      // Nothing in flight and nothing pending in the database: record what is buffered, which
      // may queue children, then promote candidates nobody reached.
      await buffer.flush();
      if ((await nextPending(1)).length > 0) continue;
      if (!(await promoteCandidates(ctx, exportId, target, buffer))) break;
    }
    await Promise.allSettled(inFlight.values());
    if (fatal !== undefined) throw fatal;
    if (!signal.aborted) await buffer.flush();
  } finally {
    signal.removeEventListener('abort', onAbort);
  }
}

/**
 * Queues, at the root of the export, the items that search listed but no walk reached (their
 * parent is not shared with the integration). Databases first: their rows are placed inside.
 */
async function promoteCandidates(
  ctx: AppContext,
  exportId: string,
  target: ExportTarget,
  buffer: ProgressBuffer,
): Promise<boolean> {
  const db = ctx.database.db;
  for (const kind of ['database', 'page'] as const) {
    const candidates = and(eq(exportItems.exportId, exportId), eq(exportItems.status, 'candidate'), eq(exportItems.kind, kind));
    // Prefer the tops of unreached subtrees: their descendants are then found by the walk.
    let rows = await db
      .select()
      .from(exportItems)
      .where(
        and(
          candidates,
          sql`not exists (select 1 from export_items p where p.export_id = ${exportId} and p.item_id = ${exportItems.parentId} and p.status = 'candidate')`,
        ),
      )
      .orderBy(asc(exportItems.seq))
      .limit(500);
    if (rows.length === 0) rows = await db.select().from(exportItems).where(candidates).orderBy(asc(exportItems.seq)).limit(500);
    if (rows.length === 0) continue;
    buffer.addDiscovered(
      await placeAtRoot(
        target,
        rows.map((r) => ({ id: r.itemId, kind: r.kind, title: r.title, parentId: r.parentId, dir: '', status: 'pending' as const })),
      ),
    );
    await buffer.flush();
    return true;
  }
  return false;
}

/** Names the items queued at the root of the export (the others are named by their parent). */
async function placeAtRoot(target: ExportTarget, items: DiscoveredItem[]): Promise<DiscoveredItem[]> {
  const roots = items.filter((i) => i.status === 'pending' && i.dir === '');
  if (roots.length === 0) return items;
  const taken = [...(await target.stemsIn('', roots.map((r) => r.id))), ATTACHMENTS_DIR, DEEP_DIR];
  const stems = assignSiblingStems(roots, taken, target.options.naming, { dir: '' });
  return items.map((i) =>
    i.status === 'pending' && i.dir === ''
      ? { ...i, stem: fitPath('', stems.get(i.id) ?? itemStem(i.title, i.id, target.options.naming)) }
      : i,
  );
}

/** A fresh URL for an expired Notion-hosted file: re-reads its block, page or database. */
async function freshFileUrl(client: Client, ref: AttachmentRef): Promise<string | undefined> {
  const samePath = (url: string) => url.split('?')[0] === ref.url.split('?')[0];
  const find = (refs: AttachmentRef[]) => refs.find((r) => samePath(r.url))?.url;
  const attempts: (() => Promise<string | undefined>)[] = [
    async () => {
      const block = await client.blocks.retrieve({ block_id: ref.sourceId });
      return isFullBlock(block) ? find(attachmentRefs(undefined, [block])) : undefined;
    },
    async () => {
      const page = await client.pages.retrieve({ page_id: ref.sourceId });
      return isFullPage(page) ? find(attachmentRefs(page, [])) : undefined;
    },
    async () => {
      const database = await client.databases.retrieve({ database_id: ref.sourceId });
      return isFullDatabase(database) ? find(databaseAttachmentRefs(database)) : undefined;
    },
  ];
  // The owner is a block (media, callout icon), a page (icon, cover, files property) or a
  // database (icon, cover); a wrong guess answers 404 or holds no such file.
  for (const attempt of attempts) {
    const url = await attempt().catch(() => undefined);
    if (url) return url;
  }
  return undefined;
}
