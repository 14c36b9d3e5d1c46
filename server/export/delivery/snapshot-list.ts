import { createHash } from 'node:crypto';
import { desc, eq } from 'drizzle-orm';
import { connections, type ExportChanges, exports } from '@/db/schema';
import type { AppContext } from '@/server/app-context';
import { DomainError } from '@/server/errors';
import { countsOf, isDownloadable } from '@/server/export/domain/export-status';
import { type MeasureBudget, type SnapshotDisk, snapshotDisk } from './snapshot-disk';

/**
 * A connection's snapshots as its page lists them: every export of it, newest first, with what
 * asked for it, its counts, what a sync changed, whether it is pinned and the disk it uses
 * (own vs shared). No folder path: people who are not administrators see this list too.
 */

/** What a sync changed, per kind: how many, and the first titles. */
export interface ChangesSummary {
  added: number;
  updated: number;
  moved: number;
  removed: number;
  /** The first CHANGES_TITLES titles of each kind, for a glance. */
  titles: { added: string[]; updated: string[]; moved: string[]; removed: string[] };
}

/** Titles a summary names per kind at most. */
export const CHANGES_TITLES = 5;

export function summarizeChanges(changes: ExportChanges | null): ChangesSummary | null {
  if (!changes) return null;
  const first = (list: { title: string }[] | undefined) => (list ?? []).slice(0, CHANGES_TITLES).map((c) => c.title);
  return {
    added: changes.added?.length ?? 0,
    updated: changes.updated?.length ?? 0,
    moved: changes.moved?.length ?? 0,
    removed: changes.removed?.length ?? 0,
    titles: { added: first(changes.added), updated: first(changes.updated), moved: first(changes.moved), removed: first(changes.removed) },
  };
}

/** Snapshots listed at most. */
export const MAX_SNAPSHOTS_LISTED = 200;
/**
 * Folders one listing walks at most (each walk is bounded, but fifty of a large workspace would
 * keep the answer waiting): the others say they are being measured, and the next listing goes on.
 */
export const MEASURES_PER_LISTING = 5;

export async function listSnapshots(ctx: AppContext, connectionId: string, options: { limit?: number; now?: () => number; measures?: number } = {}) {
  const db = ctx.database.db;
  const [connection] = await db
    .select({ id: connections.id, name: connections.name, workspaceName: connections.workspaceName, removedAt: connections.removedAt })
    .from(connections)
    .where(eq(connections.id, connectionId));
  if (!connection) throw new DomainError('NOT_FOUND', `Connection ${connectionId} does not exist`);
  const rows = await db
    .select()
    .from(exports)
    .where(eq(exports.connectionId, connectionId))
    .orderBy(desc(exports.requestedAt))
    .limit(Math.min(options.limit ?? 50, MAX_SNAPSHOTS_LISTED));
  // Own and shared bytes change when another snapshot of the connection is made, finishes or is deleted.
  const all = await db.select({ id: exports.id, status: exports.status }).from(exports).where(eq(exports.connectionId, connectionId));
  const generation = createHash('sha256')
    .update(
      all
        .map((e) => `${e.id}:${e.status}`)
        .sort()
        .join('\n'),
    )
    .digest('hex');
  const latestComplete = rows.find((r) => r.status === 'completed')?.id ?? null;
  const budget: MeasureBudget = { left: options.measures ?? MEASURES_PER_LISTING };
  const snapshots = [];
  for (const row of rows) {
    const downloadable = isDownloadable(row.status);
    const measured: SnapshotDisk | null | undefined = downloadable ? await snapshotDisk(ctx, row.id, { generation, now: options.now, budget }) : null;
    const disk = measured ?? null;
    snapshots.push({
      id: row.id,
      status: row.status,
      mode: row.mode,
      trigger: row.trigger,
      baselineExportId: row.baselineExportId,
      requestedAt: row.requestedAt,
      requestedByUser: row.requestedByUser,
      finishedAt: row.finishedAt,
      pinned: row.pinned,
      formats: row.formats,
      counts: countsOf(row),
      pagesFailed: row.pagesFailed,
      changes: summarizeChanges(row.changes),
      downloadable,
      /** Whether its folder is still here (a finished snapshot can be browsed, compared, downloaded); known before its disk is measured. */
      available: measured !== null,
      disk,
      /** Its disk is not measured yet (a later listing will have it). */
      measuring: measured === undefined,
      latest: row.id === latestComplete,
    });
  }
  return {
    connection: { id: connection.id, name: connection.name, workspaceName: connection.workspaceName, removed: connection.removedAt !== null },
    busy: rows.some((r) => r.status === 'queued' || r.status === 'running'),
    /** Some snapshot's disk is still to be measured: ask again. */
    measuring: snapshots.some((s) => s.measuring),
    snapshots,
  };
}

export type SnapshotList = Awaited<ReturnType<typeof listSnapshots>>;
