import { eq } from 'drizzle-orm';
import { exports } from '@/db/schema';
import type { AppContext } from '@/server/app-context';

type ExportRow = typeof exports.$inferSelect;

/**
 * The export's row once `until` holds for it: checked now and after every append this process
 * makes (the live feed), so a test waits for a state instead of sleeping. Fails after `timeoutMs`.
 */
export async function exportRow(
  ctx: AppContext,
  exportId: string,
  until: (row: ExportRow) => boolean = () => true,
  timeoutMs = 60_000,
): Promise<ExportRow> {
  const read = async () => (await ctx.database.db.select().from(exports).where(eq(exports.id, exportId)))[0];
  return new Promise<ExportRow>((resolve, reject) => {
    let settled = false;
    const finish = (error: Error | undefined, row?: ExportRow) => {
      if (settled) return;
      settled = true;
      unsubscribe();
      clearTimeout(timer);
      if (error) reject(error);
      else resolve(row as ExportRow);
    };
    const check = () =>
      read().then(
        (row) => {
          if (row && until(row)) finish(undefined, row);
        },
        (error: Error) => finish(error),
      );
    const unsubscribe = ctx.feed.subscribe(() => void check());
    const timer = setTimeout(() => void read().then((row) => finish(new Error(`Export ${exportId} did not reach the expected state in ${timeoutMs} ms (status ${row?.status})`))), timeoutMs);
    void check();
  });
}
