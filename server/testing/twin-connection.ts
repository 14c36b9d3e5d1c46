import { eq } from 'drizzle-orm';
import { afterAll, beforeAll } from 'vitest';
import { exports } from '@/db/schema';
import { DEFAULT_TOKEN, startTwin, type Twin, type TwinOptions } from '@/e2e/notion-twin/index';
import type { AppContext } from '@/server/app-context';
import { createConnection } from '@/server/connections/connections';
import { Runner } from '@/server/runner/runner';
import { createTestContext, type TestContext } from './test-context';

/** A Notion twin over HTTP, a test context on its own database, and that context's connection to the twin. */
export interface TwinConnection {
  twin: Twin;
  ctx: TestContext;
  connectionId: string;
  /** Removes the context's database and folder, then stops the twin. */
  close(): Promise<void>;
}

/**
 * Starts the twin (`options`: its workspace and behaviour), creates a test context and connects it
 * to the twin with the twin's token, as the dashboard would. Whatever was started is stopped again
 * when a step fails, so a failed setup leaves no server or folder behind.
 */
export async function openTwinConnection(options: TwinOptions): Promise<TwinConnection> {
  const twin = await startTwin(options);
  let ctx: TestContext | undefined;
  const close = async () => {
    await ctx?.cleanup();
    await twin.close();
  };
  try {
    ctx = await createTestContext();
    const { id } = await createConnection(ctx, { token: DEFAULT_TOKEN, baseUrl: twin.url });
    return { twin, ctx, connectionId: id, close };
  } catch (error) {
    await close();
    throw error;
  }
}

/** The twin connection a test file's tests share (`sharedTwinConnection`), with the export rows they read. */
export interface SharedTwinConnection extends Omit<TwinConnection, 'close'> {
  /** The export's row in this connection's context. */
  exportRowOf(exportId: string): Promise<typeof exports.$inferSelect>;
  /** The folder the export was written to. */
  outDirOf(exportId: string): Promise<string>;
}

/**
 * Called at the top level of a test file: opens a twin connection (`openTwinConnection(options)`)
 * before the file's tests and closes it after them. Its parts exist once it is open: read them in
 * hooks and tests, not at the top level.
 */
export function sharedTwinConnection(options: TwinOptions): SharedTwinConnection {
  let open: TwinConnection | undefined;
  const opened = (): TwinConnection => {
    if (!open) throw new Error('The twin connection opens before the tests: read it in a hook or a test');
    return open;
  };
  beforeAll(async () => {
    open = await openTwinConnection(options);
  });
  afterAll(() => open?.close());
  const exportRowOf = async (exportId: string) => {
    const [row] = await opened().ctx.database.db.select().from(exports).where(eq(exports.id, exportId));
    if (!row) throw new Error(`Export ${exportId} does not exist`);
    return row;
  };
  return {
    get twin() {
      return opened().twin;
    },
    get ctx() {
      return opened().ctx;
    },
    get connectionId() {
      return opened().connectionId;
    },
    exportRowOf,
    outDirOf: async (exportId) => (await exportRowOf(exportId)).outDir,
  };
}

/** Runs the queued exports to their end one after another (four pages in flight each), until none is left. */
export async function runQueuedExports(ctx: AppContext): Promise<void> {
  const runner = new Runner(ctx, { concurrency: 4 });
  while ((await runner.runOnce()) !== undefined) {}
}
