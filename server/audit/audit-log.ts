import type { DB } from '@/db/client';
import { auditEvents } from '@/db/schema';
import { DomainError } from '@/server/errors';

/** What an entry can be about. */
export const AUDIT_TARGET_TYPES = ['export', 'connection', 'user', 'settings', 'invite'] as const;
export type AuditTargetType = (typeof AUDIT_TARGET_TYPES)[number];

/** Who did it: the signed-in person, or the email a failed sign-in tried. */
export interface AuditActor {
  id?: string;
  email?: string;
}

export interface AuditEntry {
  /** What happened, such as `sign-in`, `sign-in-failed`, `export.started`, `user.role-changed`. */
  action: string;
  /** `refused` when it was not allowed or did not succeed (a wrong password, a locked account). */
  outcome?: 'ok' | 'refused';
  actor?: AuditActor;
  /** The client address (server/security/client-address.ts). */
  address?: string;
  target?: { type: AuditTargetType; id: string };
  /** Names and choices only: never a token, a password or a setup or invite link. */
  detail?: Record<string, unknown>;
}

/** The signed-in person of a request and their client address, as an entry names them (tRPC's context has both). */
export function actorAndAddress({ viewer, address }: { viewer: { id: string; email: string }; address?: string }): Pick<AuditEntry, 'actor' | 'address'> {
  return { actor: { id: viewer.id, email: viewer.email }, address };
}

/** Appends one entry to the audit log. */
export async function recordAudit(db: DB, entry: AuditEntry, at: Date = new Date()): Promise<void> {
  await db.insert(auditEvents).values({
    at,
    action: entry.action,
    outcome: entry.outcome ?? 'ok',
    actorId: entry.actor?.id ?? null,
    actorEmail: entry.actor?.email ?? null,
    address: entry.address ?? null,
    targetType: entry.target?.type ?? null,
    targetId: entry.target?.id ?? null,
    detail: entry.detail ?? {},
  });
}

/**
 * Runs `change` and records it: `ok`, completed with what `completed` makes of its result (more
 * detail, or the target or actor known only then), or `refused` with the reason when it throws a
 * DomainError (a refusal meant for people: the last admin, an unknown id). Other errors are the
 * server's own and are rethrown unrecorded (the server's log has them).
 */
export async function audited<T>(
  db: DB,
  entry: Omit<AuditEntry, 'outcome'>,
  change: () => Promise<T>,
  completed: (result: T) => Pick<AuditEntry, 'detail' | 'target' | 'actor'> = () => ({}),
): Promise<T> {
  let result: T;
  try {
    result = await change();
  } catch (error) {
    if (error instanceof DomainError) await recordAudit(db, { ...entry, outcome: 'refused', detail: { ...entry.detail, reason: error.message } });
    throw error;
  }
  const more = completed(result);
  await recordAudit(db, { ...entry, ...more, outcome: 'ok', detail: { ...entry.detail, ...more.detail } });
  return result;
}
