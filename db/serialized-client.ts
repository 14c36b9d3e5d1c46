import {
  type Client,
  type InArgs,
  type InStatement,
  LibsqlError,
  type ResultSet,
  type Transaction,
  type TransactionMode,
} from '@libsql/client';
import { backoffDelay } from '@/server/retry/backoff';
import { sleep as defaultSleep } from '@/server/retry/sleep';
import { classifyError } from '@/server/retry/classify';

/** A FIFO async mutex: one holder at a time, in arrival order. */
export class Mutex {
  #tail: Promise<void> = Promise.resolve();

  lock(): Promise<() => void> {
    let release!: () => void;
    const next = new Promise<void>((resolve) => {
      release = resolve;
    });
    const acquired = this.#tail.then(() => release);
    this.#tail = this.#tail.then(() => next);
    return acquired;
  }

  async run<T>(fn: () => Promise<T>): Promise<T> {
    const release = await this.lock();
    try {
      return await fn();
    } finally {
      release();
    }
  }
}

export interface DatabaseBusyErrorInit {
  /** What gave up: `statement`, `batch`, `BEGIN`, `COMMIT`, … */
  operation: string;
  /** What became of the work, e.g. "nothing was written". */
  outcome: string;
  /** Set when the operation was retried until the busy timeout. */
  waitedMs?: number;
  attempts?: number;
  cause: unknown;
}

/**
 * Another process held the database lock longer than the busy timeout (or a transaction hit
 * SQLITE_BUSY). The message says what was given up and what became of the work; the connection
 * that saw SQLITE_BUSY has been replaced, so the next operation starts clean.
 */
export class DatabaseBusyError extends LibsqlError {
  readonly operation: string;
  readonly waitedMs?: number;
  readonly attempts?: number;

  constructor(init: DatabaseBusyErrorInit) {
    const { operation, outcome, waitedMs, attempts, cause } = init;
    const what =
      attempts === undefined
        ? `${operation} failed`
        : `${operation} waited ${waitedMs} ms (${attempts} attempt${attempts === 1 ? '' : 's'}) for the lock and gave up`;
    const detail = cause instanceof Error ? ` [${cause.message}]` : '';
    super(
      `The database is locked by another process: ${what}; ${outcome}.${detail}`,
      'SQLITE_BUSY',
      cause instanceof LibsqlError ? cause.extendedCode : undefined,
      cause instanceof LibsqlError ? cause.rawCode : undefined,
      cause instanceof Error ? cause : undefined,
    );
    this.name = 'DatabaseBusyError';
    this.operation = operation;
    this.waitedMs = waitedMs;
    this.attempts = attempts;
  }
}

/** Whether an error (or one it wraps) is SQLITE_BUSY / SQLITE_LOCKED: the shared classification's transient database failure. */
export function isBusyError(error: unknown): boolean {
  const failure = classifyError(error);
  return failure.source === 'database' && failure.class === 'transient';
}

export interface BusyEvent {
  operation: string;
  attempt: number;
  waitedMs: number;
  /** True when the operation gives up now. */
  gaveUp: boolean;
}

export interface SerializeClientOptions {
  /**
   * Per-connection settings (PRAGMAs). Run under the lock before each BEGIN and batch, outside
   * any transaction, and before the first statement on a connection opened after a reset.
   */
  prepareConnection?: (client: Client) => Promise<void>;
  /**
   * Total time one operation keeps trying while another process holds the lock, across
   * attempts. Each attempt's blocking wait is the client's own `timeout`, which should be much
   * shorter (SQLite's busy wait blocks the Node thread). Default 10 s.
   */
  busyTimeoutMs?: number;
  /** First pause between attempts (it doubles, with jitter, up to 250 ms). Default 10 ms. */
  busyRetryDelayMs?: number;
  onBusy?: (event: BusyEvent) => void;
  now?: () => number;
  sleep?: (ms: number) => Promise<void>;
  random?: () => number;
}

const MAX_RETRY_DELAY_MS = 250;

/**
 * Wraps a libSQL client so that one operation or transaction uses the database at a time
 * (single-writer discipline). A transaction holds the lock until it commits, rolls back or
 * closes, so a statement from elsewhere waits instead of failing with SQLITE_BUSY or
 * TRANSACTION_ACTIVE.
 *
 * Lock contention with other processes: a statement, batch, migration or BEGIN that fails with
 * SQLITE_BUSY is retried (it changed nothing) with short async pauses until `busyTimeoutMs`
 * has passed, then fails with DatabaseBusyError. Statements inside an interactive transaction
 * and COMMIT are never retried: the transaction is rolled back and the error names it. After
 * every SQLITE_BUSY the client's connection is dropped and reopened, because @libsql/client
 * 0.18 leaves the failed statement in progress on it (libsql-client-ts #352): later COMMITs
 * there fail and writes silently never commit.
 */
export function serializeClient(client: Client, options: SerializeClientOptions = {}): Client {
  const {
    prepareConnection,
    busyTimeoutMs = 10_000,
    busyRetryDelayMs = 10,
    onBusy,
    now = Date.now,
    sleep = defaultSleep,
    random = Math.random,
  } = options;
  const mutex = new Mutex();
  /** The next operation runs on a new connection that lacks its settings. */
  let fresh = true;

  const prepare = async (always: boolean) => {
    if (!prepareConnection || (!always && !fresh)) return;
    await prepareConnection(client);
    fresh = false;
  };

  /** Drops the connection (closing it rolls back whatever it held); the next operation opens a new one. */
  const resetConnection = () => {
    if (client.closed) return;
    void client.reconnect();
    fresh = true;
  };

  /**
   * Runs `operation` (under the mutex), retrying it on SQLITE_BUSY until the budget is spent
   * when `retry` is set. Every SQLITE_BUSY resets the connection first.
   */
  async function withBusyRetry<T>(
    name: string,
    retry: boolean,
    outcome: string,
    operation: () => Promise<T>,
  ): Promise<T> {
    const started = now();
    for (let attempt = 1; ; attempt++) {
      try {
        return await operation();
      } catch (error) {
        if (!isBusyError(error)) throw error;
        resetConnection();
        const waitedMs = now() - started;
        const gaveUp = !retry || waitedMs >= busyTimeoutMs;
        onBusy?.({ operation: name, attempt, waitedMs, gaveUp });
        if (gaveUp) throw new DatabaseBusyError({ operation: name, outcome, waitedMs, attempts: attempt, cause: error });
        // Centred jitter: never much shorter than the doubling pause, so the lock holder gets its time.
        const delay = backoffDelay(attempt, { baseMs: busyRetryDelayMs, maxMs: MAX_RETRY_DELAY_MS, jitter: 'centred' }, random);
        await sleep(Math.max(0, Math.min(delay, busyTimeoutMs - waitedMs)));
      }
    }
  }

  function wrapTransaction(tx: Transaction, release: () => void): Transaction {
    let released = false;
    /** The SQLITE_BUSY a statement inside the transaction hit: the transaction cannot commit. */
    let poisoned: unknown;
    const done = () => {
      if (!released) {
        released = true;
        release();
      }
    };
    /** Ends the transaction on a connection that saw SQLITE_BUSY, and replaces that connection. */
    const discard = () => {
      try {
        tx.close();
      } catch {
        // closing the connection below rolls back as well
      }
      resetConnection();
    };
    const guard = async <T>(run: () => Promise<T>): Promise<T> => {
      try {
        return await run();
      } catch (error) {
        if (!isBusyError(error)) throw error;
        poisoned = error;
        throw new DatabaseBusyError({
          operation: 'a statement inside a transaction',
          outcome: 'the transaction can only be rolled back',
          cause: error,
        });
      }
    };
    return {
      get closed() {
        return released || tx.closed;
      },
      execute: (stmt: InStatement) => guard(() => tx.execute(stmt)),
      batch: (stmts: InStatement[]) => guard(() => tx.batch(stmts)),
      executeMultiple: (sql: string) => guard(() => tx.executeMultiple(sql)),
      async commit() {
        try {
          if (poisoned !== undefined) {
            discard();
            throw new DatabaseBusyError({
              operation: 'COMMIT (after a statement of the transaction hit SQLITE_BUSY)',
              outcome: 'the transaction was rolled back',
              cause: poisoned,
            });
          }
          await tx.commit();
        } catch (error) {
          if (!isBusyError(error) || error instanceof DatabaseBusyError) throw error;
          // The failed COMMIT released the connection, which rolled the transaction back.
          resetConnection();
          throw new DatabaseBusyError({ operation: 'COMMIT', outcome: 'the transaction was rolled back', cause: error });
        } finally {
          done();
        }
      },
      async rollback() {
        if (released) return;
        try {
          if (poisoned !== undefined) discard();
          else await tx.rollback();
        } catch {
          // A connection that cannot roll back is dropped; closing it rolls back.
          resetConnection();
        } finally {
          done();
        }
      },
      close() {
        try {
          if (poisoned !== undefined) discard();
          else tx.close();
        } catch {
          resetConnection();
        } finally {
          done();
        }
      },
    } as Transaction;
  }

  const wrapper: Client = {
    get closed() {
      return client.closed;
    },
    get protocol() {
      return client.protocol;
    },
    execute(stmtOrSql: InStatement | string, args?: InArgs): Promise<ResultSet> {
      return mutex.run(() =>
        withBusyRetry('statement', true, 'the statement did not run', async () => {
          await prepare(false);
          return typeof stmtOrSql === 'string' ? client.execute(stmtOrSql, args) : client.execute(stmtOrSql);
        }),
      );
    },
    batch(stmts, mode?: TransactionMode) {
      return mutex.run(() =>
        withBusyRetry('batch', true, 'nothing was written (the batch was rolled back)', async () => {
          await prepare(true);
          return client.batch(stmts, mode);
        }),
      );
    },
    migrate(stmts) {
      return mutex.run(() =>
        withBusyRetry('migration', true, 'the migration was rolled back', async () => {
          await prepare(false);
          return client.migrate(stmts);
        }),
      );
    },
    async transaction(mode: TransactionMode = 'write'): Promise<Transaction> {
      const release = await mutex.lock();
      try {
        const tx = await withBusyRetry('BEGIN', true, 'the transaction did not start', async () => {
          await prepare(true);
          return client.transaction(mode);
        });
        return wrapTransaction(tx, release);
      } catch (error) {
        release();
        throw error;
      }
    },
    executeMultiple(sql: string) {
      // Not atomic: statements before a busy one have run, so it is never retried.
      return mutex.run(() =>
        withBusyRetry('script', false, 'statements before the locked one may have run', async () => {
          await prepare(false);
          return client.executeMultiple(sql);
        }),
      );
    },
    sync() {
      return mutex.run(() => client.sync());
    },
    close() {
      client.close();
    },
    reconnect() {
      fresh = true;
      return client.reconnect();
    },
  } as Client;
  return wrapper;
}
