import type { DB } from '@/db/client';
import { auditEvents } from '@/db/schema';

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
  target?: { type: 'export' | 'connection' | 'user' | 'settings' | 'invite'; id: string };
  /** Names and choices only: never a token, a password or a setup or invite link. */
  detail?: Record<string, unknown>;
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
