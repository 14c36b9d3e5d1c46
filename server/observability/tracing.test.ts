import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { diag, trace } from '@opentelemetry/api';
import { afterEach, describe, expect, it } from 'vitest';
import { ConfigError, loadConfig } from '@/server/config';
import { describeLogLine, sendLogsTo } from './logger';
import { withSpan } from './spans';
import { startTracing, stopTracing, tracingStarted } from './tracing';

const tracingOf = (env: Record<string, string>) => loadConfig(env).tracing;

afterEach(async () => {
  await stopTracing();
});

describe('tracing configuration (the standard OTEL_* variables)', () => {
  it('is off without an endpoint, or with OTEL_SDK_DISABLED=true', () => {
    expect(tracingOf({})).toBeUndefined();
    expect(tracingOf({ OTEL_SERVICE_NAME: 'x', OTEL_EXPORTER_OTLP_PROTOCOL: 'grpc' })).toBeUndefined();
    expect(tracingOf({ OTEL_EXPORTER_OTLP_ENDPOINT: 'http://collector:4318', OTEL_SDK_DISABLED: 'TRUE' })).toBeUndefined();
  });

  it('sends to <endpoint>/v1/traces, or to the traces endpoint as it is, as notion-sync unless named', () => {
    expect(tracingOf({ OTEL_EXPORTER_OTLP_ENDPOINT: 'http://collector:4318' })).toEqual({ url: 'http://collector:4318/v1/traces', serviceName: 'notion-sync' });
    expect(tracingOf({ OTEL_EXPORTER_OTLP_ENDPOINT: 'https://otel.example.com/otlp/', OTEL_SERVICE_NAME: ' exports ' })).toEqual({
      url: 'https://otel.example.com/otlp/v1/traces',
      serviceName: 'exports',
    });
    expect(
      tracingOf({ OTEL_EXPORTER_OTLP_ENDPOINT: 'http://collector:4318', OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: 'http://traces:9999/custom', OTEL_EXPORTER_OTLP_PROTOCOL: 'http/json' }),
    ).toEqual({ url: 'http://traces:9999/custom', serviceName: 'notion-sync' });
  });

  it('refuses a protocol other than http/json at start-up, naming the one it supports', () => {
    const refusal = (env: Record<string, string>) => {
      try {
        loadConfig(env);
      } catch (error) {
        return error instanceof ConfigError ? error.problems : error;
      }
      return undefined;
    };
    expect(refusal({ OTEL_EXPORTER_OTLP_ENDPOINT: 'http://c:4318', OTEL_EXPORTER_OTLP_PROTOCOL: 'http/protobuf' })).toEqual([
      'OTEL_EXPORTER_OTLP_PROTOCOL: "http/protobuf" is not supported; set http/json (or leave it unset): spans are sent as OTLP/HTTP JSON (http/protobuf and grpc are not supported)',
    ]);
    // The traces protocol is the one that counts when both are set.
    expect(
      refusal({ OTEL_EXPORTER_OTLP_ENDPOINT: 'http://c:4318', OTEL_EXPORTER_OTLP_PROTOCOL: 'http/json', OTEL_EXPORTER_OTLP_TRACES_PROTOCOL: 'grpc' }),
    ).toEqual([expect.stringMatching(/^OTEL_EXPORTER_OTLP_TRACES_PROTOCOL: "grpc" is not supported; set http\/json/)]);
    expect(refusal({ OTEL_EXPORTER_OTLP_ENDPOINT: 'http://c:4318', OTEL_EXPORTER_OTLP_PROTOCOL: 'grpc', OTEL_EXPORTER_OTLP_TRACES_PROTOCOL: 'http/json' })).toBeUndefined();
    expect(refusal({ OTEL_EXPORTER_OTLP_ENDPOINT: 'collector:4318' })).toEqual([
      'OTEL_EXPORTER_OTLP_ENDPOINT: must be the http(s) URL of an OTLP/HTTP collector, such as http://localhost:4318',
    ]);
  });
});

describe('startTracing and stopTracing', () => {
  it('start nothing without a configuration, and stop nothing', async () => {
    expect(await startTracing(undefined)).toBe(false);
    expect(tracingStarted()).toBe(false);
    await stopTracing();
    expect(await withSpan('off', undefined, async (span) => span.isRecording())).toBe(false);
  });

  it('start once per process, record spans until stopped, then make no-op spans again', async () => {
    const config = { url: 'http://127.0.0.1:9/v1/traces', serviceName: 'test' };
    expect(await startTracing(config)).toBe(true);
    const provider = trace.getTracerProvider();
    expect(await startTracing({ ...config, serviceName: 'another' })).toBe(true);
    expect(trace.getTracerProvider()).toBe(provider);
    await stopTracing();
    expect(tracingStarted()).toBe(false);
    expect(await withSpan('after', undefined, async (span) => span.isRecording())).toBe(false);
  });

  it("logs the exporter's troubles as warnings (a collector that refuses the spans)", async () => {
    const collector = http.createServer((_req, res) => res.writeHead(400).end('{"code":3,"message":"no"}'));
    await new Promise<void>((resolve) => collector.listen(0, '127.0.0.1', resolve));
    const lines: string[] = [];
    const restore = sendLogsTo((line) => lines.push(line), { level: 'warn', env: {} });
    try {
      await startTracing({ url: `http://127.0.0.1:${(collector.address() as AddressInfo).port}/v1/traces`, serviceName: 'test' });
      await withSpan('refused', undefined, async () => undefined);
      // What the SDK says of a failed batch export between the flushes (its diagnostics).
      diag.error('export failed');
      diag.warn('queue full');
      diag.info('not worth a line');
      await stopTracing();
    } finally {
      restore();
      await new Promise<void>((resolve) => collector.close(() => resolve()));
    }
    expect(lines.map(describeLogLine)).toEqual([
      'warn: tracing: export failed',
      'warn: tracing: queue full',
      'warn: tracing: the last spans could not be sent (Bad Request)',
    ]);
  });
});

describe('batchLimits', () => {
  it('keeps fewer spans waiting than the SDK would, unless OTEL_BSP_* say otherwise', async () => {
    const { batchLimits } = await import('./tracing');
    expect(batchLimits({})).toEqual({ maxQueueSize: 512, maxExportBatchSize: 256, scheduledDelayMillis: 1000 });
    expect(batchLimits({ OTEL_BSP_MAX_QUEUE_SIZE: '4096', OTEL_BSP_SCHEDULE_DELAY: '5000' })).toEqual({ maxExportBatchSize: 256 });
  });
});
