import type { StatusLook } from '@/components/export-status-badge';
import type { BadgeTone } from '@/components/ui/badge';
import { type ExportStatus, exportStatusLabel } from '@/server/export/domain/export-status';

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
