import type { Client, InArgs, InStatement, ResultSet, Transaction, TransactionMode } from '@libsql/client';

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

/**
 * Wraps a libSQL client so that one operation or transaction uses the database at a time
 * (single-writer discipline). A transaction holds the lock until it commits, rolls back or
 * closes, so a statement from elsewhere waits instead of failing with SQLITE_BUSY or
 * TRANSACTION_ACTIVE. `beforeTransaction` runs under the lock before each BEGIN, outside any
 * transaction: the place for per-connection PRAGMAs that a new connection would lack.
 */
export function serializeClient(client: Client, beforeTransaction?: (client: Client) => Promise<void>): Client {
  const mutex = new Mutex();
  const wrapper: Client = {
    get closed() {
      return client.closed;
    },
    get protocol() {
      return client.protocol;
    },
    execute(stmtOrSql: InStatement | string, args?: InArgs): Promise<ResultSet> {
      return mutex.run(() =>
        typeof stmtOrSql === 'string' ? client.execute(stmtOrSql, args) : client.execute(stmtOrSql),
      );
    },
    batch(stmts, mode?: TransactionMode) {
      return mutex.run(async () => {
        await beforeTransaction?.(client);
        return client.batch(stmts, mode);
      });
    },
    migrate(stmts) {
      return mutex.run(() => client.migrate(stmts));
    },
    async transaction(mode?: TransactionMode): Promise<Transaction> {
      const release = await mutex.lock();
      let tx: Transaction;
      try {
        await beforeTransaction?.(client);
        tx = await client.transaction(mode);
      } catch (error) {
        release();
        throw error;
      }
      let released = false;
      const done = () => {
        if (!released) {
          released = true;
          release();
        }
      };
      return {
        get closed() {
          return tx.closed;
        },
        execute: (stmt: InStatement) => tx.execute(stmt),
        batch: (stmts: InStatement[]) => tx.batch(stmts),
        executeMultiple: (sql: string) => tx.executeMultiple(sql),
        async commit() {
          try {
            await tx.commit();
          } finally {
            done();
          }
        },
        async rollback() {
          try {
            await tx.rollback();
          } finally {
            done();
          }
        },
        close() {
          try {
            tx.close();
          } finally {
            done();
          }
        },
      } as Transaction;
    },
    executeMultiple(sql: string) {
      return mutex.run(() => client.executeMultiple(sql));
    },
    sync() {
      return mutex.run(() => client.sync());
    },
    close() {
      client.close();
    },
    reconnect() {
      client.reconnect();
    },
  } as Client;
  return wrapper;
}
