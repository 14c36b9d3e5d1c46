/**
 * The process's log: pino, one JSON object per line on stdout (`level`, `time`, `msg`, and
 * `exportId`, `itemId`, `traceId`, `spanId` where they apply), or human-readable lines in
 * development. Secrets are removed before a line is written (see logger-redaction.ts).
 *
 * Read from the environment here rather than through config.ts: the log must work before the
 * configuration is read, and to say what is wrong with it.
 *   LOG_LEVEL   fatal | error | warn | info (default) | debug | trace | silent
 *   LOG_FORMAT  json | pretty; default the profile's: pretty in development (NOTION_SYNC_ENV, or
 *               NODE_ENV=development under `next dev`), else json
 *
 * No pino transports: they run in worker threads, which Next's bundler breaks. Pretty lines are
 * made in-process by pino-pretty's formatter, synchronously, so nothing is lost at process.exit.
 */
import { isSpanContextValid, trace } from '@opentelemetry/api';
import pino, { type Logger } from 'pino';
import { defaultLogFormat } from '@/server/config';
import { censor, REDACT_PATHS, REDACTED, scrubSecrets, serializeError } from './logger-redaction';

export type { Logger };

export const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const;
export type LogLevel = (typeof LOG_LEVELS)[number];

/** Where finished lines go (each one ends with a newline). */
export type LineWriter = (line: string) => void;

export interface LoggerOptions {
  env?: Record<string, string | undefined>;
  /** Where lines go; default stdout (pretty or JSON as LOG_FORMAT says). */
  write?: LineWriter;
}

const isLevel = (value: string | undefined): value is LogLevel => (LOG_LEVELS as readonly string[]).includes(value ?? '');

/** LOG_LEVEL, or info; a value that is no level is reported once the logger exists. */
function levelOf(env: Record<string, string | undefined>): { level: LogLevel; unknown?: string } {
  const wanted = env.LOG_LEVEL?.trim().toLowerCase();
  if (!wanted) return { level: 'info' };
  return isLevel(wanted) ? { level: wanted } : { level: 'info', unknown: env.LOG_LEVEL };
}

function prettyWanted(env: Record<string, string | undefined>): boolean {
  const format = env.LOG_FORMAT?.trim().toLowerCase();
  if (format === 'pretty') return true;
  if (format === 'json') return false;
  // The profile's default (NOTION_SYNC_ENV; NODE_ENV=development under `next dev`).
  return defaultLogFormat(env) === 'pretty';
}

/**
 * Lines for people. pino-pretty is loaded only here, so a process that logs JSON (the worker in
 * production) does not load it.
 */
function prettyWriter(): LineWriter {
  const { prettyFactory } = require('pino-pretty') as typeof import('pino-pretty');
  const prettify = prettyFactory({ colorize: process.stdout.isTTY === true, translateTime: 'SYS:HH:MM:ss.l', ignore: 'pid,hostname' });
  return (line) => {
    process.stdout.write(prettify(line));
  };
}

/** stdout, looked up at each line (a test may have replaced its `write`). */
const stdoutWriter: LineWriter = (line) => {
  process.stdout.write(line);
};

/** The ids of the span this line is logged in, when tracing is on; nothing otherwise. */
function traceIds(): Record<string, string> {
  const span = trace.getActiveSpan();
  if (!span) return {};
  const ids = span.spanContext();
  return isSpanContextValid(ids) ? { traceId: ids.traceId, spanId: ids.spanId } : {};
}

/** A sink whose target can change after pino holds it (the CLI sends lines to its reporter). */
interface Sink {
  write(line: string): void;
  target: LineWriter;
}

const serializeIfError = (value: unknown) => (value instanceof Error ? serializeError(value) : value);

const sinks = new WeakMap<Logger, Sink>();

/** A logger writing to `options.write` (default: stdout), configured from `options.env` (default: process.env). */
export function createLogger(options: LoggerOptions = {}): Logger {
  const env = options.env ?? process.env;
  const { level, unknown } = levelOf(env);
  const sink: Sink = {
    target: options.write ?? (prettyWanted(env) ? prettyWriter() : stdoutWriter),
    write(line) {
      this.target(line);
    },
  };
  const created = pino(
    {
      level,
      timestamp: pino.stdTimeFunctions.isoTime,
      formatters: {
        level: (label) => ({ level: label }),
        // Any depth: credentials by field name, token-shaped text, errors serialized.
        log: (object) => censor(object) as Record<string, unknown>,
      },
      // Errors are serialized by `log` above already; these catch one logged without it.
      serializers: { err: serializeIfError, error: serializeIfError },
      redact: { paths: REDACT_PATHS, censor: REDACTED },
      mixin: traceIds,
      // The last net: the finished line, message and bindings included, scrubbed of token-shaped text.
      hooks: { streamWrite: scrubSecrets },
    },
    sink,
  );
  sinks.set(created, sink);
  if (unknown !== undefined) created.warn(`LOG_LEVEL=${unknown} is not one of ${LOG_LEVELS.join(', ')}; logging at info`);
  return created;
}

const g = globalThis as typeof globalThis & { __notionSyncLogger?: Logger };

/**
 * The process's logger. Kept on globalThis: Next builds instrumentation and route handlers as
 * separate module graphs, and they share one log.
 */
g.__notionSyncLogger ??= createLogger();
export const logger: Logger = g.__notionSyncLogger;

/**
 * Sends the process's log lines to `write` from now on (the CLI: to its reporter, so stderr keeps
 * its format). `level` applies unless LOG_LEVEL is set. Returns the way back.
 */
export function sendLogsTo(write: LineWriter, options: { level?: LogLevel; env?: Record<string, string | undefined> } = {}): () => void {
  const sink = sinks.get(logger);
  const before = { target: sink?.target, level: logger.level };
  if (sink) sink.target = write;
  const env = options.env ?? process.env;
  if (options.level && !env.LOG_LEVEL?.trim()) logger.level = options.level;
  return () => {
    if (sink && before.target) sink.target = before.target;
    logger.level = before.level;
  };
}

/** A JSON log line in words: `warn: message (error message)`, for a reporter that speaks to people. */
export function describeLogLine(line: string): string {
  try {
    const record = JSON.parse(line) as { level?: unknown; msg?: unknown; err?: { message?: unknown } };
    const error = typeof record.err?.message === 'string' && record.err.message !== record.msg ? ` (${record.err.message})` : '';
    return `${String(record.level ?? 'log')}: ${String(record.msg ?? '')}${error}`;
  } catch {
    return line.trimEnd();
  }
}
