import { getAppContext } from './context';
import { Runner } from './runner/runner';

const g = globalThis as typeof globalThis & { __notionSyncBooted?: Promise<void> };

/** Once per server process: migrate, then start the runner (unless RUNNER_ENABLED=false). */
export function boot(): Promise<void> {
  g.__notionSyncBooted ??= (async () => {
    const ctx = await getAppContext();
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
