import { and, eq, inArray } from 'drizzle-orm';
import { exports } from '@/db/schema';
import type { AppContext } from '@/server/app-context';
import { DomainError } from '@/server/errors';
import { requestSync } from '@/server/export/control/request-export';
import { type Clock, systemClock } from '@/server/retry/clock';

/**
 * At most one look per connection in this long, however many events come: Notion sends one per
 * edit (and a burst for a bulk change), while one sync reads every change there is.
 */
export const WEBHOOK_SYNC_INTERVAL_MS = 60_000;

/** What an event did: a sync requested now; one queued already reads the change; one follows; the connection is gone. */
export type SyncRequestOutcome = 'sync_requested' | 'absorbed' | 'deferred' | 'no_connection';

interface ConnectionState {
  /** When the connection was last looked at (a sync requested, or one found queued or running). */
  lookedAt?: number;
  /** A look is due at the end of the interval (events came meanwhile, or a sync was running). */
  due?: Promise<void>;
}

export interface WebhookSyncsOptions {
  intervalMs?: number;
  clock?: Clock;
  log?: (line: string, error?: unknown) => void;
}

/**
 * Turns change events into syncs of a connection, prompt but never more than one look per
 * connection per interval. An event within the interval, or while a sync of the connection runs
 * (it may have listed the workspace before the change), leaves one look due at the interval's
 * end, so the last change of a burst is not left to the schedule. A sync already queued reads the
 * change anyway: the event is absorbed. Per process; the database's own rule (one queued or
 * running export per connection) holds across processes.
 */
export class WebhookSyncs {
  readonly #ctx: AppContext;
  readonly #intervalMs: number;
  readonly #clock: Clock;
  readonly #log: (line: string, error?: unknown) => void;
  readonly #connections = new Map<string, ConnectionState>();

  constructor(ctx: AppContext, options: WebhookSyncsOptions = {}) {
    this.#ctx = ctx;
    this.#intervalMs = options.intervalMs ?? WEBHOOK_SYNC_INTERVAL_MS;
    this.#clock = options.clock ?? systemClock;
    this.#log = options.log ?? ((line, error) => console.error(line, error ?? ''));
  }

  /** A change event of `connectionId` came. */
  async changed(connectionId: string): Promise<SyncRequestOutcome> {
    const state = this.#connections.get(connectionId) ?? {};
    this.#connections.set(connectionId, state);
    if (state.due) return 'deferred';
    const now = this.#clock.now();
    if (state.lookedAt !== undefined && now - state.lookedAt < this.#intervalMs) {
      this.#lookLater(connectionId, state, state.lookedAt + this.#intervalMs - now);
      return 'deferred';
    }
    return this.#look(connectionId, state);
  }

  /** The looks due (tests wait for them). */
  pending(): Promise<void>[] {
    return [...this.#connections.values()].flatMap((state) => (state.due ? [state.due] : []));
  }

  async #look(connectionId: string, state: ConnectionState): Promise<SyncRequestOutcome> {
    state.lookedAt = this.#clock.now();
    const busy = await this.#ctx.database.db
      .select({ status: exports.status })
      .from(exports)
      .where(and(eq(exports.connectionId, connectionId), inArray(exports.status, ['queued', 'running'])));
    if (busy.some((row) => row.status === 'queued')) return 'absorbed';
    if (busy.length > 0) {
      this.#lookLater(connectionId, state, this.#intervalMs);
      return 'deferred';
    }
    try {
      await requestSync(this.#ctx, { connectionId, trigger: 'webhook' });
      return 'sync_requested';
    } catch (error) {
      // Another process queued one meanwhile: it reads the change.
      if (error instanceof DomainError && error.code === 'CONFLICT') return 'absorbed';
      if (error instanceof DomainError && error.code === 'NOT_FOUND') {
        this.#connections.delete(connectionId);
        return 'no_connection';
      }
      throw error;
    }
  }

  #lookLater(connectionId: string, state: ConnectionState, delayMs: number): void {
    state.due = this.#clock
      .sleep(delayMs)
      .then(() => {
        state.due = undefined;
        return this.#look(connectionId, state);
      })
      .then(
        () => undefined,
        (error: unknown) => {
          state.due = undefined;
          this.#log(`webhooks: the sync of connection ${connectionId} due after events could not be requested:`, error);
        },
      );
  }
}
