import { DEFAULT_EXPORT_OPTIONS } from '@/server/export/domain/export';
import { handle } from '@/server/export/domain/handle';
import type { TestContext } from './test-context';

/** Connections with these ids (no usable token: for tests that never reach Notion). */
export async function seedConnections(ctx: TestContext, ids: readonly string[]): Promise<void> {
  for (const id of ids) {
    await ctx.database.client.execute({
      sql: "insert into connections (id, name, token_ciphertext, token_hash, token_hint, created_at) values (?, 'n', 'x', ?, '…', 0)",
      args: [id, id],
    });
  }
}

/** Requests a JSON export of `connectionId` into /tmp/<exportId>, as the CLI would. */
export async function requestTestExport(ctx: TestContext, exportId: string, connectionId = 'c1'): Promise<void> {
  await handle(ctx.store, exportId, {
    type: 'RequestExport',
    data: { exportId, connectionId, formats: ['json'], outDir: `/tmp/${exportId}`, requestedBy: 'cli', options: DEFAULT_EXPORT_OPTIONS },
  });
}
