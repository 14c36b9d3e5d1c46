import fs from 'node:fs';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { DomainError, domainErrorResponse } from '@/server/errors';
import { handle } from '@/server/export/domain/handle';
import { completeTestExport, seedConnections } from '@/server/testing/seed';
import { createTestContext, type TestContext } from '@/server/testing/test-context';
import { exportDownload, isExportId } from './export-download';

let ctx: TestContext;
beforeEach(async () => {
  ctx = await createTestContext();
  await seedConnections(ctx, ['c1']);
});
afterEach(async () => {
  await ctx.cleanup();
});

const request = (exportId: string, outDir = path.join(ctx.config.exportsDir, exportId)) =>
  handle(ctx.store, exportId, {
    type: 'RequestExport',
    data: { exportId, connectionId: 'c1', formats: ['json'], outDir, requestedBy: 'dashboard', options: { naming: 'notion', downloadExternal: false } },
  });

const complete = (exportId: string, files: string[] = []) => completeTestExport(ctx, exportId, files);

describe('exportDownload', () => {
  it("gives a dashboard export's own folder, zipped whole", async () => {
    fs.mkdirSync(path.join(ctx.config.exportsDir, 'e1'), { recursive: true });
    await request('e1');
    await complete('e1');
    await ctx.database.client.execute("update connections set workspace_name = 'Acme' where id = 'c1'");
    const [row] = (await ctx.database.client.execute("select finished_at from exports where id = 'e1'")).rows;
    const day = new Date(Number(row?.finished_at)).toISOString().slice(0, 10);
    expect(await exportDownload(ctx, 'e1')).toEqual({
      root: path.join(ctx.config.exportsDir, 'e1'),
      fileName: `Acme-${day}.zip`,
      disposition: `attachment; filename="Acme-${day}.zip"; filename*=UTF-8''Acme-${day}.zip`,
    });
  });

  it('gives a folder chosen with the CLI with only the files the export recorded, and its manifest', async () => {
    const outDir = path.join(ctx.dir, 'my-export');
    fs.mkdirSync(outDir);
    await request('e1', outDir);
    await complete('e1', ['report.json', 'Page 1.md']);
    const download = await exportDownload(ctx, 'e1');
    expect(download.root).toBe(outDir);
    expect([...(download.only ?? [])].sort()).toEqual(['Page 1.md', 'manifest.json', 'report.json']);
  });

  it('refuses an unknown export (404) and one that has not completed (409), with a message for people', async () => {
    await request('e2');
    const unknown = await exportDownload(ctx, 'nope').catch((e: unknown) => e);
    const queued = await exportDownload(ctx, 'e2').catch((e: unknown) => e);
    expect(unknown).toBeInstanceOf(DomainError);
    const notFound = domainErrorResponse(unknown);
    expect(notFound.status).toBe(404);
    expect(await notFound.json()).toEqual({ error: 'Export nope does not exist' });
    const conflict = domainErrorResponse(queued);
    expect(conflict.status).toBe(409);
    expect((await conflict.json()).error).toMatch(/queued; it can be downloaded once it completes/);
  });

  it('answers 404 without a path when the folder is gone or is a link to another folder', async () => {
    await request('e3');
    await complete('e3');
    const gone = domainErrorResponse(await exportDownload(ctx, 'e3').catch((e: unknown) => e));
    expect(gone.status).toBe(404);
    const { error } = await gone.json();
    expect(error).toBe('The files of export e3 are no longer on this server');
    fs.mkdirSync(ctx.config.exportsDir, { recursive: true });
    fs.symlinkSync(ctx.dir, path.join(ctx.config.exportsDir, 'e3'));
    expect(domainErrorResponse(await exportDownload(ctx, 'e3').catch((e: unknown) => e)).status).toBe(404);
  });

  it('refuses ids that could name another path before reading anything (400)', async () => {
    for (const id of ['..', '.', '../e1', '..%2Fe1', '%2e%2e', '/etc', 'a\0b', 'C:\\x', 'e1/..', '', 'x'.repeat(200)]) {
      expect(isExportId(id), JSON.stringify(id)).toBe(false);
      const response = domainErrorResponse(await exportDownload(ctx, id).catch((e: unknown) => e));
      expect(response.status, JSON.stringify(id)).toBe(400);
    }
    expect(isExportId('0b6a3c3e-4f7e-4d1b-9a55-8d0f7c3b2a10')).toBe(true);
  });

  it('lets errors that are not domain errors through', () => {
    expect(() => domainErrorResponse(new Error('disk'))).toThrow('disk');
  });
});
