import { Badge, type BadgeTone } from './ui/badge';

/** Mirrors the server's export status; kept as a plain string union so components/ needs no server import. */
export type ExportStatus = 'queued' | 'running' | 'paused' | 'completed' | 'completed_with_errors' | 'failed' | 'cancelled';

const LOOK: Record<ExportStatus, { label: string; tone: BadgeTone; pulse?: boolean }> = {
  queued: { label: 'Queued', tone: 'neutral', pulse: true },
  running: { label: 'Running', tone: 'info', pulse: true },
  paused: { label: 'Paused', tone: 'warning' },
  completed: { label: 'Completed', tone: 'success' },
  completed_with_errors: { label: 'Completed with errors', tone: 'warning' },
  failed: { label: 'Failed', tone: 'danger' },
  cancelled: { label: 'Cancelled', tone: 'neutral' },
};

export const exportStatusLabel = (status: ExportStatus): string => LOOK[status]?.label ?? status;

export function ExportStatusBadge({ status, 'data-testid': testId }: { status: ExportStatus; 'data-testid'?: string }) {
  const look = LOOK[status] ?? { label: status, tone: 'neutral' };
  return (
    <Badge tone={look.tone} pulse={look.pulse} data-testid={testId}>
      {look.label}
    </Badge>
  );
}
