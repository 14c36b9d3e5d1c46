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

/** Requests a JSON export of `connectionId` into `outDir` (default /tmp/<exportId>), as the CLI would. */
export async function requestTestExport(ctx: TestContext, exportId: string, connectionId = 'c1', outDir = `/tmp/${exportId}`): Promise<void> {
  await handle(ctx.store, exportId, {
    type: 'RequestExport',
    data: { exportId, connectionId, formats: ['json'], outDir, requestedBy: 'cli', options: DEFAULT_EXPORT_OPTIONS },
  });
}

/** Runs a requested export to completion by events alone (no Notion), recording `files` as written. */
export async function completeTestExport(ctx: TestContext, exportId: string, files: string[] = []): Promise<void> {
  await handle(ctx.store, exportId, { type: 'StartExport', data: { attempt: 1, runner: 'r' } });
  if (files.length > 0) {
    await handle(ctx.store, exportId, {
      type: 'RecordFiles',
      data: { reason: 'report', files: files.map((p) => ({ path: p, bytes: 1, sha256: '0'.repeat(64), sourceId: exportId })) },
    });
  }
  await handle(ctx.store, exportId, {
    type: 'CompleteExport',
    data: { pages: 0, databases: 0, skipped: 0, failed: 0, files: 0, bytes: 0, stats: { requests: 0, rateLimited: 0, retries: 0 } },
  });
}
