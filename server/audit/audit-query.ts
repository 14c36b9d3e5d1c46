import { and, desc, eq, gte, inArray, lt, lte, type SQL, sql } from 'drizzle-orm';
import { z } from 'zod';
import type { DB } from '@/db/client';
import { auditEvents } from '@/db/schema';
import { AUDIT_TARGET_TYPES } from './audit-log';

/** The most entries one page of the audit log holds. */
export const AUDIT_PAGE_LIMIT = 200;

const Action = z.string().trim().min(1).max(100);
/** A time as a Date (in process) or an ISO 8601 string (over tRPC, which sends no Dates). */
const Time = z.union([z.date(), z.iso.datetime({ offset: true })]).transform((value) => new Date(value));

export const AuditFilters = z.object({
  /** One action (`user.removed`) or any of several (a group the page offers, such as every sign-in action). */
  action: z.union([Action, z.array(Action).min(1).max(50)]).optional(),
  /** Part of the actor's email, any case. */
  actorEmail: z.string().trim().min(1).max(320).optional(),
  outcome: z.enum(['ok', 'refused']).optional(),
  targetType: z.enum(AUDIT_TARGET_TYPES).optional(),
  /** Entries at or after this time. */
  from: Time.optional(),
  /** Entries at or before this time. */
  to: Time.optional(),
  /** The `nextCursor` of the page before: entries older than that position. */
  cursor: z.number().int().positive().optional(),
  limit: z.number().int().min(1).max(AUDIT_PAGE_LIMIT).default(50),
});
export type AuditFilters = z.input<typeof AuditFilters>;

export interface AuditRow {
  position: number;
  at: Date;
  action: string;
  outcome: 'ok' | 'refused';
  actorId: string | null;
  actorEmail: string | null;
  address: string | null;
  targetType: string | null;
  targetId: string | null;
  detail: Record<string, unknown>;
}

/**
 * The audit log, newest first, filtered. Pages by position (the order entries were appended):
 * `nextCursor` asks for the entries after the last one returned, and is null on the last page, so
 * entries appended meanwhile neither repeat nor shift a page.
 */
export async function listAudit(db: DB, filters: AuditFilters = {}): Promise<{ entries: AuditRow[]; nextCursor: number | null }> {
  const f = AuditFilters.parse(filters);
  const where: (SQL | undefined)[] = [];
  if (typeof f.action === 'string') where.push(eq(auditEvents.action, f.action));
  else if (f.action) where.push(inArray(auditEvents.action, f.action));
  // instr, not like: an email's `_` or `%` is no wildcard.
  if (f.actorEmail) where.push(sql`instr(lower(${auditEvents.actorEmail}), ${f.actorEmail.toLowerCase()}) > 0`);
  if (f.outcome) where.push(eq(auditEvents.outcome, f.outcome));
  if (f.targetType) where.push(eq(auditEvents.targetType, f.targetType));
  if (f.from) where.push(gte(auditEvents.at, f.from));
  if (f.to) where.push(lte(auditEvents.at, f.to));
  if (f.cursor) where.push(lt(auditEvents.position, f.cursor));
  const rows = await db
    .select()
    .from(auditEvents)
    .where(and(...where))
    .orderBy(desc(auditEvents.position))
    .limit(f.limit + 1);
  const entries = rows.slice(0, f.limit);
  const last = entries.at(-1);
  return { entries, nextCursor: rows.length > f.limit && last ? last.position : null };
}
