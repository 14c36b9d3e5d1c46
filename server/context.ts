import type { AppContext } from './app-context';
import { openDatabase } from '@/db/client';
import { migrateDatabase } from '@/db/migrate';
import { TokenCipher } from './auth/token-cipher';
import { type Config, loadConfig } from './config';
import { RunnerPort } from './export/domain/runner-port';
import { EventStore } from './events/event-store';
import { getLiveFeed, type LiveFeed } from './events/live-feed';
import { exportItemsProjection } from '@/server/export/domain/export-items.projection';
import { exportJobsProjection } from './runner/export-jobs.projection';
import { exportsProjection } from '@/server/export/domain/exports.projection';

export type { AppContext };

export const PROJECTIONS = [exportItemsProjection, exportsProjection, exportJobsProjection];

/** Opens the database, applies migrations, wires the store with its projections. */
export async function createAppContext(config: Config, feed: LiveFeed = getLiveFeed()): Promise<AppContext> {
  const database = openDatabase(config.databaseUrl, config.databaseAuthToken);
  await migrateDatabase(database);
  const store = new EventStore(database.db, { projections: PROJECTIONS, feed });
  const cipher = config.secret ? TokenCipher.fromSecret(config.secret) : TokenCipher.fromKeyFile(config.dataDir);
  return { config, database, store, feed, cipher, runners: new RunnerPort() };
}

const g = globalThis as typeof globalThis & { __notionSyncContext?: Promise<AppContext> };

/** The process-wide context (on globalThis: Next bundles route handlers and instrumentation apart). */
export function getAppContext(): Promise<AppContext> {
  g.__notionSyncContext ??= createAppContext(loadConfig()).catch((error) => {
    g.__notionSyncContext = undefined;
    throw error;
  });
  return g.__notionSyncContext;
}
