import path from 'node:path';
import { migrate } from 'drizzle-orm/libsql/migrator';
import { configureDatabase, type Database } from './client';

export const MIGRATIONS_FOLDER = path.join(process.cwd(), 'db', 'migrations');

/** Applies the pinned connection settings, then every pending migration. Idempotent. */
export async function migrateDatabase(database: Database, migrationsFolder = MIGRATIONS_FOLDER): Promise<void> {
  await configureDatabase(database);
  await migrate(database.db, { migrationsFolder });
}
