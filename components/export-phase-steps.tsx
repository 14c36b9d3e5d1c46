import { cn } from './ui/cn';

export type ExportPhase = 'queued' | 'discovering' | 'exporting' | 'finishing' | 'done';

const PHASES: { phase: ExportPhase; label: string }[] = [
  { phase: 'queued', label: 'Queued' },
  { phase: 'discovering', label: 'Discovering' },
  { phase: 'exporting', label: 'Exporting' },
  { phase: 'finishing', label: 'Finishing' },
  { phase: 'done', label: 'Done' },
];

export const exportPhaseLabel = (phase: ExportPhase): string => PHASES.find((p) => p.phase === phase)?.label ?? phase;

/** The export's phases as a row of steps; the current one is marked with aria-current. */
export function ExportPhaseSteps({ phase, stopped = false }: { phase: ExportPhase; stopped?: boolean }) {
  const current = PHASES.findIndex((p) => p.phase === phase);
  return (
    <ol aria-label="Phases" className="flex flex-wrap items-center gap-x-2 gap-y-1 text-xs">
      {PHASES.map((p, i) => {
        const state = i < current ? 'past' : i === current ? 'current' : 'future';
        return (
          <li key={p.phase} aria-current={state === 'current' ? 'step' : undefined} className="flex items-center gap-2">
            {i > 0 && <span aria-hidden="true" className="h-px w-4 bg-slate-300" />}
            <span
              className={cn(
                'rounded-full px-2 py-0.5 font-medium',
                state === 'past' && 'bg-slate-100 text-slate-600',
                state === 'current' &&
                  (stopped
                    ? 'bg-red-100 text-red-800'
                    : phase === 'done'
                      ? 'bg-emerald-700 text-white'
                      : 'bg-slate-900 text-white'),
                state === 'future' && 'text-slate-500',
              )}
            >
              {p.label}
            </span>
          </li>
        );
      })}
    </ol>
  );
}
