import { cn } from './cn';

export interface ProgressBarProps {
  /** 0–100; clamped. */
  value: number;
  /** Accessible name, e.g. "Export progress". */
  label: string;
  /** Read out instead of the bare percentage, e.g. "42 of 120 pages". */
  valueText?: string;
  tone?: 'default' | 'success' | 'danger';
  className?: string;
}

const BAR_TONES = {
  default: 'bg-slate-900',
  success: 'bg-emerald-600',
  danger: 'bg-red-600',
} as const;

export function ProgressBar({ value, label, valueText, tone = 'default', className }: ProgressBarProps) {
  const percent = Math.max(0, Math.min(100, Math.round(value)));
  return (
    <div
      role="progressbar"
      aria-label={label}
      aria-valuemin={0}
      aria-valuemax={100}
      aria-valuenow={percent}
      aria-valuetext={valueText}
      className={cn('h-2.5 w-full overflow-hidden rounded-full bg-slate-200', className)}
    >
      <div
        className={cn('h-full rounded-full transition-[width] duration-500 ease-out', BAR_TONES[tone])}
        style={{ width: `${percent}%` }}
      />
    </div>
  );
}
