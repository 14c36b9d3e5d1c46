/** An export's progress: pages and databases found, done and failed. */
export interface ExportProgressCounts {
  pagesDiscovered: number;
  pagesDone: number;
  pagesFailed: number;
}

/** Percent of discovered pages that are done or failed; 100 once the export is `complete`. */
export function exportPercent(row: ExportProgressCounts, complete = false): number {
  if (complete) return 100;
  if (row.pagesDiscovered <= 0) return 0;
  return Math.min(100, Math.floor(((row.pagesDone + row.pagesFailed) / row.pagesDiscovered) * 100));
}
