import path from 'node:path';
import { and, eq, inArray, ne } from 'drizzle-orm';
import { exports } from '@/db/schema';
import type { AppContext } from '@/server/app-context';
import { recordAudit } from '@/server/audit/audit-log';
import { DomainError } from '@/server/errors';
import { deleteExport } from '@/server/export/control/delete-export';
import type { ExportStatus } from '@/server/export/domain/export-status';
import { applyRetentionPolicy, type RetentionDecision, type RetentionPolicy, type SnapshotState } from './retention';
import type { ChangedBy } from './schedule-store';

/** What a snapshot is made of: finished exports (downloadable) and those still under way, which are never removed. */
const SNAPSHOT_STATES: Partial<Record<ExportStatus, SnapshotState>> = {
  completed: 'complete',
  completed_with_errors: 'with-errors',
  queued: 'unfinished',
  running: 'unfinished',
  paused: 'unfinished',
};

/** Snapshot folders are the server's own (EXPORTS_DIR/<id>); a folder elsewhere was chosen by someone (the CLI's --out). */
function insideExportsDir(ctx: AppContext, outDir: string): boolean {
  const relative = path.relative(path.resolve(ctx.config.exportsDir), path.resolve(outDir));
  return relative !== '' && !relative.startsWith('..') && !path.isAbsolute(relative);
}

/** One snapshot of the preview, with what people need to judge it. */
export interface SnapshotDecision extends RetentionDecision {
  status: ExportStatus;
  trigger: string;
  pinned: boolean;
  bytes: number;
}

export interface RetentionPreview {
  timeZone: string;
  decisions: SnapshotDecision[];
  kept: number;
  removed: number;
}

/**
 * A connection's snapshots and what `policy` does to them. Snapshots are the connection's
 * dashboard exports, full or sync, finished or under way (failed and cancelled ones are no
 * snapshot; CLI exports live in folders people chose and are left alone). Besides the policy's
 * reasons, a snapshot a sync under way starts from (its baseline) is kept.
 */
export async function previewRetention(
  ctx: AppContext,
  connectionId: string,
  policy: RetentionPolicy,
  { timeZone, now = new Date() }: { timeZone: string; now?: Date },
): Promise<RetentionPreview> {
  const rows = await ctx.database.db
    .select({
      id: exports.id,
      status: exports.status,
      requestedAt: exports.requestedAt,
      pinned: exports.pinned,
      trigger: exports.trigger,
      bytes: exports.bytesWritten,
      baselineExportId: exports.baselineExportId,
      outDir: exports.outDir,
    })
    .from(exports)
    .where(and(eq(exports.connectionId, connectionId), inArray(exports.mode, ['full', 'sync']), ne(exports.trigger, 'cli')));
  const snapshots = rows.flatMap((row) => {
    const state = SNAPSHOT_STATES[row.status];
    return state && insideExportsDir(ctx, row.outDir) ? [{ ...row, state }] : [];
  });
  const baselines = new Set(snapshots.filter((s) => s.state === 'unfinished').map((s) => s.baselineExportId));
  const outcome = applyRetentionPolicy(
    snapshots.map((s) => ({ id: s.id, time: s.requestedAt, state: s.state, pinned: s.pinned })),
    policy,
    { timeZone, now },
  );
  const byId = new Map(snapshots.map((s) => [s.id, s]));
  const decisions = outcome.decisions.map((decision) => {
    const row = byId.get(decision.id);
    const inUse = baselines.has(decision.id);
    return {
      ...decision,
      keep: decision.keep || inUse,
      reasons: inUse ? [...decision.reasons, 'a sync under way starts from it'] : decision.reasons,
      status: row?.status ?? 'completed',
      trigger: row?.trigger ?? 'manual',
      pinned: row?.pinned ?? false,
      bytes: row?.bytes ?? 0,
    };
  });
  const kept = decisions.filter((d) => d.keep).length;
  return { timeZone, decisions, kept, removed: decisions.length - kept };
}

export interface PruneResult {
  kept: number;
  removed: { id: string; bytes: number }[];
  /** Snapshots that could not be removed (changed meanwhile: resumed, retried), with why. */
  failed: { id: string; reason: string }[];
  bytesRemoved: number;
}

/**
 * Applies a policy to a connection's snapshots: each one it does not keep is deleted through
 * `deleteExport` (its folder, its rows, its events). One entry in the audit log says what was
 * removed (`retention.applied`); an automatic run that removed nothing records nothing.
 */
export async function pruneSnapshots(
  ctx: AppContext,
  connectionId: string,
  policy: RetentionPolicy,
  options: { timeZone: string; now?: Date; by?: ChangedBy; trigger: 'manual' | 'schedule' },
): Promise<PruneResult> {
  const preview = await previewRetention(ctx, connectionId, policy, options);
  const result: PruneResult = { kept: preview.kept, removed: [], failed: [], bytesRemoved: 0 };
  for (const decision of preview.decisions) {
    if (decision.keep) continue;
    try {
      const deleted = await deleteExport(ctx, decision.id);
      result.removed.push({ id: decision.id, bytes: deleted.bytes });
      result.bytesRemoved += deleted.bytes;
    } catch (error) {
      if (!(error instanceof DomainError)) throw error;
      // Another process pruned it first: it is gone, as asked.
      if (error.code === 'NOT_FOUND') continue;
      result.failed.push({ id: decision.id, reason: error.message });
    }
  }
  if (options.trigger === 'manual' || result.removed.length > 0 || result.failed.length > 0) {
    await recordAudit(ctx.database.db, {
      action: 'retention.applied',
      outcome: result.failed.length > 0 ? 'refused' : 'ok',
      actor: options.by?.actor,
      address: options.by?.address,
      target: { type: 'connection', id: connectionId },
      detail: {
        trigger: options.trigger,
        policy,
        kept: result.kept,
        removed: result.removed.map((r) => r.id),
        bytesRemoved: result.bytesRemoved,
        ...(result.failed.length > 0 ? { failed: result.failed.map((f) => f.id) } : {}),
      },
    });
  }
  return result;
}
