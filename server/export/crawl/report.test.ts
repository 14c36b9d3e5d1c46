import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ReportInput } from '@/server/export/archive/report-page';
import { exportStreamId } from '@/server/export/domain/export';
import { handle } from '@/server/export/domain/handle';
import { requestTestExport, seedConnections } from '@/server/testing/seed';
import { createTestContext, type TestContext } from '@/server/testing/test-context';
import { buildReport } from './report';
import { rebuildExportReadModels } from '@/server/testing/read-models';

let ctx: TestContext;
beforeEach(async () => {
  ctx = await createTestContext();
  await seedConnections(ctx, ['c1']);
});
afterEach(async () => {
  await ctx.cleanup();
});

const A = '11111111-1111-4111-8111-111111111111';
const B = '22222222-2222-4222-8222-222222222222';
const TRASHED = '33333333-3333-4333-8333-333333333333';
const TRASHED_DATABASE = '44444444-4444-4444-8444-444444444444';
const WATCH = 'https://www.youtube.com/watch?v=1';
const PHOTO = 'https://img.example/photo.jpg';

/** Two pages that link the same external files, one skipped download, and a page in the trash. */
async function exportWithLinks(): Promise<void> {
  await requestTestExport(ctx, 'e1');
  await handle(ctx.store, 'e1', { type: 'StartExport', data: { attempt: 1, runner: 'r' } });
  const stats = { requests: 0, rateLimited: 0, retries: 0 };
  await handle(ctx.store, 'e1', {
    type: 'RecordProgress',
    data: {
      discovered: [
        { id: A, kind: 'page', title: 'A', parentId: null, dir: '', stem: 'A', status: 'pending' },
        { id: B, kind: 'page', title: 'B', parentId: null, dir: '', stem: 'B', status: 'pending' },
      ],
      exported: [
        {
          id: A,
          files: [],
          issues: [
            { kind: 'attachment_skipped', sourceId: 'block-a', message: 'Not downloaded: https://www.youtube.com/watch is a page of youtube.com, not a file' },
            { kind: 'external_link', sourceId: WATCH, message: '' },
            { kind: 'external_link', sourceId: PHOTO, message: '' },
          ],
        },
        { id: B, files: [], issues: [{ kind: 'external_link', sourceId: WATCH, message: '' }] },
        { id: 'e1', files: [], issues: [{ kind: 'in_trash', sourceId: TRASHED, message: 'Old row' }] },
      ],
      failed: [],
      stats,
    },
  });
}

describe('buildReport', () => {
  it('lists each external link once with the pages that use it, apart from the issues', async () => {
    await exportWithLinks();
    const report = await buildReport(ctx.database.db, 'e1', new Date('2026-01-01T00:00:00Z'));
    expect(report.externalLinks).toEqual([
      { url: WATCH, pageIds: [A, B] },
      { url: PHOTO, pageIds: [A] },
    ]);
    expect(report.issues.map((i) => i.kind)).toEqual(['attachment_skipped']);
    expect(report.skipped).toEqual([{ id: TRASHED, kind: 'page', title: 'Old row', reason: 'in trash' }]);
    expect(report.attachments).toMatchObject({ skipped: 1, failed: 0 });
  });

  it('has the shape report.html reads', async () => {
    await exportWithLinks();
    const report = await buildReport(ctx.database.db, 'e1', new Date('2026-01-01T00:00:00Z'));
    expect(ReportInput.parse(report).externalLinks).toEqual(report.externalLinks);
  });

  it('names a database in the trash as a database, and an `in_trash` issue recorded before that kind existed as a page, replayed too', async () => {
    await requestTestExport(ctx, 'e1');
    await handle(ctx.store, 'e1', { type: 'StartExport', data: { attempt: 1, runner: 'r' } });
    // As the log holds them: an older version recorded every trashed item `in_trash`, databases included.
    await ctx.store.append(exportStreamId('e1'), await ctx.store.streamVersion(exportStreamId('e1')), [
      {
        type: 'PagesExported',
        data: {
          items: [{ id: 'e1', files: [], issues: [{ kind: 'in_trash', sourceId: TRASHED, message: 'Old database' }] }],
          stats: { requests: 0, rateLimited: 0, retries: 0 },
        },
      },
      {
        type: 'PagesExported',
        data: {
          items: [{ id: 'e1', files: [], issues: [{ kind: 'database_in_trash', sourceId: TRASHED_DATABASE, message: 'Tasks' }] }],
          stats: { requests: 0, rateLimited: 0, retries: 0 },
        },
      },
    ]);
    const expected = [
      { id: TRASHED, kind: 'page', title: 'Old database', reason: 'in trash' },
      { id: TRASHED_DATABASE, kind: 'database', title: 'Tasks', reason: 'in trash' },
    ];
    const at = new Date('2026-01-01T00:00:00Z');
    expect((await buildReport(ctx.database.db, 'e1', at)).skipped).toEqual(expected);
    await rebuildExportReadModels(ctx.store);
    const replayed = await buildReport(ctx.database.db, 'e1', at);
    expect(replayed.skipped).toEqual(expected);
    expect(replayed.issues).toEqual([]);
  });
});
