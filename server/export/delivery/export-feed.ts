import { eq } from 'drizzle-orm';
import type { DB } from '@/db/client';
import { exports } from '@/db/schema';
import { DomainError } from '@/server/errors';
import type { EventStore, RecordedEvent } from '@/server/events/event-store';
import type { LiveFeed } from '@/server/events/live-feed';
import { ExportEventSchemas, exportStreamId } from '@/server/export/domain/export';
import { isFinished } from '@/server/export/domain/export-status';
import { type ActivityEntry, describeExportEvent } from './describe-export-event';

export type ExportRow = typeof exports.$inferSelect;

/** A page or database that could not be exported, as the export page lists it. */
export interface FeedFailure {
  id: string;
  kind: 'page' | 'database';
  title: string;
  error: string;
}

/** One message of an export's live progress: what happened since the previous one, and the export now. */
export interface ExportProgressMessage {
  /** Global position of the newest event in the message: its SSE event id, where a reconnect resumes. */
  position: number;
  /** The message's events in words, oldest first. */
  activity: ActivityEntry[];
  /** Pages and databases these events report as failed. */
  failures: FeedFailure[];
  /** The export's row, at least as new as `position`. */
  progress: ExportRow;
}

/** What following an export reads: the event log, the live feed of this process's commits, the exports row. */
export interface FeedContext {
  store: Pick<EventStore, 'readStreamAfter'>;
  feed: Pick<LiveFeed, 'subscribe'>;
  database: { db: DB };
}

/** Resolves after `ms`, or as soon as `signal` aborts. */
export type Sleep = (ms: number, signal: AbortSignal) => Promise<void>;

export interface FollowOptions {
  /** How long the live feed stays quiet before the log is read for commits of other processes. */
  quietMs?: number;
  /** The quiet time doubles after every read that finds nothing, up to this. */
  maxQuietMs?: number;
  /** Events per message while catching up from the log. */
  pageSize?: number;
  sleep?: Sleep;
}

const sleepUnlessWoken: Sleep = (ms, signal) =>
  new Promise((resolve) => {
    const done = () => {
      clearTimeout(timer);
      resolve();
    };
    const timer = setTimeout(done, ms);
    signal.addEventListener('abort', done, { once: true });
  });

async function readRow(db: DB, exportId: string): Promise<ExportRow | undefined> {
  const [row] = await db.select().from(exports).where(eq(exports.id, exportId));
  return row;
}

function failuresOf(events: RecordedEvent[]): FeedFailure[] {
  return events.flatMap((recorded) => {
    const failed = recorded.type === 'PageFailed' ? ExportEventSchemas.PageFailed.safeParse(recorded.data) : undefined;
    if (!failed?.success) return [];
    const { id, kind, title, message } = failed.data;
    return [{ id, kind, title, error: message }];
  });
}

/** Whether `events` (sorted) follow stream version `version` without a hole; an unknown version never does. */
const continues = (version: number | undefined, events: RecordedEvent[]) =>
  events.every((e, i) => e.streamVersion === (i === 0 ? (version ?? -1) : (events[i - 1]?.streamVersion ?? -1)) + 1);

/**
 * Follows one export's stream for a live view: the events after `afterPosition` (where a
 * reconnecting client stopped), then every new commit, until the export is finished.
 *
 * It subscribes to the live feed before reading the log, so no commit falls between the two.
 * Events this process commits arrive through the live feed with their data and are used as they
 * are; each message reads only the export's row. The log is read to catch up, when the pushed
 * events leave a hole in the stream's versions (another process appended in between), and after
 * the live feed has been quiet for `quietMs` (doubling up to `maxQuietMs` while nothing comes):
 * that is how the commits of a standalone worker arrive.
 */
export async function* followExport(
  ctx: FeedContext,
  exportId: string,
  afterPosition: number,
  signal: AbortSignal,
  options: FollowOptions = {},
): AsyncGenerator<ExportProgressMessage> {
  const { quietMs = 2_000, maxQuietMs = 30_000, pageSize = 500, sleep = sleepUnlessWoken } = options;
  const streamId = exportStreamId(exportId);
  const pushed: RecordedEvent[] = [];
  let wake = () => {};
  const unsubscribe = ctx.feed.subscribe((events) => {
    const mine = events.filter((e) => e.streamId === streamId);
    if (mine.length === 0) return;
    pushed.push(...mine);
    wake();
  });
  const onAbort = () => wake();
  signal.addEventListener('abort', onAbort);
  try {
    let row = await readRow(ctx.database.db, exportId);
    if (!row) return;
    let position = afterPosition;
    // Stream version of the event at `position`: pushed events must follow it without a hole.
    let version = row.lastPosition === position ? row.streamVersion : undefined;
    let behind = true;
    let quiet = quietMs;
    while (!signal.aborted) {
      let events: RecordedEvent[];
      if (behind) {
        events = await ctx.store.readStreamAfter(streamId, position, pageSize);
        behind = events.length === pageSize;
      } else if (pushed.length > 0) {
        events = pushed
          .splice(0)
          .filter((e) => e.globalPosition > position)
          .sort((a, b) => a.globalPosition - b.globalPosition);
        quiet = quietMs;
        if (!continues(version, events)) {
          behind = true;
          continue;
        }
      } else {
        if (isFinished(row.status) && position >= row.lastPosition) return;
        const wait = new AbortController();
        wake = () => wait.abort();
        await sleep(quiet, wait.signal);
        wake = () => {};
        if (signal.aborted || pushed.length > 0) continue;
        events = await ctx.store.readStreamAfter(streamId, position, pageSize);
        behind = events.length === pageSize;
        quiet = events.length > 0 ? quietMs : Math.min(quiet * 2, maxQuietMs);
      }
      if (events.length === 0) continue;
      const current = await readRow(ctx.database.db, exportId);
      if (!current) return;
      row = current;
      const last = events.at(-1);
      if (!last) continue;
      position = last.globalPosition;
      version = last.streamVersion;
      yield { position, activity: events.map(describeExportEvent), failures: failuresOf(events), progress: row };
    }
  } finally {
    unsubscribe();
    signal.removeEventListener('abort', onAbort);
  }
}

/** `followExport` for a client: fails with NOT_FOUND, before streaming, when there is no such export. */
export async function openExportFeed(
  ctx: FeedContext,
  exportId: string,
  afterPosition: number,
  signal: AbortSignal,
): Promise<AsyncGenerator<ExportProgressMessage>> {
  if (!(await readRow(ctx.database.db, exportId))) throw new DomainError('NOT_FOUND', `Export ${exportId} does not exist`);
  return followExport(ctx, exportId, afterPosition, signal);
}
