import { eq } from 'drizzle-orm';
import { exports } from '@/db/schema';
import type { AppContext } from '@/server/app-context';
import { InvalidStateError } from '@/server/export/domain/decide';
import { type ExportLease, isLeaseLost } from '@/server/export/domain/export-lease';
import { allows } from '@/server/export/domain/export-status';
import { sweepTempFiles } from '@/server/export/files/atomic-write';
import { logger } from '@/server/observability/logger';
import { ATTR_EXPORT_ID, recordErrorInActiveSpan, withSpan } from '@/server/observability/spans';
import { type Clock, systemClock } from '@/server/retry/clock';
import { discoverItems } from './discover';
import { fatalFrom } from './export-errors';
import { beginRun, type ExportRun, type ExportSession, openSession } from './export-session';
import { heapKeeper } from './collect-garbage';
import { finishExport } from './finish-export';
import { discoverSync } from './sync-discover';
import { exportAllItems } from './work-loop';

export interface RunExportOptions {
  exportId: string;
  attempt: number;
  runner: string;
  /** Fires when the lease is lost or the runner shuts down: stop at once, record nothing more. */
  signal: AbortSignal;
  /** The runner's lease: checked inside every append and before every file becomes visible. */
  lease: ExportLease;
  /** Items exported at the same time (their requests share the token's rate limiter); unset, the setting, followed while the run lasts. */
  concurrency?: number;
  /** Graceful stop: start no new page, finish the ones in flight, record them, and return. */
  drain?: AbortSignal;
  /** The runner's clock: the budget checks and the time a retry is scheduled from. Default: the system clock. */
  clock?: Clock;
}

/** `retrying`: failed with a retryable error and queued again, to run after a backoff. */
export type RunOutcome = 'completed' | 'completed_with_errors' | 'failed' | 'retrying' | 'paused' | 'aborted' | 'skipped';

/**
 * Performs one export for the runner that holds its lease: discovers what the token can see,
 * exports every page and database (resuming from the checkpoints of earlier attempts), writes
 * the manifest last and completes. Progress is recorded in batches as events.
 */
export async function runExport(ctx: AppContext, options: RunExportOptions): Promise<RunOutcome> {
  const [row] = await ctx.database.db.select().from(exports).where(eq(exports.id, options.exportId));
  if (!row || !allows('StartExport', row.status)) return 'skipped';
  const attributes = () => ({ [ATTR_EXPORT_ID]: options.exportId, 'notion_sync.attempt': options.attempt, 'notion_sync.runner': options.runner });
  // The run's span: its items, their Notion requests and files are its descendants.
  return withSpan('export.run', attributes, async (span) => {
    const log = logger.child({ exportId: options.exportId });
    const run = beginRun(ctx, row, { ...options, clock: options.clock ?? systemClock });
    await run.record({ type: 'StartExport', data: { attempt: options.attempt, runner: options.runner } });
    log.info({ attempt: options.attempt }, 'export run started');
    const releaseHeap = heapKeeper.hold();
    const outcome = await perform(run, options.concurrency, options.drain).finally(releaseHeap);
    span.setAttribute('notion_sync.outcome', outcome);
    log.info({ outcome }, `export run ended: ${outcome}`);
    return outcome;
  });
}

/** Discovery (unless an earlier run finished it), the work loop, the finish; or how an error ends the run. */
async function perform(run: ExportRun, concurrency: number | undefined, drain: AbortSignal | undefined): Promise<RunOutcome> {
  let session: (ExportSession & { close(): Promise<void>; pagesInFlight(): number }) | undefined;
  try {
    const opened = await openSession(run);
    session = opened;
    // A runner killed mid-write (this export's or an earlier one into the same folder) leaves
    // temp files; nothing of them belongs in the export. Cheap on a new folder.
    await sweepTempFiles(run.row.outDir);
    if (run.row.phase === 'queued' || run.row.phase === 'discovering') {
      // A sync starts from its baseline and lists what changed; an export lists everything.
      const sync = run.row.mode === 'sync' && run.row.baselineExportId !== null;
      await withSpan(sync ? 'export.sync-discover' : 'export.discover', undefined, () =>
        sync ? discoverSync(opened).then(() => undefined) : discoverItems(opened),
      );
    }
    await exportAllItems(session, concurrency ?? opened.pagesInFlight, drain);
    if (run.signal.aborted || drain?.aborted) return 'aborted';
    return await withSpan('export.finish', undefined, () => finishExport(opened));
  } catch (error) {
    return await endOnError(run, session, error);
  } finally {
    await session?.close();
  }
}

/** How an error ends the run: paused (token, disk), queued again for a retry, or failed. */
async function endOnError(run: ExportRun, session: ExportSession | undefined, error: unknown): Promise<RunOutcome> {
  // Cancelled, paused or taken over meanwhile: this runner records nothing more.
  if (run.signal.aborted || error instanceof InvalidStateError || isLeaseLost(error)) return 'aborted';
  const fatal = fatalFrom(error, session?.gateway.baseUrl);
  recordErrorInActiveSpan(error);
  logger.warn({ exportId: run.exportId, err: error }, `export ${fatal.pause ? 'paused' : 'stopped'}: ${fatal.message}`);
  try {
    await session?.buffer.flush();
  } catch {
    // What could not be recorded now is exported again by the next run; the failure is recorded
    // either way.
  }
  if (fatal.pause) {
    await run.record({ type: 'PauseExport', data: { reason: fatal.message, cause: fatal.pause } });
    return 'paused';
  }
  // A retryable failure with retries left goes back to the queue, to run again after a backoff.
  const failed = await run.record({
    type: 'FailExport',
    data: { reason: fatal.message, retryable: fatal.retryable, now: new Date(run.clock.now()), jitter: Math.random() },
  });
  return failed.state.status === 'queued' ? 'retrying' : 'failed';
}
