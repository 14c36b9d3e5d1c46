import type { Tx } from '@/db/client';
import { ConcurrencyError, type EventStore } from '@/server/events/event-store';
import { type ExportCommand, decide } from './decide';
import { eq } from 'drizzle-orm';
import { exports } from '@/db/schema';
import {
  DEFAULT_EXPORT_OPTIONS,
  type ExportEventOf,
  type ExportFormat,
  type ExportState,
  evolve,
  exportStreamId,
  initialState,
  parseExportEvent,
} from './export';
import type { PauseCause } from './export-status';

export interface HandleResult {
  state: ExportState;
  version: number;
  lastPosition: number;
}

/**
 * The export's state: the exports read model is its snapshot (updated in the same transaction as
 * every append, with the stream version it reflects), and any events after that version are
 * folded on top. A long export therefore costs one row read per command, not a replay of
 * thousands of events.
 */
export async function loadExport(store: EventStore, exportId: string): Promise<{ state: ExportState; version: number }> {
  const [row] = await store.db.select().from(exports).where(eq(exports.id, exportId));
  let state: ExportState = row ? snapshotOf(row) : initialState();
  let version = row?.streamVersion ?? 0;
  for (const e of await store.readStream(exportStreamId(exportId), version + 1)) {
    state = evolve(state, parseExportEvent(e.type, e.data));
    version = e.streamVersion;
  }
  return { state, version };
}

function snapshotOf(row: typeof exports.$inferSelect): ExportState {
  return {
    status: row.status,
    exportId: row.id,
    connectionId: row.connectionId,
    formats: row.formats as ExportFormat[],
    outDir: row.outDir,
    options: { ...DEFAULT_EXPORT_OPTIONS, ...row.options },
    attempt: row.attempt,
    failed: row.pagesFailed,
    retrying: row.retryingPages ?? null,
  };
}

/** Why a paused export paused (the last ExportPaused of its stream). */
export async function pauseCauseOf(store: EventStore, exportId: string): Promise<PauseCause | undefined> {
  const event = await store.lastOfType(exportStreamId(exportId), 'ExportPaused');
  return event ? (parseExportEvent(event.type, event.data) as ExportEventOf<'ExportPaused'>).data.cause : undefined;
}

/**
 * The one way to change an export: load, decide, append with the expected version, and retry
 * once when another writer moved the stream in between.
 */
export async function handle(
  store: EventStore,
  exportId: string,
  command: ExportCommand,
  metadata: Record<string, unknown> = {},
  guard?: (tx: Tx) => Promise<void>,
): Promise<HandleResult> {
  for (let attempt = 1; ; attempt++) {
    const { state, version } = await loadExport(store, exportId);
    const events = decide(command, state);
    try {
      const result = await store.append(
        exportStreamId(exportId),
        version,
        events.map((e) => ({ type: e.type, data: e.data, metadata })),
        { guard },
      );
      const next = events.reduce(evolve, state);
      return { state: next, version: result.nextVersion, lastPosition: result.lastPosition };
    } catch (error) {
      if (error instanceof ConcurrencyError && attempt < 2) continue;
      throw error;
    }
  }
}
