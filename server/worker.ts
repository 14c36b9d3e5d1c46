// First: V8 settings that must be in place before the rest of the program loads.
import './memory-flags';
import { TokenKeyError } from './auth/token-key';
import { ConfigError, loadConfig } from './config';
import { createAppContext } from './context';
import { Runner } from './runner/runner';

/** A standalone runner process (`npm run worker`): the same runner as in the server. */
async function main(): Promise<void> {
  const config = loadConfig();
  const ctx = await createAppContext(config);
  const runner = new Runner(ctx, {
    leaseMs: ctx.config.leaseMs,
    log: (m) => console.error(m),
    onOutcome: (id, outcome) => console.error(`export ${id}: ${outcome}`),
  });
  runner.start();
  // The runner's poll timer does not hold the process open (it must not in the server or the
  // CLI); a standalone worker has to stay up with nothing queued.
  const keepAlive = setInterval(() => undefined, 60_000);
  // A server URL may carry credentials (user:password@, ?authToken=): name its host only.
  const where = config.databaseUrl.startsWith('file:') ? config.databaseUrl : new URL(config.databaseUrl).host;
  console.error(`notion-sync worker ${runner.owner} running on ${where}`);
  const shutdown = () => {
    console.error('notion-sync worker: stopping, releasing exports in flight');
    clearInterval(keepAlive);
    runner.stop().finally(() => {
      ctx.database.close();
      process.exit(0);
    });
  };
  process.once('SIGTERM', shutdown);
  process.once('SIGINT', shutdown);
}

main().catch((error) => {
  console.error(error instanceof ConfigError || error instanceof TokenKeyError ? error.message : error);
  process.exit(1);
});
