import { sql } from 'drizzle-orm';
import type { DB } from '@/db/client';
import { EXPORT_STATUSES } from '@/server/export/domain/export-status';
import { type DatabaseFigures, type DatabaseReader, enableDatabaseMetrics } from './metrics';

const num = (value: unknown): number => (typeof value === 'number' ? value : Number(value ?? 0)) || 0;

/**
 * What the database gauges show, read in three indexed queries: exports by status
 * (`exports_status_idx`), the queue (`export_jobs_status_idx`), and per connection in use the
 * newest export that completed (with or without failed pages).
 */
export async function readDatabaseFigures(db: DB, now: number = Date.now()): Promise<DatabaseFigures> {
  const byStatus = await db.all<{ status: string; n: number }>(sql`select status, count(*) as n from exports group by status`);
  const counted = new Map(byStatus.map((row) => [row.status, num(row.n)]));
  const [queue] = await db.all<Record<string, unknown>>(sql`
    select
      sum(case when status = 'queued' and run_at <= ${now} then 1 else 0 end) as due,
      sum(case when status = 'queued' and run_at > ${now} then 1 else 0 end) as scheduled,
      min(case when status = 'queued' and run_at <= ${now} then run_at end) as oldest_due,
      sum(case when status = 'running' and lease_expires_at >= ${now} then 1 else 0 end) as active,
      sum(case when status = 'running' and (lease_expires_at is null or lease_expires_at < ${now}) then 1 else 0 end) as expired
    from export_jobs where status in ('queued', 'running')`);
  // SQLite gives the bare column (pages_failed) of the row holding the max(finished_at) of each group.
  const newest = await db.all<{ connection_id: string; finished_at: number; pages_failed: number }>(sql`
    select e.connection_id as connection_id, max(e.finished_at) as finished_at, e.pages_failed as pages_failed
    from exports e join connections c on c.id = e.connection_id
    where e.status in ('completed', 'completed_with_errors') and e.finished_at is not null and c.removed_at is null
    group by e.connection_id`);
  const oldestDue = queue?.oldest_due;
  return {
    exportsByStatus: EXPORT_STATUSES.map((status) => ({ status, count: counted.get(status) ?? 0 })),
    queue: {
      due: num(queue?.due),
      scheduled: num(queue?.scheduled),
      oldestDueAgeSeconds: oldestDue === null || oldestDue === undefined ? 0 : Math.max(0, (now - num(oldestDue)) / 1000),
      activeLeases: num(queue?.active),
      expiredLeases: num(queue?.expired),
    },
    connections: newest.map((row) => ({
      connectionId: row.connection_id,
      lastSuccessSeconds: num(row.finished_at) / 1000,
      deadLetters: num(row.pages_failed),
    })),
  };
}

const READERS_KEY = Symbol.for('notion-sync.observability.database-readers');

/**
 * Makes this process's scrapes report the database gauges, read from `db` (the dashboard's
 * `/api/metrics` does this; a worker or the CLI does not, so each figure is reported once).
 */
export function reportDatabaseMetrics(db: DB): void {
  // One reader per database handle, so a scrape of the same database keeps its shared read.
  const holder = globalThis as typeof globalThis & { [READERS_KEY]?: WeakMap<DB, DatabaseReader> };
  holder[READERS_KEY] ??= new WeakMap();
  const readers = holder[READERS_KEY];
  let reader = readers.get(db);
  if (!reader) {
    reader = () => readDatabaseFigures(db);
    readers.set(db, reader);
  }
  enableDatabaseMetrics(reader);
}
