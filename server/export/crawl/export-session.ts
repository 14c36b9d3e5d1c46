import { setMaxListeners } from 'node:events';
import { createHash } from 'node:crypto';
import { readFile, stat } from 'node:fs/promises';
import path from 'node:path';
import { and, eq } from 'drizzle-orm';
import type { DB } from '@/db/client';
import { exportFiles, type exports } from '@/db/schema';
import type { AppContext } from '@/server/app-context';
import { connectionSecrets, connectionWorkspaceKey } from '@/server/connections/connections';
import type { ExportCommand } from '@/server/export/domain/decide';
import { DEFAULT_EXPORT_OPTIONS, type ExportFormat, type RequestStats } from '@/server/export/domain/export';
import type { ExportLease } from '@/server/export/domain/export-lease';
import { type HandleResult, handle } from '@/server/export/domain/handle';
import { AttachmentStore } from '@/server/export/files/attachments';
import { createNotionGateway, type NotionGateway } from '@/server/notion/notion-gateway';
import type { Clock } from '@/server/retry/clock';
import { isEnabled } from '@/server/feature-flags';
import { PROFILES } from '@/server/config';
import { followSettings, type RuntimeSettings, settingsForRun } from '@/server/settings';
import { BoundedCache } from './bounded-cache';
import { withoutVolatileParts } from '@/server/export/files/volatile-parts';
import type { ExportTarget } from './export-target';
import { freshFileUrl } from './fresh-file-url';
import { lookupItems, pageObjectStore, stemsInDir } from './item-lookup';
import { ProgressBuffer } from './progress-buffer';
import { baselineRelinker } from './sync-relink';
import { UserDirectory, userDirectoryStore } from './user-directory';

type ExportRow = typeof exports.$inferSelect;

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
 * Opens what the run needs: the Notion gateway of the export's connection, the export tree it
 * writes into, and the progress batches. The settings (request budget, pages in flight,
 * downloads at once) and the downloadExternalFiles flag are followed while the run lasts.
 */
export async function openSession(run: ExportRun): Promise<ExportSession & { close(): Promise<void>; pagesInFlight(): number }> {
  const { ctx, row, signal } = run;
  const db = ctx.database.db;
  const { token, baseUrl } = await connectionSecrets(ctx, row.connectionId);
  // The settings as the run begins; followSettings below keeps them current.
  const first = await settingsForRun(db, ctx.config);
  // Every connection into one workspace shares its budget (server/notion/workspace-limiter.ts).
  const workspace = await connectionWorkspaceKey(ctx, row.connectionId);
  const gateway = createNotionGateway({
    token,
    baseUrl,
    workspace,
    connectionId: row.connectionId,
    requestsPerSecond: ctx.config.requestsPerSecond,
    ...ctx.config.notionRetry,
    signal,
  });
  const options = { ...DEFAULT_EXPORT_OPTIONS, ...row.options };
  const target: ExportTarget = {
    root: row.outDir,
    formats: row.formats as ExportFormat[],
    options,
    attachments: new AttachmentStore({
      root: row.outDir,
      downloadExternal: options.downloadExternal && (await isEnabled(db, 'downloadExternalFiles', { clock: run.clock })),
      // Development and the demo (their Notion twin serves files on the loopback): any address.
      publicAddressesOnly: !PROFILES[ctx.config.deployment ?? 'production'].anyConnectionBaseUrl,
      refresh: (ref) => freshFileUrl(gateway.client, ref),
      signal,
      concurrency: first.attachmentDownloads,
    }),
    lookup: (ids) => lookupItems(db, row.id, ids),
    stemsIn: (dir, except) => stemsInDir(db, row.id, dir, except),
    fence: run.lease.fence,
    pages: pageObjectStore(db, row.id),
    synced: new BoundedCache(500),
    dataSources: new BoundedCache(200),
    users: new UserDirectory(gateway.client, userDirectoryStore(db, row.id)),
    ...(row.mode === 'sync' && row.baselineExportId ? { unchanged: unchangedSince(db, row.baselineExportId, row.outDir) } : {}),
  };
  if (row.mode === 'sync' && row.baselineExportId) target.relink = baselineRelinker(db, row.id, row.baselineExportId, target);
  let pagesInFlight = first.pagesInFlight;
  const stopFollowing = new AbortController();
  const following = await followSettings(db, ctx.config, {
    clock: run.clock,
    until: stopFollowing.signal,
    apply: async (now: RuntimeSettings) => {
      gateway.limiter.setRate(now.requestsPerSecond);
      pagesInFlight = now.pagesInFlight;
      const external = options.downloadExternal && (await isEnabled(db, 'downloadExternalFiles', { clock: run.clock }));
      target.attachments.tune({ concurrency: now.attachmentDownloads, downloadExternal: external });
    },
  });
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
    pagesInFlight: () => pagesInFlight,
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
 * A sync's check before writing a file: the baseline recorded the same bytes at that path (or,
 * for JSON, bytes that differ only in signed file URLs), and the file in the folder (linked from
 * the baseline, or the baseline's own in place) is still that one.
 */
function unchangedSince(db: DB, baselineId: string, root: string): NonNullable<ExportTarget['unchanged']> {
  return async (file, text) => {
    const [before] = await db
      .select({ bytes: exportFiles.bytes, sha256: exportFiles.sha256 })
      .from(exportFiles)
      .where(and(eq(exportFiles.exportId, baselineId), eq(exportFiles.path, file.path)));
    if (!before) return undefined;
    const abs = path.join(root, ...file.path.split('/'));
    const onDisk = await stat(abs).catch(() => undefined);
    if (!onDisk?.isFile() || onDisk.size !== before.bytes) return undefined;
    if (before.sha256 === file.sha256 && before.bytes === file.bytes) return before;
    if (text === undefined || !file.path.endsWith('.json')) return undefined;
    const old = await readFile(abs, 'utf8').catch(() => undefined);
    if (old === undefined || createHash('sha256').update(old).digest('hex') !== before.sha256) return undefined;
    return withoutVolatileParts(old) === withoutVolatileParts(text) ? before : undefined;
  };
}
