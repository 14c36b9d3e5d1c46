import { ensureFirstAdmin } from './auth/first-admin';
import { getAppContext } from './context';
import { logger } from './observability/logger';
import { stopTracing } from './observability/tracing';
import { Runner } from './runner/runner';
import { Scheduler } from './schedules/scheduler';

const g = globalThis as typeof globalThis & { __notionSyncBooted?: Promise<void> };

/** Once per server process: migrate, make sure an admin can exist, then start the runner (unless RUNNER_ENABLED=false) and the scheduler. */
export function boot(): Promise<void> {
  g.__notionSyncBooted ??= (async () => {
    const ctx = await getAppContext();
    // The dashboard needs someone to sign in: the first admin, or the link that makes one. The
    // link is a one-time credential for whoever starts the server: it goes to the terminal
    // (stderr) as text, never into the log, which is kept and shipped elsewhere.
    const said: string[] = [];
    const outcome = await ensureFirstAdmin(ctx, (line) => said.push(line));
    if (outcome === 'setup-link') process.stderr.write(`${said.join('\n')}\n`);
    else for (const line of said) logger.info(line);
    const runner = ctx.config.runnerEnabled ? new Runner(ctx, { log: (m) => logger.warn(m), leaseMs: ctx.config.leaseMs }) : undefined;
    runner?.start();
    // Its name (RUNNER_ID, or host:pid) is what the exports it runs record.
    if (runner) logger.info({ runner: runner.owner }, `notion-sync: runner ${runner.owner} started`);
    // Schedules request syncs whether or not this process runs them; several processes may look
    // (one compare-and-set claims each due time).
    const scheduler = new Scheduler(ctx, { log: logger });
    scheduler.start();
    const shutdown = (signal: NodeJS.Signals) => {
      logger.info({ signal }, `notion-sync: ${signal}, releasing exports in flight`);
      const force = setTimeout(() => process.exit(1), 15_000);
      force.unref();
      Promise.all([scheduler.stop(), runner?.stop(10_000)])
        .finally(stopTracing)
        .finally(() => process.exit(0));
    };
    process.once('SIGTERM', shutdown);
    process.once('SIGINT', shutdown);
  })();
  return g.__notionSyncBooted;
}
