/** Timestamps as Notion formats them. */

export const MINUTE = 60_000;

/** ISO timestamp rounded down to the minute, as Notion returns for pages, blocks and data sources. */
export function minuteIso(ms: number): string {
  return new Date(Math.floor(ms / MINUTE) * MINUTE).toISOString();
}

/** `2026-07-04T09:08:57.778+00:00`, the format Notion uses for database timestamps. */
export function databaseIso(ms: number): string {
  return new Date(ms).toISOString().replace('Z', '+00:00');
}
