/**
 * Runs a whole export against its own Notion twin with tracing off (no OTEL_* variables), then
 * prints one JSON line: the export's outcome, whether a span made meanwhile recorded, and the
 * OpenTelemetry SDK modules loaded — before tracing is started, and after (the check's control).
 * Usage: `node --import tsx server/testing/tracing-off-child.ts`; used by
 * server/observability/tracing.int.test.ts.
 */
import { DEFAULT_TOKEN, startTwin } from '@/e2e/notion-twin';
import { loadConfig } from '@/server/config';
import { createConnection } from '@/server/connections/connections';
import { requestExport } from '@/server/export/control/request-export';
import { withSpan } from '@/server/observability/spans';
import { startTracing, stopTracing, tracingStarted } from '@/server/observability/tracing';
import { Runner } from '@/server/runner/runner';
import { createTestContext } from './test-context';

/** SDK modules in the CommonJS cache (tsx loads the project and its packages through require). */
const sdkModules = () => Object.keys(require.cache).filter((file) => /@opentelemetry[\\/](sdk-|exporter-|resources|otlp-)/.test(file));

async function main(): Promise<void> {
  const twin = await startTwin({ workspace: { seed: 7, pages: 4, databases: 1, rowsPerDatabase: 2, largePages: 0 } });
  const ctx = await createTestContext();
  try {
    const config = loadConfig();
    const started = await startTracing(config.tracing);
    let recording: boolean | undefined;
    const connection = await createConnection(ctx, { token: DEFAULT_TOKEN, baseUrl: twin.url, name: 'Untraced' });
    await requestExport(ctx, { connectionId: connection.id, formats: ['markdown'], requestedBy: 'cli' });
    const outcome = await withSpan('probe', undefined, async (span) => {
      recording = span.isRecording();
      return new Runner(ctx, { concurrency: 2 }).runOnce();
    });
    const before = { started, tracingStarted: tracingStarted(), sdkModules: sdkModules() };
    // The control: the same check sees the SDK once tracing starts (nothing is sent: no span is made).
    await startTracing({ url: 'http://127.0.0.1:9/v1/traces', serviceName: 'control' });
    const after = { tracingStarted: tracingStarted(), sdkModules: sdkModules().length };
    await stopTracing();
    process.stdout.write(`${JSON.stringify({ outcome, recording, before, after })}\n`);
  } finally {
    await ctx.cleanup();
    await twin.close();
  }
}

void main();
