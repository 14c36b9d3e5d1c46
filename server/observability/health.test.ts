import fs from 'node:fs';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { openDatabase } from '@/db/client';
import { createTestContext, type TestContext } from '@/server/testing/test-context';
import { checkHealth, checkLiveness, checkReadiness } from './health';
import { metricsState } from './metrics';
import { trackRunner } from './runner-metrics';

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

describe('readiness', () => {
  const statfsWithFree = (freeBytes: number) => async () => ({ bavail: freeBytes / 4096, bsize: 4096, blocks: 1_000_000 });

  it('is ready when the database answers with every migration, the folder is writable and has room', async () => {
    const report = await checkReadiness(ctx);
    expect(report).toEqual({
      ok: true,
      checks: { database: { ok: true }, migrations: { ok: true }, exportsDir: { ok: true }, diskSpace: { ok: true } },
    });
  });

  it('is not ready with migrations missing, a full disk, or a disk it cannot read; and names no path', async () => {
    const logged: string[] = [];
    const log = (line: string, error: unknown) => logged.push(`${line} ${String(error)}`);
    // The code expects a migration newer than any applied.
    const folder = path.join(ctx.dir, 'migrations');
    fs.mkdirSync(path.join(folder, 'meta'), { recursive: true });
    fs.writeFileSync(path.join(folder, 'meta', '_journal.json'), JSON.stringify({ entries: [{ when: Date.now() + 86_400_000 }] }));
    const behind = await checkReadiness(ctx, { log, migrationsFolder: folder, statfs: statfsWithFree(50 * 1024 * 1024) });
    expect(behind.ok).toBe(false);
    expect(behind.checks.migrations).toEqual({ ok: false, error: 'are not all applied' });
    expect(behind.checks.diskSpace).toEqual({ ok: false, error: 'has less than 100 MB free' });
    expect(behind.checks.database).toEqual({ ok: true });

    const roomy = await checkReadiness({ ...ctx, config: { ...ctx.config, healthMinFreeBytes: 10 * 1024 * 1024 } }, { log, statfs: statfsWithFree(50 * 1024 * 1024) });
    expect(roomy.checks.diskSpace).toEqual({ ok: true });

    const unreadable = await checkReadiness(ctx, { log, statfs: () => Promise.reject(Object.assign(new Error(`EACCES ${ctx.dir}`), { code: 'EACCES' })) });
    expect(unreadable.checks.diskSpace).toEqual({ ok: false, error: 'cannot be read (EACCES)' });

    // A database nobody migrated answers, but has no migrations table.
    const bare = openDatabase(`file:${path.join(ctx.dir, 'bare.db')}`);
    try {
      const unmigrated = await checkReadiness({ config: ctx.config, database: bare }, { log });
      expect(unmigrated.checks.database).toEqual({ ok: true });
      expect(unmigrated.checks.migrations).toMatchObject({ ok: false, error: expect.stringMatching(/^cannot be read/) });
    } finally {
      bare.close();
    }
    const answers = JSON.stringify([behind, unreadable]);
    expect(answers).not.toContain(ctx.dir);
    expect(logged.join('\n')).toContain(ctx.dir);
  });

  it("checks the runner's heartbeat when this process runs one: present, and fresh within a lease", async () => {
    const state = metricsState();
    const realNow = state.now;
    let now = 5_000_000;
    state.now = () => now;
    for (const owner of [...state.runners.keys()]) state.runners.delete(owner);
    const withRunner = { ...ctx, config: { ...ctx.config, runnerEnabled: true, leaseMs: 60_000 } };
    try {
      expect((await checkReadiness(withRunner)).checks.runner).toEqual({ ok: false, error: 'is not running' });
      const runner = trackRunner('host:2:ready');
      now += 59_000;
      expect(await checkReadiness(withRunner)).toMatchObject({ ok: true, checks: { runner: { ok: true } } });
      now += 2_000;
      const stale = await checkReadiness(withRunner);
      expect(stale).toMatchObject({ ok: false, checks: { runner: { ok: false, error: 'has not shown it is alive for 61 s' } } });
      runner.beat();
      expect((await checkReadiness(withRunner)).ok).toBe(true);
      runner.stopped();
      expect((await checkReadiness(withRunner)).checks.runner).toEqual({ ok: false, error: 'is not running' });
    } finally {
      state.now = realNow;
    }
  });
});

describe('liveness', () => {
  it('is live while the event loop keeps up, and not after it was blocked for longer than the bound', () => {
    expect(checkLiveness()).toEqual({ ok: true, checks: { eventLoop: { ok: true } } });
    // The sampler ticks every 500 ms: held for 1 s, the loop is at least 500 ms late.
    const until = performance.now() + 1000;
    while (performance.now() < until) {
      // a synchronous task that holds the event loop
    }
    const report = checkLiveness(200);
    expect(report.ok).toBe(false);
    expect(report.checks.eventLoop.error).toMatch(/^was blocked for \d+ ms$/);
    expect(checkLiveness(60_000).ok).toBe(true);
  });
});
