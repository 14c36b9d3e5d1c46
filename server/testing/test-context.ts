import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { Config } from '@/server/config';
import { type AppContext, createAppContext } from '@/server/context';
import { LiveFeed } from '@/server/events/live-feed';

export interface TestContext extends AppContext {
  dir: string;
  cleanup(): Promise<void>;
}

/** A real libSQL database file in a fresh temp folder, migrated, with its own live feed. */
export async function createTestContext(overrides: Partial<Config> = {}): Promise<TestContext> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'notion-sync-test-'));
  const config: Config = {
    databaseUrl: `file:${path.join(dir, 'state.db')}`,
    exportsDir: path.join(dir, 'exports'),
    dataDir: dir,
    port: 0,
    requestsPerSecond: 1000,
    runnerEnabled: false,
    leaseMs: 60_000,
    secret: 'test-secret-test-secret',
    // Connections point at the Notion twin (http://127.0.0.1:<port>), allowed in development only.
    deployment: 'development',
    ...overrides,
  };
  const ctx = await createAppContext(config, new LiveFeed());
  return {
    ...ctx,
    dir,
    async cleanup() {
      ctx.database.close();
      fs.rmSync(dir, { recursive: true, force: true });
    },
  };
}
