import { eq } from 'drizzle-orm';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { exports } from '@/db/schema';
import { getExport } from '@/server/export/control/export-queries';
import { handle } from '@/server/export/domain/handle';
import { requestTestExport, seedConnections } from '@/server/testing/seed';
import { createTestContext, type TestContext } from '@/server/testing/test-context';
import { CliRecord, exitCodeOf, progressLine, progressReporter } from './cli-progress';

let ctx: TestContext;
beforeEach(async () => {
  ctx = await createTestContext();
  await seedConnections(ctx, ['c1']);
  await requestTestExport(ctx, 'e1');
  await handle(ctx.store, 'e1', { type: 'StartExport', data: { attempt: 1, runner: 'r' } });
});
afterEach(async () => {
  await ctx.cleanup();
});

const row = async () => (await ctx.database.db.select().from(exports).where(eq(exports.id, 'e1')))[0]!;

/** What a reporter writes, line by line. */
function capture() {
  let text = '';
  const write = (t: string) => {
    text += t;
  };
  return { write, lines: () => text.split('\n').filter((l) => l !== '') };
}

/** Pages found, the first of them exported, with the request counts so far. */
async function discover(ids: string[]) {
  await handle(ctx.store, 'e1', {
    type: 'RecordProgress',
    data: {
      discovered: ids.map((id) => ({ id, kind: 'page' as const, title: id, parentId: null, dir: '', stem: id, status: 'pending' as const })),
      exported: ids.slice(0, 1).map((id) => ({ id, files: [] })),
      failed: [],
      stats: { requests: 3, rateLimited: 1, retries: 0, pacedRate: 2.5 },
    },
  });
}

describe('the export command’s progress on stderr', () => {
  it('in JSON: a record per change (not per tick of the running time), messages, and a result that says how it ended', async () => {
    const out = capture();
    const reporter = progressReporter('json', out.write);
    reporter.message('Export e1 of "W" into /tmp/e1');
    reporter.progress(await row());
    reporter.progress(await row()); // nothing changed but the running time: no new record
    await discover(['p1', 'p2']);
    reporter.progress(await row());
    await handle(ctx.store, 'e1', { type: 'PauseExport', data: { reason: 'Paused by a test', cause: 'user' } });
    expect(reporter.result(await getExport(ctx.database.db, 'e1'))).toBe(1);
    const records = out.lines().map((l) => CliRecord.parse(JSON.parse(l)));
    expect(records.map((r) => r.type)).toEqual(['message', 'progress', 'progress', 'result']);
    expect(records[2]).toMatchObject({ type: 'progress', exportId: 'e1', status: 'running', phase: 'discovering', pagesDone: 1, pagesDiscovered: 2, requests: 3, rateLimited: 1, pacedRate: 2.5 });
    expect(records[3]).toMatchObject({ type: 'result', exitCode: 1, exportId: 'e1', status: 'paused', pages: 1, databases: 0, failures: [], reason: 'Paused by a test' });
  });

  it('in JSON: a failure before there is an export ends with a result too', () => {
    const out = capture();
    expect(progressReporter('json', out.write).failure('Missing --out <dir>\n\nUsage: …')).toBe(1);
    expect(out.lines().map((l) => JSON.parse(l))).toEqual([
      { type: 'message', text: 'Missing --out <dir>\n\nUsage: …' },
      { type: 'result', exitCode: 1, exportId: null, reason: 'Missing --out <dir>' },
    ]);
  });

  it('for people: a progress line (rewritten in place on a terminal) and the summary in words', async () => {
    const out = capture();
    const reporter = progressReporter('human', out.write, true);
    await discover(['p1', 'p2']);
    reporter.progress(await row());
    reporter.progress(await row());
    reporter.message('Stopping; run the same command again to resume.');
    const [line, message] = out.lines();
    // Back to the start of the line and clear it, then the line.
    expect(line?.startsWith('\r\u001b[2K')).toBe(true);
    expect(line?.slice(5)).toMatch(/^\[discovering\] 1\/2 \(50%\) · \d+ s · 3 requests · 1 rate-limit waits · paced at 2.5\/s \(Notion's 429s\)$/);
    expect(message).toBe('Stopping; run the same command again to resume.');
    expect(out.lines()).toHaveLength(2);
    await handle(ctx.store, 'e1', { type: 'FailExport', data: { reason: 'Cannot write the export', retryable: false, now: new Date(), jitter: 0 } });
    const failed = capture();
    expect(progressReporter('human', failed.write).result(await getExport(ctx.database.db, 'e1'))).toBe(1);
    expect(failed.lines()).toEqual(['Export failed: Cannot write the export', 'Run the same command again to resume it.']);
    expect(progressReporter('human', failed.write).failure('Set NOTION_TOKEN')).toBe(1);
  });

  it('exits 0 completed, 2 completed with errors, 1 otherwise', async () => {
    expect(['completed', 'completed_with_errors', 'failed', 'paused', 'queued', 'cancelled'].map((s) => exitCodeOf(s as never))).toEqual([0, 2, 1, 1, 1, 1]);
    const line = progressLine({ ...(await row()), pagesDone: 3, pagesFailed: 1, pagesDiscovered: 8, phase: 'exporting' }, new Date());
    expect(line).toMatch(/^\[exporting\] 4\/8 \(50%\) · \d+ s · 0 requests · 0 rate-limit waits · 1 failed$/);
  });
});
