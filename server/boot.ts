import { ensureFirstAdmin } from './auth/first-admin';
import { getAppContext } from './context';
import { Runner } from './runner/runner';

const g = globalThis as typeof globalThis & { __notionSyncBooted?: Promise<void> };

/** Once per server process: migrate, make sure an admin can exist, then start the runner (unless RUNNER_ENABLED=false). */
export function boot(): Promise<void> {
  g.__notionSyncBooted ??= (async () => {
    const ctx = await getAppContext();
    // The dashboard needs someone to sign in: the first admin, or the link that makes one.
    await ensureFirstAdmin(ctx, (line) => console.error(line));
    if (!ctx.config.runnerEnabled) return;
    const runner = new Runner(ctx, { log: (m) => console.error(m), leaseMs: ctx.config.leaseMs });
    runner.start();
    const shutdown = (signal: NodeJS.Signals) => {
      console.error(`notion-sync: ${signal}, releasing exports in flight`);
      const force = setTimeout(() => process.exit(1), 15_000);
      force.unref();
      runner.stop(10_000).finally(() => process.exit(0));
    };
    process.once('SIGTERM', shutdown);
    process.once('SIGINT', shutdown);
  })();
  return g.__notionSyncBooted;
}
