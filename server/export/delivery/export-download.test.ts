import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { connections } from '@/db/schema';
import { DomainError, domainErrorResponse } from '@/server/errors';
import { handle } from '@/server/export/domain/handle';
import { createTestContext, type TestContext } from '@/server/testing/test-context';
import { exportDownload } from './export-download';

let ctx: TestContext;
beforeEach(async () => {
  ctx = await createTestContext();
  await ctx.database.db.insert(connections).values({
    id: 'c1',
    name: 'Workspace',
    tokenCiphertext: 'x',
    tokenHash: 'h',
    tokenHint: '…abcd',
    createdAt: new Date(),
  });
});
afterEach(async () => {
  await ctx.cleanup();
});

const request = (exportId: string) =>
  handle(ctx.store, exportId, {
    type: 'RequestExport',
    data: { exportId, connectionId: 'c1', formats: ['json'], outDir: `/tmp/${exportId}`, requestedBy: 'dashboard', options: { naming: 'notion', downloadExternal: false } },
  });

describe('exportDownload', () => {
  it('gives the folder and the zip name of a completed export', async () => {
    await request('e1');
    await handle(ctx.store, 'e1', { type: 'StartExport', data: { attempt: 1, runner: 'r' } });
    await handle(ctx.store, 'e1', {
      type: 'CompleteExport',
      data: { pages: 0, failed: 0, files: 0, bytes: 0, stats: { requests: 0, rateLimited: 0, retries: 0 } },
    });
    expect(await exportDownload(ctx, 'e1')).toEqual({ root: '/tmp/e1', fileName: 'notion-export-e1.zip' });
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

  it('lets errors that are not domain errors through', () => {
    expect(() => domainErrorResponse(new Error('disk'))).toThrow('disk');
  });
});
