import type { EventStore } from '@/server/events/event-store';

/** The tables the export projections write: emptied before a rebuild from the event log. */
const EXPORT_READ_MODEL_TABLES = ['export_files', 'export_issues', 'export_items', 'export_jobs', 'exports'];

/** Empties the export read models and rebuilds them from the event log; returns the events replayed. */
export function rebuildExportReadModels(store: EventStore): Promise<number> {
  return store.replayProjections(async (tx) => {
    for (const table of EXPORT_READ_MODEL_TABLES) await tx.run(`delete from ${table}` as never);
  });
}
