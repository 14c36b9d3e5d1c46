import type { StatusLook } from '@/components/export-status-badge';
import type { BadgeTone } from '@/components/ui/badge';
import type { ProgressBarProps } from '@/components/ui/progress-bar';
import { type ExportStatus, exportStatusLabel, isDownloadable } from '@/server/export/domain/export-status';

const TONE: Record<ExportStatus, { tone: BadgeTone; pulse?: boolean }> = {
  queued: { tone: 'neutral', pulse: true },
  running: { tone: 'info', pulse: true },
  paused: { tone: 'warning' },
  completed: { tone: 'success' },
  completed_with_errors: { tone: 'warning' },
  failed: { tone: 'danger' },
  cancelled: { tone: 'neutral' },
};

/** The badge of an export's status: its label from export-status, its tone here. */
export const statusLook = (status: ExportStatus): StatusLook => ({ label: exportStatusLabel(status), ...TONE[status] });

/** The colour of an export's progress bar: red once it failed, green once it can be downloaded. */
export const progressTone = (status: ExportStatus): ProgressBarProps['tone'] =>
  status === 'failed' ? 'danger' : isDownloadable(status) ? 'success' : 'default';
