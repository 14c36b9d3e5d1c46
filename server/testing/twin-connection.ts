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

/** Runs the queued exports to their end one after another (four pages in flight each), until none is left. */
export async function runQueuedExports(ctx: AppContext): Promise<void> {
  const runner = new Runner(ctx, { concurrency: 4 });
  while ((await runner.runOnce()) !== undefined) {}
}
