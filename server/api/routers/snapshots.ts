import { z } from 'zod';
import { actorAndAddress, recordAudit } from '@/server/audit/audit-log';
import type { Viewer } from '@/server/auth/viewer';
import type { AppContext } from '@/server/app-context';
import { exportNames } from '@/server/export/control/export-queries';
import { requestSync } from '@/server/export/control/request-export';
import { diffPage, diffSnapshots } from '@/server/export/delivery/snapshot-diff';
import { pageHistory } from '@/server/export/delivery/snapshot-history';
import { pinExport } from '@/server/export/control/pin-export';
import { listSnapshots, MAX_SNAPSHOTS_LISTED } from '@/server/export/delivery/snapshot-list';
import { operatorProcedure, router, viewerProcedure } from '../trpc';

const Id = z.string().min(1).max(200);
const ConnectionInput = z.object({ connectionId: Id });
const PinInput = z.object({ connectionId: Id, id: Id });
const PairInput = z.object({ connectionId: Id, from: Id, to: Id });

/** Records what the signed-in person did to a snapshot, with its connection's name (names only). */
async function auditSnapshot(ctx: { app: AppContext; viewer: Viewer; address?: string }, action: string, exportId: string, detail: Record<string, unknown> = {}) {
  const { connectionName } = await exportNames(ctx.app.database.db, exportId);
  await recordAudit(ctx.app.database.db, {
    action,
    ...actorAndAddress(ctx),
    target: { type: 'export', id: exportId },
    detail: { connection: connectionName, ...detail },
  });
}

/**
 * A connection's snapshots (its finished exports, full or sync): the list with the disk each
 * uses, pinning, a sync now, what changed between two, and a page's history. Reading is for
 * every signed-in person; changes are for operators and go to the audit log.
 */
export const snapshotsRouter = router({
  list: viewerProcedure
    .input(ConnectionInput.extend({ limit: z.number().int().min(1).max(MAX_SNAPSHOTS_LISTED).optional() }))
    .query(({ ctx, input }) => listSnapshots(ctx.app, input.connectionId, { limit: input.limit })),
  pin: operatorProcedure.input(PinInput).mutation(async ({ ctx, input }) => {
    const pinned = await pinExport(ctx.app, { ...input, pinned: true, by: ctx.viewer.email });
    await auditSnapshot(ctx, 'export.pinned', input.id);
    return pinned;
  }),
  unpin: operatorProcedure.input(PinInput).mutation(async ({ ctx, input }) => {
    const pinned = await pinExport(ctx.app, { ...input, pinned: false, by: ctx.viewer.email });
    await auditSnapshot(ctx, 'export.unpinned', input.id);
    return pinned;
  }),
  /** A sync of the connection now: from its latest snapshot, or a full export when it has none. */
  syncNow: operatorProcedure.input(ConnectionInput).mutation(async ({ ctx, input }) => {
    const sync = await requestSync(ctx.app, { connectionId: input.connectionId, trigger: 'manual', requestedByUser: ctx.viewer.email });
    await auditSnapshot(ctx, 'export.sync-started', sync.exportId, { mode: sync.baselineExportId ? 'sync' : 'full' });
    return sync;
  }),
  /** What changed from snapshot `from` to snapshot `to`: items added, removed, moved and edited. */
  diff: viewerProcedure.input(PairInput).query(({ ctx, input }) => diffSnapshots(ctx.app, input)),
  /** The line diff of one item's document between two snapshots. */
  pageDiff: viewerProcedure.input(PairInput.extend({ itemId: Id })).query(({ ctx, input }) => diffPage(ctx.app, input)),
  /** One page's versions across the connection's snapshots. */
  history: viewerProcedure.input(ConnectionInput.extend({ itemId: Id })).query(({ ctx, input }) => pageHistory(ctx.app, input.connectionId, input.itemId)),
});
