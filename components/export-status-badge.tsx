import { Badge, type BadgeTone } from './ui/badge';

/** How a status badge looks: its words and tone, chosen by app/ from the export's status (export-status). */
export interface StatusLook {
  label: string;
  tone: BadgeTone;
  pulse?: boolean;
}

export function ExportStatusBadge({ look, 'data-testid': testId }: { look: StatusLook; 'data-testid'?: string }) {
  return (
    <Badge tone={look.tone} pulse={look.pulse} data-testid={testId}>
      {look.label}
    </Badge>
  );
}
