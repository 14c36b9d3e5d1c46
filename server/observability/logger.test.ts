import { randomBytes } from 'node:crypto';
import { context, trace } from '@opentelemetry/api';
import { NodeTracerProvider } from '@opentelemetry/sdk-trace-node';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { createLogger, describeLogLine, logger, sendLogsTo } from './logger';
import { censor, isSensitiveName, REDACTED, scrubSecrets, serializeError } from './logger-redaction';

/** A logger writing into an array, configured from `env` only. */
function capture(env: Record<string, string | undefined> = {}) {
  const lines: string[] = [];
  const log = createLogger({ env, write: (line) => lines.push(line) });
  return { log, lines, records: () => lines.map((line) => JSON.parse(line) as Record<string, unknown>) };
}

afterEach(() => {
  vi.restoreAllMocks();
  trace.disable();
  context.disable();
});

describe('the log', () => {
  it('writes one JSON object per line: level, ISO time, message and the fields given', () => {
    const { log, lines, records } = capture();
    log.info({ exportId: 'e1', itemId: 'i1' }, 'page exported');
    log.child({ exportId: 'e2' }).warn('slow');
    expect(lines.every((line) => line.endsWith('\n') && !line.slice(0, -1).includes('\n'))).toBe(true);
    const [first, second] = records();
    expect(first).toMatchObject({ level: 'info', msg: 'page exported', exportId: 'e1', itemId: 'i1' });
    expect(new Date(String(first?.time)).toISOString()).toBe(first?.time);
    expect(second).toMatchObject({ level: 'warn', msg: 'slow', exportId: 'e2' });
    // No span is active: no trace ids.
    expect(first).not.toHaveProperty('traceId');
  });

  it('logs at LOG_LEVEL (default info) and names a level it does not know', () => {
    const quiet = capture();
    quiet.log.debug('hidden');
    quiet.log.info('shown');
    expect(quiet.records().map((r) => r.msg)).toEqual(['shown']);
    const verbose = capture({ LOG_LEVEL: 'DEBUG' });
    verbose.log.debug('shown too');
    expect(verbose.records().map((r) => r.msg)).toEqual(['shown too']);
    const wrong = capture({ LOG_LEVEL: 'loud' });
    wrong.log.debug('hidden');
    expect(wrong.records()).toEqual([expect.objectContaining({ level: 'warn', msg: expect.stringMatching(/^LOG_LEVEL=loud is not one of fatal, error/) })]);
  });

  it('carries the trace and span ids of the active span', () => {
    new NodeTracerProvider().register();
    const { log, records } = capture();
    const span = trace.getTracer('test').startActiveSpan('work', (active) => {
      log.info('inside');
      active.end();
      return active;
    });
    log.info('outside');
    expect(records()[0]).toMatchObject({ msg: 'inside', traceId: span.spanContext().traceId, spanId: span.spanContext().spanId });
    expect(records()[1]).not.toHaveProperty('traceId');
  });

  it('is readable by people with LOG_FORMAT=pretty or under NODE_ENV=development, on stdout, in-process', () => {
    const written: string[] = [];
    vi.spyOn(process.stdout, 'write').mockImplementation(((chunk: string) => {
      written.push(String(chunk));
      return true;
    }) as typeof process.stdout.write);
    createLogger({ env: { LOG_FORMAT: 'pretty' } }).warn({ exportId: 'e1' }, 'readable');
    createLogger({ env: { NODE_ENV: 'development' } }).info('also readable');
    createLogger({ env: { NODE_ENV: 'development', LOG_FORMAT: 'json' } }).info('json after all');
    createLogger({ env: {} }).info('json by default');
    expect(written[0]).toMatch(/^\[\d\d:\d\d:\d\d\.\d{3}\] WARN: readable\n\s+exportId: "e1"\n$/);
    expect(written[1]).toMatch(/INFO: also readable/);
    expect(JSON.parse(String(written[2]))).toMatchObject({ msg: 'json after all' });
    expect(JSON.parse(String(written[3]))).toMatchObject({ msg: 'json by default' });
  });

  it('sends the process log elsewhere on request (the CLI), at a level LOG_LEVEL overrides', () => {
    const lines: string[] = [];
    const before = logger.level;
    const restore = sendLogsTo((line) => lines.push(line), { level: 'error', env: {} });
    try {
      logger.warn('not said');
      logger.error({ err: new Error('disk full') }, 'export stopped');
      expect(lines.map(describeLogLine)).toEqual(['error: export stopped (disk full)']);
      sendLogsTo((line) => lines.push(line), { level: 'error', env: { LOG_LEVEL: 'info' } });
    } finally {
      restore();
    }
    expect(logger.level).toBe(before);
  });

  it('describes a line it cannot read as it is', () => {
    expect(describeLogLine('not json\n')).toBe('not json');
    expect(describeLogLine('{"msg":"only a message"}')).toBe('log: only a message');
    expect(describeLogLine('{"level":"warn","msg":"same","err":{"message":"same"}}')).toBe('warn: same');
  });
});

describe('secrets in the log', () => {
  const token = `secret_${randomBytes(16).toString('hex')}`;
  const modern = `ntn_${randomBytes(16).toString('hex')}`;
  const cookie = `better-auth.session_token=${randomBytes(12).toString('hex')}.sig`;
  const bare = (value: string) => value.replace(/^(secret|ntn)_/, '');

  function logEverything(log: ReturnType<typeof createLogger>) {
    const failure = new TypeError(`Headers.append: "Bearer ${token}\nx" is an invalid header value`, {
      cause: new Error(`request with ${modern} refused`),
    });
    log.info({ token, authorization: `Bearer ${token}`, password: 'hunter22', secret: token }, 'fields by name');
    log.info({ req: { headers: { authorization: `Bearer ${token}`, cookie, 'set-cookie': cookie } } }, 'headers');
    log.info({ connection: { settings: { nested: { deeper: { apiToken: token, clientSecret: modern } } } } }, 'deep fields');
    log.info({ note: `pasted ${token} by mistake`, link: `https://x.example/setup?token=${bare(token)}&a=1`, list: [modern] }, 'values');
    log.error(failure);
    log.error({ err: failure, exportId: 'e1' }, `failed with ${modern}`);
    log.warn(`message with ${token} and ${cookie}`);
    log.child({ connectionToken: token, label: `for ${modern}` }).info('bindings');
  }

  it('are found nowhere in JSON lines: fields, headers, deep fields, values, errors, messages, bindings', () => {
    const { log, lines, records } = capture();
    logEverything(log);
    const output = lines.join('');
    for (const secret of [token, modern, bare(token), bare(modern), cookie.split('=')[1] as string, 'hunter22']) expect(output).not.toContain(secret);
    // What is not a secret stays readable.
    const all = records();
    expect(all[0]).toMatchObject({ token: REDACTED, authorization: REDACTED, password: REDACTED });
    expect(all[3]?.link).toBe(`https://x.example/setup?token=${REDACTED}&a=1`);
    expect(all[4]?.err).toMatchObject({ type: 'TypeError', message: expect.stringContaining('is an invalid header value') });
    expect(all[5]).toMatchObject({ exportId: 'e1', msg: `failed with ${REDACTED}` });
  });

  it('are found nowhere in pretty lines either', () => {
    const written: string[] = [];
    vi.spyOn(process.stdout, 'write').mockImplementation(((chunk: string) => {
      written.push(String(chunk));
      return true;
    }) as typeof process.stdout.write);
    logEverything(createLogger({ env: { LOG_FORMAT: 'pretty' } }));
    const output = written.join('');
    expect(output).toContain('fields by name');
    for (const secret of [bare(token), bare(modern), cookie.split('=')[1] as string, 'hunter22']) expect(output).not.toContain(secret);
  });
});

describe('redaction', () => {
  it('scrubs token-shaped text and keeps the rest', () => {
    expect(scrubSecrets('a secret_AbC_12-x b')).toBe(`a ${REDACTED} b`);
    expect(scrubSecrets('Authorization: Bearer abc.def, next')).toBe(`Authorization: Bearer ${REDACTED}, next`);
    expect(scrubSecrets('?token=abc&page=2')).toBe(`?token=${REDACTED}&page=2`);
    expect(scrubSecrets('"token=abc\\n at"')).toBe(`"token=${REDACTED}\\n at"`);
    expect(scrubSecrets('NOTION_SYNC_SECRET is unset')).toBe('NOTION_SYNC_SECRET is unset');
  });

  it('knows credentials by the name of their field', () => {
    for (const name of ['token', 'accessToken', 'Authorization', 'set-cookie', 'password', 'clientSecret', 'x-api-key']) expect(isSensitiveName(name)).toBe(true);
    for (const name of ['exportId', 'itemId', 'pages', 'msg']) expect(isSensitiveName(name)).toBe(false);
  });

  it('serializes errors with their code and causes, a few deep; anything else as text', () => {
    const root = Object.assign(new Error('disk full'), { code: 'ENOSPC' });
    const error = new Error('a', { cause: new Error('b', { cause: new Error('c', { cause: new Error('d', { cause: root }) }) }) });
    const serialized = serializeError(error);
    expect(serialized).toMatchObject({ type: 'Error', message: 'a', cause: { message: 'b', cause: { message: 'c', cause: { message: 'd' } } } });
    expect(JSON.stringify(serialized)).not.toContain('disk full');
    expect(serializeError(root)).toMatchObject({ code: 'ENOSPC' });
    expect(serializeError('secret_x happened')).toBe(`${REDACTED} happened`);
  });

  it('copies plain objects and arrays, keeps class instances, and stops at a depth', () => {
    const original = { token: 't', list: [{ password: 'p' }], when: new Date(0) };
    expect(censor(original)).toEqual({ token: REDACTED, list: [{ password: REDACTED }], when: new Date(0) });
    expect(original.token).toBe('t');
    let deep: Record<string, unknown> = { leaf: 1 };
    for (let i = 0; i < 10; i++) deep = { next: deep };
    expect(JSON.stringify(censor(deep))).toContain('[too deep]');
    expect(censor(Object.assign(Object.create(null), { cookie: 'c' }))).toEqual({ cookie: REDACTED });
    expect(censor(7)).toBe(7);
  });
});
