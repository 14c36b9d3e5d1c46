import { setMaxListeners } from 'node:events';
import type { exports } from '@/db/schema';
import type { AppContext } from '@/server/app-context';
import { connectionSecrets } from '@/server/connections/connections';
import type { ExportCommand } from '@/server/export/domain/decide';
import { DEFAULT_EXPORT_OPTIONS, type ExportFormat, type RequestStats } from '@/server/export/domain/export';
import type { ExportLease } from '@/server/export/domain/export-lease';
import { type HandleResult, handle } from '@/server/export/domain/handle';
import { AttachmentStore } from '@/server/export/files/attachments';
import { createNotionGateway, type NotionGateway } from '@/server/notion/notion-gateway';
import { type Clock, waitOrAbort } from '@/server/retry/clock';
import { readSettings, settingsForRun } from '@/server/settings';
import { BoundedCache } from './bounded-cache';
import type { ExportTarget } from './export-target';
import { freshFileUrl } from './fresh-file-url';
import { lookupItems, pageObjectStore, stemsInDir } from './item-lookup';
import { ProgressBuffer } from './progress-buffer';

type ExportRow = typeof exports.$inferSelect;

/** How often a running export looks at the request budget set in the dashboard. */
const BUDGET_CHECK_MS = 2000;
/**
 * How many waits may listen on an export's signal at once before Node reports a possible leak
 * (see `beginRun`): far above what an export's concurrent waits reach, far below what a listener
 * left behind by every page or request would add up to in a long export.
 */
const EXPORT_WAITS_LIMIT = 1000;

/** One run of an export by the runner that holds its lease. */
export interface ExportRun {
  ctx: AppContext;
  exportId: string;
  /** The export's row as it was when the run began. */
  row: ExportRow;
  /** The export's signal from the runner: aborts when the lease is lost, or it is paused, cancelled or shut down. */
  signal: AbortSignal;
  clock: Clock;
  /** The runner's lease: checked inside every append and before every file becomes visible. */
  lease: ExportLease;
  /** Appends `command`'s events as this run (runner and attempt), fenced by the lease. */
  record(command: ExportCommand): Promise<HandleResult>;
}

/** What a run works with once its connection is open. */
export interface ExportSession extends ExportRun {
  gateway: NotionGateway;
  target: ExportTarget;
  /** Progress recorded in batches (RecordProgress). */
  buffer: ProgressBuffer;
  /** The export's request counts so far: earlier runs' and this one's. */
  stats(): RequestStats;
}

export interface RunIdentity {
  attempt: number;
  runner: string;
  lease: ExportLease;
  /** The runner's signal for this export. */
  signal: AbortSignal;
  clock: Clock;
}

/**
 * Begins a run: the export's signal and clock, and the way it records.
 *
 * Every wait of the export listens on its signal until the wait ends: a request's turn at the
 * circuit breaker and the rate limiter, its attempt and backoff (one at a time per item in
 * flight), each attachment download, its backoff and the request for a fresh URL (as many as the
 * pages in flight have attachments), and the work loop. Each removes its listener when it ends,
 * so their number follows what is in flight, not how many pages the export has: more than Node's
 * default of 10 is expected, and only a count no export reaches (a listener left behind by every
 * page) is reported as a leak.
 */
export function beginRun(ctx: AppContext, row: ExportRow, identity: RunIdentity): ExportRun {
  setMaxListeners(EXPORT_WAITS_LIMIT, identity.signal);
  const meta = { runner: identity.runner, attempt: identity.attempt };
  return {
    ctx,
    exportId: row.id,
    row,
    signal: identity.signal,
    clock: identity.clock,
    lease: identity.lease,
    record: (command) => handle(ctx.store, row.id, command, meta, (tx) => identity.lease.check(tx)),
  };
}

/**
 * Opens what the run needs: the Notion gateway of the export's connection (its request budget
 * followed while the run lasts), the export tree it writes into, and the progress batches.
 */
export async function openSession(run: ExportRun): Promise<ExportSession & { close(): Promise<void> }> {
  const { ctx, row, signal } = run;
  const db = ctx.database.db;
  const { token, baseUrl } = await connectionSecrets(ctx, row.connectionId);
  // Attachments downloaded at the same time: a setting, read once as the run begins.
  const { attachmentDownloads } = await settingsForRun(db, ctx.config);
  const gateway = createNotionGateway({
    token,
    baseUrl,
    connectionId: row.connectionId,
    requestsPerSecond: ctx.config.requestsPerSecond,
    ...ctx.config.notionRetry,
    signal,
  });
  const stopFollowing = new AbortController();
  const following = await followBudget(run, gateway, stopFollowing.signal);
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
      concurrency: attachmentDownloads,
    }),
    lookup: (ids) => lookupItems(db, row.id, ids),
    stemsIn: (dir, except) => stemsInDir(db, row.id, dir, except),
    fence: run.lease.fence,
    pages: pageObjectStore(db, row.id),
    synced: new BoundedCache(500),
    dataSources: new BoundedCache(200),
  };
  const stats = requestStats(row, gateway);
  const buffer = new ProgressBuffer(async (batch) => {
    if (signal.aborted) throw new Error('The export was taken over or stopped; progress not recorded');
    await run.record({ type: 'RecordProgress', data: batch });
  }, stats);
  return {
    ...run,
    gateway,
    target,
    buffer,
    stats,
    async close() {
      stopFollowing.abort();
      buffer.dispose();
      await following.done;
    },
  };
}

/** Request counts of the export: those its earlier runs recorded, plus this run's gateway's. */
function requestStats(row: ExportRow, gateway: NotionGateway): () => RequestStats {
  return () => {
    const { requests, rateLimited, retries } = gateway.stats();
    const { effective, configured } = gateway.limiter.learned();
    return {
      requests: row.requests + requests,
      rateLimited: row.rateLimited + rateLimited,
      retries: row.retries + retries,
      pacedRate: effective < configured ? Math.round(effective * 100) / 100 : null,
    };
  };
}

/**
 * Sets the gateway's rate to the budget of the settings (changeable at run time in the dashboard),
 * then looks again every few seconds of the run's clock until `until` aborts. Resolves once the
 * first rate is set; `done` settles when the looking ends.
 */
async function followBudget(run: ExportRun, gateway: NotionGateway, until: AbortSignal): Promise<{ done: Promise<void> }> {
  const defaults = { requestsPerSecond: run.ctx.config.requestsPerSecond };
  const follow = async () => gateway.limiter.setRate((await readSettings(run.ctx.database.db, defaults)).requestsPerSecond);
  await follow();
  const done = (async () => {
    while (await waitOrAbort(run.clock, BUDGET_CHECK_MS, until)) {
      try {
        await follow();
      } catch {
        // The settings could not be read this time (a busy database): the rate stays as it is
        // until the next look.
      }
    }
  })();
  return { done };
}
