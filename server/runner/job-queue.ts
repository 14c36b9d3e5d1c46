import { and, eq, sql } from 'drizzle-orm';
import type { DB, DbOrTx } from '@/db/client';
import { exportJobs } from '@/db/schema';
import { LeaseLostError } from '@/server/export/domain/export-lease';

export interface Claim {
  exportId: string;
  connectionId: string;
  attempt: number;
  owner: string;
  leaseExpiresAt: number;
}

export interface ClaimOptions {
  owner: string;
  leaseMs: number;
  /** The runner's clock (ms since the epoch): queued exports due by then, leases expired before then. */
  now: number;
  /** Only this export (the CLI runs the one it requested). */
  exportId?: string;
  /** Frees leases whose owner is known to be gone (a killed process on this host) before claiming. */
  isOwnerGone?: (owner: string) => boolean;
}

/**
 * Claims the oldest export that is queued, or whose runner's lease expired (a crashed runner),
 * unless another export of the same connection holds a live lease: the rate limit belongs to the
 * token. One statement: a compare-and-set, so two runners can never both win.
 */
export async function claimNext(db: DB, options: ClaimOptions): Promise<Claim | undefined> {
  const { now } = options;
  if (options.isOwnerGone) await expireGoneOwners(db, options.isOwnerGone, now);
  const expires = now + options.leaseMs;
  const onlyThis = options.exportId ? sql`and j.export_id = ${options.exportId}` : sql``;
  const rows = await db.all<{ export_id: string; connection_id: string; attempt: number }>(sql`
    update export_jobs set status = 'running', lease_owner = ${options.owner}, lease_expires_at = ${expires},
      attempt = attempt + 1
    where export_id = (
      select j.export_id from export_jobs j
      where ((j.status = 'queued' and j.run_at <= ${now}) or (j.status = 'running' and j.lease_expires_at < ${now}))
        ${onlyThis}
        and not exists (
          select 1 from export_jobs o
          where o.connection_id = j.connection_id and o.export_id <> j.export_id
            and o.status = 'running' and o.lease_expires_at >= ${now}
        )
      order by j.created_at, j.export_id
      limit 1
    )
    returning export_id, connection_id, attempt`);
  const row = rows[0];
  if (!row) return undefined;
  return {
    exportId: row.export_id,
    connectionId: row.connection_id,
    attempt: row.attempt,
    owner: options.owner,
    leaseExpiresAt: expires,
  };
}

const held = (claim: Claim) =>
  and(
    eq(exportJobs.exportId, claim.exportId),
    eq(exportJobs.attempt, claim.attempt),
    eq(exportJobs.leaseOwner, claim.owner),
    eq(exportJobs.status, 'running'),
  );

/** Extends the lease; false when the claim was lost (another runner took over, or it ended). */
export async function renewLease(db: DB, claim: Claim, leaseMs: number, now: number): Promise<boolean> {
  const rows = await db
    .update(exportJobs)
    .set({ leaseExpiresAt: now + leaseMs })
    .where(held(claim))
    .returning({ id: exportJobs.exportId });
  if (rows.length > 0) claim.leaseExpiresAt = now + leaseMs;
  return rows.length > 0;
}

/** Gives the export back to the queue (shutdown): the next runner resumes it at once. */
export async function releaseLease(db: DB, claim: Claim): Promise<boolean> {
  const rows = await db
    .update(exportJobs)
    .set({ status: 'queued', leaseOwner: null, leaseExpiresAt: null })
    .where(held(claim))
    .returning({ id: exportJobs.exportId });
  return rows.length > 0;
}

/** Throws LeaseLostError unless `claim` still holds a live lease; returns when that lease expires. */
export async function assertLease(db: DbOrTx, claim: Pick<Claim, 'exportId' | 'attempt' | 'owner'>, now: number): Promise<number> {
  const [row] = await db
    .select({ expires: exportJobs.leaseExpiresAt })
    .from(exportJobs)
    .where(
      and(
        eq(exportJobs.exportId, claim.exportId),
        eq(exportJobs.attempt, claim.attempt),
        eq(exportJobs.leaseOwner, claim.owner),
        eq(exportJobs.status, 'running'),
      ),
    );
  if (!row || (row.expires ?? 0) < now) throw new LeaseLostError(claim.exportId);
  return row.expires ?? 0;
}

/**
 * The lease check run right before a file becomes visible, shared by the writes of a short
 * while: a check that passed less than `maxAgeMs` ago stands, as long as the lease it saw runs
 * for more than `maxAgeMs` yet (a lease is only lost by expiring, or by a pause or cancel from
 * the dashboard, which this notices within `maxAgeMs`). Concurrent writes wait for one query.
 * Appends keep their own check inside their transaction.
 */
export function leaseFence(
  db: DB,
  claim: Pick<Claim, 'exportId' | 'attempt' | 'owner'>,
  options: { now: () => number; maxAgeMs?: number },
): () => Promise<void> {
  const { maxAgeMs = 250, now } = options;
  let checkedAt = Number.NEGATIVE_INFINITY;
  let expires = 0;
  let pending: Promise<void> | undefined;
  return async () => {
    const at = now();
    if (at - checkedAt < maxAgeMs && expires - at > maxAgeMs) return;
    pending ??= assertLease(db, claim, at)
      .then((until) => {
        checkedAt = at;
        expires = until;
      })
      .finally(() => {
        pending = undefined;
      });
    await pending;
  };
}

export async function holdsLease(db: DB, claim: Claim, now: number): Promise<boolean> {
  const [row] = await db.select().from(exportJobs).where(held(claim));
  return !!row && (row.leaseExpiresAt ?? 0) >= now;
}

async function expireGoneOwners(db: DB, isGone: (owner: string) => boolean, now: number): Promise<void> {
  const running = await db
    .select({ exportId: exportJobs.exportId, owner: exportJobs.leaseOwner, attempt: exportJobs.attempt })
    .from(exportJobs)
    .where(eq(exportJobs.status, 'running'));
  for (const job of running) {
    if (!job.owner || !isGone(job.owner)) continue;
    await db
      .update(exportJobs)
      .set({ leaseExpiresAt: now - 1 })
      .where(and(eq(exportJobs.exportId, job.exportId), eq(exportJobs.attempt, job.attempt), eq(exportJobs.leaseOwner, job.owner)));
  }
}
