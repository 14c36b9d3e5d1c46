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
    expect(report).toEqual({ ok: true, checks: { database: { ok: true }, exportsDir: { ok: true } } });
    expect(fs.readdirSync(ctx.config.exportsDir)).toEqual([]);
  });

  it('says what is wrong with a code, and leaves paths and the database URL to the log', async () => {
    const logged: string[] = [];
    const log = (line: string, error: unknown) => logged.push(`${line} ${error instanceof Error ? error.message : String(error)}`);
    const blocker = path.join(ctx.dir, 'file');
    fs.writeFileSync(blocker, 'x');
    const report = await checkHealth({ ...ctx, config: { ...ctx.config, exportsDir: path.join(blocker, 'exports') } }, log);
    expect(report.ok).toBe(false);
    expect(report.checks.exportsDir.error).toMatch(/^is not writable \((EEXIST|ENOTDIR)\)$/);
    ctx.database.close();
    const closed = await checkHealth(ctx, log);
    expect(closed.checks.database).toMatchObject({ ok: false, error: expect.stringMatching(/^does not answer/) });
    const answers = JSON.stringify([report, closed]);
    expect(answers).not.toContain(ctx.dir);
    expect(answers).not.toContain(ctx.database.url);
    expect(logged.join('\n')).toContain(blocker); // the details are in the server's log
  });
});
