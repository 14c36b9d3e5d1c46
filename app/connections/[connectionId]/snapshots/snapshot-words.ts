import { describeBytes, plural } from '@/server/export/domain/export-status';

/** The words and links the snapshot views share (pure: tested without a browser). */

export type SnapshotTrigger = 'manual' | 'cli' | 'schedule' | 'webhook';

const TRIGGERS: Record<SnapshotTrigger, string> = { manual: 'Manual', cli: 'CLI', schedule: 'Scheduled', webhook: 'Webhook' };

/** "Scheduled sync", "Manual full export". */
export function describeKind(trigger: SnapshotTrigger, mode: 'full' | 'sync'): string {
  return `${TRIGGERS[trigger]} ${mode === 'sync' ? 'sync' : 'full export'}`;
}

export interface ChangeCounts {
  added: number;
  updated: number;
  moved: number;
  removed: number;
}

/** "2 added · 3 edited · 1 moved" — or "No changes"; null when not known (a full export). */
export function describeChanges(changes: ChangeCounts | null): string | null {
  if (!changes) return null;
  const parts = [
    changes.added > 0 ? `${changes.added.toLocaleString('en-US')} added` : '',
    changes.updated > 0 ? `${changes.updated.toLocaleString('en-US')} edited` : '',
    changes.moved > 0 ? `${changes.moved.toLocaleString('en-US')} moved` : '',
    changes.removed > 0 ? `${changes.removed.toLocaleString('en-US')} removed` : '',
  ].filter(Boolean);
  return parts.length > 0 ? parts.join(' · ') : 'No changes';
}

/** "1.2 MB own · 40 MB shared" (a lower bound when the walk was cut short). */
export function describeDisk(disk: { ownBytes: number; sharedBytes: number; complete: boolean } | null): string {
  if (!disk) return 'Files no longer on this server';
  const words = `${describeBytes(disk.ownBytes)} own · ${describeBytes(disk.sharedBytes)} shared`;
  return disk.complete ? words : `at least ${words}`;
}

/** "3 pages · 1 database". */
export function describeItems(counts: { pages: number; databases: number }): string {
  return counts.databases > 0 ? `${plural(counts.pages, 'page')} · ${plural(counts.databases, 'database')}` : plural(counts.pages, 'page');
}

interface Comparable {
  id: string;
  /** When it finished (an ISO string in the browser). */
  finishedAt: string | Date | null;
  requestedAt: string | Date;
  downloadable: boolean;
  available: boolean;
}

const timeOf = (s: Comparable) => new Date(s.finishedAt ?? s.requestedAt).getTime();

/** Whether a snapshot can be compared: finished and its folder still here. */
export const canCompare = (s: Comparable): boolean => s.downloadable && s.available;

/** The compare page for two snapshots, the older one first whichever was picked first. */
export function compareHref(connectionId: string, a: Comparable, b: Comparable): string {
  const [from, to] = timeOf(a) <= timeOf(b) ? [a, b] : [b, a];
  return `/connections/${encodeURIComponent(connectionId)}/snapshots/compare?from=${encodeURIComponent(from.id)}&to=${encodeURIComponent(to.id)}`;
}

/** The page history page of an item. */
export function historyHref(connectionId: string, itemId: string): string {
  return `/connections/${encodeURIComponent(connectionId)}/snapshots/history?item=${encodeURIComponent(itemId)}`;
}

/** The snapshot before `snapshots[index]` that it can be compared with (the list is newest first). */
export function previousComparable<T extends Comparable>(snapshots: readonly T[], index: number): T | undefined {
  return snapshots.slice(index + 1).find(canCompare);
}

/** The two snapshots picked to compare: picking a third lets go of the first picked; picking one again lets go of it. */
export function togglePick(picked: readonly string[], id: string): string[] {
  if (picked.includes(id)) return picked.filter((p) => p !== id);
  return [...picked, id].slice(-2);
}
