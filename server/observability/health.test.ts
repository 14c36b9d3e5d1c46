import fs from 'node:fs';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createTestContext, type TestContext } from '@/server/testing/test-context';
import { checkHealth } from './health';

let ctx: TestContext;
beforeEach(async () => {
  ctx = await createTestContext();
});
afterEach(async () => {
  await ctx.cleanup();
});

describe('health', () => {
  it('is ok when the database answers and the exports folder is writable', async () => {
    const report = await checkHealth(ctx);
    expect(report).toMatchObject({ ok: true, checks: { database: { ok: true }, exportsDir: { ok: true } } });
    expect(fs.readdirSync(ctx.config.exportsDir)).toEqual([]);
  });

  it('names what is wrong: an exports folder that cannot be created, a closed database', async () => {
    const blocker = path.join(ctx.dir, 'file');
    fs.writeFileSync(blocker, 'x');
    const report = await checkHealth({ ...ctx, config: { ...ctx.config, exportsDir: path.join(blocker, 'exports') } });
    expect(report.ok).toBe(false);
    expect(report.checks.exportsDir.error).toMatch(/EEXIST|ENOTDIR/);
    ctx.database.close();
    const closed = await checkHealth(ctx);
    expect(closed.checks.database).toMatchObject({ ok: false });
  });
});
