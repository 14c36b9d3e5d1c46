// First: V8 settings that must be in place before the rest of the program loads.
import './memory-flags';
import { TokenKeyError } from './auth/token-key';
import { ConfigError, loadConfig } from './config';
import { createAppContext } from './context';
import { serveProcessMetrics } from './observability/metrics-server';
import { logger } from './observability/logger';
import { startTracing, stopTracing } from './observability/tracing';
import { Runner } from './runner/runner';
import { Scheduler } from './schedules/scheduler';

/** A standalone runner process (`npm run worker`): the same runner as in the server. */
async function main(): Promise<void> {
  const config = loadConfig();
  await startTracing(config.tracing);
  // First: without METRICS_PORT nothing is recorded from here on (see recordNoMetrics).
  const metrics = await serveProcessMetrics(config, (line) => logger.info(`notion-sync worker: ${line}`));
  const ctx = await createAppContext(config);
  // /health/ready on METRICS_PORT answers 503 until now; a worker always runs a runner, whose heartbeat it checks.
  metrics?.serveHealth(ctx, { runner: true });
  const runner = new Runner(ctx, {
    leaseMs: ctx.config.leaseMs,
    // Each run's start and outcome are logged by the run itself (server/export/crawl/run-export.ts).
    log: (m) => logger.warn(m),
  });
  runner.start();
  const scheduler = new Scheduler(ctx, { log: logger });
  scheduler.start();
  // The runner's poll timer does not hold the process open (it must not in the server or the
  // CLI); a standalone worker has to stay up with nothing queued.
  const keepAlive = setInterval(() => undefined, 60_000);
  const shutdown = () => {
    logger.info('notion-sync worker: stopping, releasing exports in flight');
    clearInterval(keepAlive);
    void metrics?.close();
    Promise.all([scheduler.stop(), runner.stop()])
      .finally(stopTracing)
      .finally(() => {
        ctx.database.close();
        process.exit(0);
      });
  };
  process.once('SIGTERM', shutdown);
  process.once('SIGINT', shutdown);
  // Said once a stop is handled: whoever waits for this line may stop the worker at once.
  // A server URL may carry credentials (user:password@, ?authToken=): name its host only.
  const where = config.databaseUrl.startsWith('file:') ? config.databaseUrl : new URL(config.databaseUrl).host;
  logger.info({ runner: runner.owner }, `notion-sync worker ${runner.owner} running on ${where}`);
}

main().catch((error) => {
  if (error instanceof ConfigError || error instanceof TokenKeyError) logger.fatal(error.message);
  else logger.fatal({ err: error }, 'notion-sync worker: could not start');
  stopTracing().finally(() => process.exit(1));
});
