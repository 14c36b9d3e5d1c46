/**
 * OpenTelemetry tracing for a process (the dashboard's server, the worker, the CLI's export):
 * spans are exported over OTLP/HTTP JSON, in batches, when an endpoint is configured
 * (config.ts's `tracing`, from the standard OTEL_* variables). Without one nothing is started:
 * the code's spans (spans.ts) stay the OpenTelemetry API's no-op spans, and the SDK is not even
 * loaded (imported dynamically below), so the worker and the CLI pay nothing for it in memory.
 *
 * SDK 2.x (sdk-trace-node 2.12, exporter 0.223): the 3.x line needs Node 22, and we run on 20.
 */
import { context, type DiagLogger, DiagLogLevel, diag, propagation, trace } from '@opentelemetry/api';
import type { TracingConfig } from '@/server/config';
import { logger } from './logger';

/** What `startTracing` set up: flushing and stopping it. */
interface RunningTracing {
  forceFlush(): Promise<void>;
  shutdown(): Promise<void>;
}

/**
 * Per process, on globalThis: Next builds instrumentation.ts and the route handlers as separate
 * module graphs, and all of them must find the one provider (the API keeps it on globalThis too).
 */
const g = globalThis as typeof globalThis & { __notionSyncTracing?: Promise<RunningTracing> };

/** The exporter's own troubles (a collector that does not answer) in the process's log, as warnings. */
const diagnostics: DiagLogger = {
  error: (message) => logger.warn(`tracing: ${message}`),
  warn: (message) => logger.warn(`tracing: ${message}`),
  info: () => undefined,
  debug: () => undefined,
  verbose: () => undefined,
};

/**
 * How many finished spans wait for the exporter, and how often they go. The SDK's defaults (2,048
 * spans, sent every 5 s) hold about 4 MB in a worker making 100 requests a second, too much for its
 * 100 MB budget: 512 spans, sent every second in batches of up to 256, keep up with that rate and
 * hold a quarter of it. The standard OTEL_BSP_* variables still decide when they are set.
 */
export function batchLimits(env: Record<string, string | undefined>): {
  maxQueueSize?: number;
  maxExportBatchSize?: number;
  scheduledDelayMillis?: number;
} {
  return {
    ...(env.OTEL_BSP_MAX_QUEUE_SIZE ? {} : { maxQueueSize: 512 }),
    ...(env.OTEL_BSP_MAX_EXPORT_BATCH_SIZE ? {} : { maxExportBatchSize: 256 }),
    ...(env.OTEL_BSP_SCHEDULE_DELAY ? {} : { scheduledDelayMillis: 1000 }),
  };
}

async function start(config: TracingConfig): Promise<RunningTracing> {
  const [{ NodeTracerProvider, BatchSpanProcessor }, { OTLPTraceExporter }, { defaultResource, detectResources, envDetector, resourceFromAttributes }] =
    await Promise.all([import('@opentelemetry/sdk-trace-node'), import('@opentelemetry/exporter-trace-otlp-http'), import('@opentelemetry/resources')]);
  diag.setLogger(diagnostics, DiagLogLevel.WARN);
  // OTEL_RESOURCE_ATTRIBUTES (the environment detector) add to the resource; the service name is ours.
  const resource = defaultResource()
    .merge(detectResources({ detectors: [envDetector] }))
    .merge(resourceFromAttributes({ 'service.name': config.serviceName }));
  const provider = new NodeTracerProvider({
    resource,
    // OTEL_EXPORTER_OTLP_HEADERS / _TIMEOUT / _COMPRESSION are read by the exporter itself.
    // At most two batches on their way at once (the exporter's default is 30): a collector slower
    // than the export would otherwise hold up to 30 serialised batches in the worker.
    spanProcessors: [new BatchSpanProcessor(new OTLPTraceExporter({ url: config.url, concurrencyLimit: 2 }), batchLimits(process.env))],
  });
  // The global provider, AsyncLocalStorage as the context manager, W3C trace context propagation.
  provider.register();
  return provider;
}

/**
 * Starts tracing once per process when `config` says where to send spans; does nothing (and loads
 * nothing) when it is undefined. Resolves to whether tracing is on.
 */
export async function startTracing(config: TracingConfig | undefined): Promise<boolean> {
  if (!config) return false;
  g.__notionSyncTracing ??= start(config);
  await g.__notionSyncTracing;
  return true;
}

/**
 * Sends the spans still batched and stops tracing (a graceful stop: before the process exits).
 * The process is back to no-op spans afterwards. Does nothing when tracing was not started.
 */
export async function stopTracing(): Promise<void> {
  const running = g.__notionSyncTracing;
  if (!running) return;
  g.__notionSyncTracing = undefined;
  try {
    await (await running).shutdown();
  } catch (error) {
    logger.warn({ err: error }, 'tracing: the last spans could not be sent');
  } finally {
    trace.disable();
    context.disable();
    propagation.disable();
    diag.disable();
  }
}

/** Whether this process started tracing (and so loaded the SDK). */
export function tracingStarted(): boolean {
  return g.__notionSyncTracing !== undefined;
}
