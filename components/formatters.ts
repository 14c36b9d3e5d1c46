/** Display formatting shared by the dashboard and the export pages (browser locale). */

/** Dates come over tRPC as ISO strings (no transformer); accept both. */
export function formatDateTime(value: string | Date | null | undefined): string {
  if (!value) return '—';
  const date = new Date(value);
  if (Number.isNaN(date.getTime())) return '—';
  return date.toLocaleString(undefined, { dateStyle: 'medium', timeStyle: 'short' });
}

export function formatTime(value: string | Date): string {
  return new Date(value).toLocaleTimeString(undefined, { hour: '2-digit', minute: '2-digit', second: '2-digit' });
}

export function formatNumber(value: number): string {
  return value.toLocaleString();
}

/** A rough span for estimates: "45 s" under 90 s, "12 min" under 90 min, then "2.5 h". */
export function formatApproxSeconds(seconds: number): string {
  if (seconds < 90) return `${Math.round(seconds)} s`;
  if (seconds < 5400) return `${Math.round(seconds / 60)} min`;
  return `${(seconds / 3600).toFixed(1)} h`;
}
