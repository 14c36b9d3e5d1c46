import type { ExportStatus } from './export-status-badge';

export interface ExportCounts {
  status: ExportStatus;
  pagesDiscovered: number;
  pagesDone: number;
  pagesFailed: number;
}

const FINISHED: ReadonlySet<ExportStatus> = new Set(['completed', 'completed_with_errors', 'failed', 'cancelled']);

export const isFinishedStatus = (status: ExportStatus): boolean => FINISHED.has(status);
export const isDownloadable = (status: ExportStatus): boolean =>
  status === 'completed' || status === 'completed_with_errors';

/** Percent of discovered pages that are done or failed; 100 once the export completed. */
export function exportPercent(row: ExportCounts): number {
  if (isDownloadable(row.status)) return 100;
  if (row.pagesDiscovered <= 0) return 0;
  return Math.min(100, Math.floor(((row.pagesDone + row.pagesFailed) / row.pagesDiscovered) * 100));
}
