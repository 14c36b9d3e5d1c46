import { and, eq } from 'drizzle-orm';
import { exports } from '@/db/schema';
import type { AppContext } from '@/server/app-context';
import { DomainError } from '@/server/errors';
import { handle } from '@/server/export/domain/handle';

/**
 * Pins or unpins an export of `connectionId` (retention never prunes a pinned snapshot): an event
 * of the export's stream (ExportPinned / ExportUnpinned), projected to `exports.pinned`, so read
 * models rebuilt from the log keep it. NOT_FOUND when it is not one of the connection's.
 * `by`: who asked (the signed-in person's email), named in the activity log.
 */
export async function pinExport(
  ctx: AppContext,
  input: { connectionId: string; id: string; pinned: boolean; by?: string },
): Promise<{ id: string; pinned: boolean }> {
  const [row] = await ctx.database.db
    .select({ id: exports.id })
    .from(exports)
    .where(and(eq(exports.id, input.id), eq(exports.connectionId, input.connectionId)));
  if (!row) throw new DomainError('NOT_FOUND', `Snapshot ${input.id} is not one of this connection`);
  const data = input.by ? { by: input.by } : {};
  await handle(ctx.store, input.id, input.pinned ? { type: 'PinExport', data } : { type: 'UnpinExport', data });
  return { id: input.id, pinned: input.pinned };
}
