import type { Tx } from '@/db/client';
import { ConcurrencyError, type EventStore } from '@/server/events/event-store';
import { type ExportCommand, decide } from './decide';
import { type ExportState, evolve, exportStreamId, initialState, parseExportEvent } from './export';

export interface HandleResult {
  state: ExportState;
  version: number;
  lastPosition: number;
}

/** Reads the stream and folds it into the export's state. */
export async function loadExport(store: EventStore, exportId: string): Promise<{ state: ExportState; version: number }> {
  const recorded = await store.readStream(exportStreamId(exportId));
  let state = initialState();
  for (const e of recorded) state = evolve(state, parseExportEvent(e.type, e.data));
  return { state, version: recorded.length === 0 ? 0 : recorded[recorded.length - 1]!.streamVersion };
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
