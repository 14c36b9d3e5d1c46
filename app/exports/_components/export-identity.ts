import { describeBytes, describeDuration, plural, runningTimeMs } from '@/server/export/domain/export-status';

/** What the list and the export page say about which export this is (fields of `exports.list` / `exports.get`). */
export interface ExportIdentityFields {
  id: string;
  connectionName: string | null;
  workspaceName: string | null;
  formats: string[];
  options: { naming?: 'notion' | 'clean'; downloadExternal?: boolean };
  requestedByUser: string | null;
  bytesWritten: number;
  filesWritten: number;
  activeMs: number;
  runningSince: string | Date | null;
  startedAt: string | Date | null;
}

/** `1a2b3c4d`: enough of the id to tell exports apart in words. */
export const shortExportId = (id: string) => id.slice(0, 8);

/** `Export 1a2b3c4d`: the short name links and buttons use. */
export const exportShortName = (id: string) => `Export ${shortExportId(id)}`;

/** The workspace the export is of, as its connection knows it. */
export function exportWorkspace(row: Pick<ExportIdentityFields, 'connectionName' | 'workspaceName'>): string {
  return row.workspaceName ?? row.connectionName ?? 'Unknown workspace';
}

/** The connection, when its name says more than the workspace's. */
export function exportConnection(row: Pick<ExportIdentityFields, 'connectionName' | 'workspaceName'>): string | null {
  return row.connectionName && row.connectionName !== row.workspaceName ? row.connectionName : null;
}

const FORMAT_LABELS: Record<string, string> = { markdown: 'Markdown', html: 'HTML', json: 'JSON', csv: 'CSV' };

/** "Markdown + CSV · clean names · external files": formats and the options that differ from Notion's own export. */
export function describeFormatsAndOptions(row: Pick<ExportIdentityFields, 'formats' | 'options'>): string {
  const parts = [row.formats.map((f) => FORMAT_LABELS[f] ?? f).join(' + ')];
  parts.push(row.options.naming === 'clean' ? 'clean names' : 'Notion names');
  if (row.options.downloadExternal) parts.push('external files');
  return parts.join(' · ');
}

/** Who started it: a person's email, or the CLI (or a schedule) when nobody signed in did. */
export const describeStartedBy = (row: Pick<ExportIdentityFields, 'requestedByUser'>) => row.requestedByUser ?? 'CLI or schedule';

/** "12.4 MB · 310 files" on disk. */
export const describeSize = (row: Pick<ExportIdentityFields, 'bytesWritten' | 'filesWritten'>) =>
  `${describeBytes(row.bytesWritten)} · ${plural(row.filesWritten, 'file')}`;

/** Time spent running (paused and queued time left out); a dash before it first ran. */
export function describeRunningTime(row: Pick<ExportIdentityFields, 'activeMs' | 'runningSince' | 'startedAt'>, now: number): string {
  return row.startedAt ? describeDuration(runningTimeMs(row, now)) : '—';
}
