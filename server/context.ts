import type { AppContext } from './app-context';
import { openDatabase } from '@/db/client';
import { migrateDatabase } from '@/db/migrate';
import { openTokenCipher } from './auth/token-key';
import { type Config, loadConfig } from './config';
import { RunnerPort } from './export/domain/runner-port';
import { EventStore } from './events/event-store';
import { recordEventAppend } from './observability/event-metrics';
import { getLiveFeed, type LiveFeed } from './events/live-feed';
import { exportItemsProjection } from '@/server/export/domain/export-items.projection';
import { exportJobsProjection } from './runner/export-jobs.projection';
import { exportsProjection } from '@/server/export/domain/exports.projection';

export type { AppContext };

export const PROJECTIONS = [exportItemsProjection, exportsProjection, exportJobsProjection];

/**
 * Opens the database, applies migrations, checks the key of the stored tokens (a key that cannot
 * open them stops here with TokenKeyError, changing nothing), wires the store with its projections.
 */
export async function createAppContext(config: Config, feed: LiveFeed = getLiveFeed()): Promise<AppContext> {
  const database = openDatabase(config.databaseUrl, config.databaseAuthToken);
  let cipher: AppContext['cipher'];
  try {
    await migrateDatabase(database);
    cipher = await openTokenCipher(config, database.db);
  } catch (error) {
    database.close();
    throw error;
  }
  const store = new EventStore(database.db, { projections: PROJECTIONS, feed, onAppended: recordEventAppend });
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
