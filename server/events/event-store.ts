import { randomUUID } from 'node:crypto';
import { and, asc, desc, eq, gt, gte, inArray, max } from 'drizzle-orm';
import type { DB, Tx } from '@/db/client';
import { events } from '@/db/schema';
import { failpoint } from '@/server/failpoints';
import type { LiveFeed } from './live-feed';

export interface NewEvent {
  type: string;
  data: unknown;
  /** Client-generated id; a retried append with the same ids adds nothing. */
  eventId?: string;
  metadata?: Record<string, unknown>;
}

export interface RecordedEvent {
  globalPosition: number;
  eventId: string;
  streamId: string;
  streamVersion: number;
  type: string;
  data: unknown;
  metadata: Record<string, unknown>;
  recordedAt: Date;
}

/** `number`: the stream must be exactly at that version (0 = no stream yet); 'any': no check. */
export type ExpectedVersion = number | 'any';

export interface AppendResult {
  nextVersion: number;
  lastPosition: number;
  recorded: RecordedEvent[];
}

/** An inline projection: updated in the same transaction as the append. */
export interface Projection {
  name: string;
  canHandle: readonly string[];
  apply(tx: Tx, event: RecordedEvent): Promise<void>;
  /** Runs once per append after the events it handled. */
  afterAppend?(tx: Tx, streamId: string, events: RecordedEvent[]): Promise<void>;
}

export class ConcurrencyError extends Error {
  constructor(
    public readonly streamId: string,
    public readonly expected: ExpectedVersion,
    public readonly actual: number,
  ) {
    super(`Stream ${streamId} is at version ${actual}, expected ${expected}`);
    this.name = 'ConcurrencyError';
  }
}

function isUniqueViolation(error: unknown): boolean {
  for (let e: unknown = error; e instanceof Error; e = e.cause) {
    if (/UNIQUE constraint failed|SQLITE_CONSTRAINT/.test(e.message)) return true;
    const code = (e as { code?: unknown }).code;
    if (typeof code === 'string' && code.startsWith('SQLITE_CONSTRAINT')) return true;
  }
  return false;
}

type EventRow = typeof events.$inferSelect;

function toRecorded(row: EventRow): RecordedEvent {
  return {
    globalPosition: row.globalPosition,
    eventId: row.eventId,
    streamId: row.streamId,
    streamVersion: row.streamVersion,
    type: row.type,
    data: row.data,
    metadata: row.metadata ?? {},
    recordedAt: row.recordedAt,
  };
}

export interface EventStoreOptions {
  projections?: Projection[];
  feed?: LiveFeed;
  now?: () => Date;
  /** Told how long each append took, in ms (the process's metrics; the store knows nothing of them). */
  onAppended?: (ms: number) => void;
}

/** The append-only event log in libSQL, with inline projections and a live feed. */
export class EventStore {
  readonly #projections: Projection[];
  readonly #feed?: LiveFeed;
  readonly #now: () => Date;
  readonly #onAppended?: (ms: number) => void;

  constructor(
    readonly db: DB,
    options: EventStoreOptions = {},
  ) {
    this.#projections = options.projections ?? [];
    this.#feed = options.feed;
    this.#now = options.now ?? (() => new Date());
    this.#onAppended = options.onAppended;
  }

  /** Appends atomically; fails with ConcurrencyError when the stream moved past `expected`. */
  async append(
    streamId: string,
    expected: ExpectedVersion,
    newEvents: NewEvent[],
    options: { guard?: (tx: Tx) => Promise<void> } = {},
  ): Promise<AppendResult> {
    if (newEvents.length === 0) throw new Error('append needs at least one event');
    const withIds = newEvents.map((e) => ({ ...e, eventId: e.eventId ?? randomUUID() }));
    const startedAt = performance.now();
    let result: AppendResult;
    try {
      result = await this.db.transaction(
        async (tx) => {
          const [row] = await tx
            .select({ version: max(events.streamVersion) })
            .from(events)
            .where(eq(events.streamId, streamId));
          const current = row?.version ?? 0;
          // Fencing: the writer proves, inside the transaction, that it may still write.
          await options.guard?.(tx);
          if (expected !== 'any' && current !== expected) {
            const replay = await this.#alreadyAppended(tx, streamId, withIds);
            if (replay) return replay;
            throw new ConcurrencyError(streamId, expected, current);
          }
          const recordedAt = this.#now();
          const inserted = await tx
            .insert(events)
            .values(
              withIds.map((e, i) => ({
                eventId: e.eventId,
                streamId,
                streamVersion: current + i + 1,
                type: e.type,
                data: e.data,
                metadata: e.metadata ?? {},
                recordedAt,
              })),
            )
            .returning();
          const recorded = inserted.map(toRecorded).sort((a, b) => a.streamVersion - b.streamVersion);
          await this.#project(tx, streamId, recorded);
          const last = recorded.at(-1);
          if (!last) throw new Error('An append recorded no event');
          return { nextVersion: last.streamVersion, lastPosition: last.globalPosition, recorded };
        },
        { behavior: 'immediate' },
      );
    } catch (error) {
      if (error instanceof ConcurrencyError) throw error;
      if (isUniqueViolation(error)) {
        const replay = await this.#alreadyAppended(this.db, streamId, withIds);
        if (replay) return replay;
        const actual = await this.streamVersion(streamId);
        throw new ConcurrencyError(streamId, expected, actual);
      }
      throw error;
    }
    this.#onAppended?.(performance.now() - startedAt);
    failpoint('after-commit');
    this.#feed?.publish(result.recorded);
    return result;
  }

  /** A retried append whose events are all stored already succeeds without adding anything. */
  async #alreadyAppended(
    tx: DB | Tx,
    streamId: string,
    withIds: { eventId: string }[],
  ): Promise<AppendResult | undefined> {
    const ids = withIds.map((e) => e.eventId);
    const rows = await tx
      .select()
      .from(events)
      .where(and(eq(events.streamId, streamId), inArray(events.eventId, ids)))
      .orderBy(asc(events.streamVersion));
    if (rows.length !== ids.length) return undefined;
    const last = rows.at(-1);
    if (!last) return undefined;
    return { nextVersion: last.streamVersion, lastPosition: last.globalPosition, recorded: rows.map(toRecorded) };
  }

  async #project(tx: Tx, streamId: string, recorded: RecordedEvent[]): Promise<void> {
    for (const projection of this.#projections) {
      const handled = recorded.filter((e) => projection.canHandle.includes(e.type));
      if (handled.length === 0) continue;
      for (const event of handled) await projection.apply(tx, event);
      await projection.afterAppend?.(tx, streamId, handled);
    }
  }

  async readStream(streamId: string, fromVersion = 1): Promise<RecordedEvent[]> {
    const rows = await this.db
      .select()
      .from(events)
      .where(and(eq(events.streamId, streamId), gte(events.streamVersion, fromVersion)))
      .orderBy(asc(events.streamVersion));
    return rows.map(toRecorded);
  }

  /** Every event after `afterPosition`, in commit order, at most `limit`. */
  async readAll(afterPosition = 0, limit = 1000): Promise<RecordedEvent[]> {
    const rows = await this.db
      .select()
      .from(events)
      .where(gt(events.globalPosition, afterPosition))
      .orderBy(asc(events.globalPosition))
      .limit(limit);
    return rows.map(toRecorded);
  }

  async readStreamAfter(streamId: string, afterPosition: number, limit = 1000): Promise<RecordedEvent[]> {
    const rows = await this.db
      .select()
      .from(events)
      .where(and(eq(events.streamId, streamId), gt(events.globalPosition, afterPosition)))
      .orderBy(asc(events.globalPosition))
      .limit(limit);
    return rows.map(toRecorded);
  }

  /** The newest event of a type in a stream. */
  async lastOfType(streamId: string, type: string): Promise<RecordedEvent | undefined> {
    const [row] = await this.db
      .select()
      .from(events)
      .where(and(eq(events.streamId, streamId), eq(events.type, type)))
      .orderBy(desc(events.streamVersion))
      .limit(1);
    return row ? toRecorded(row) : undefined;
  }

  async streamVersion(streamId: string): Promise<number> {
    const [row] = await this.db
      .select({ version: max(events.streamVersion) })
      .from(events)
      .where(eq(events.streamId, streamId));
    return row?.version ?? 0;
  }

  /** Rebuilds every projection from the log (the caller clears the read models first). */
  async replayProjections(clear: (tx: Tx) => Promise<void>): Promise<number> {
    let position = 0;
    let count = 0;
    await this.db.transaction(async (tx) => {
      await clear(tx);
      for (;;) {
        const batch = (
          await tx.select().from(events).where(gt(events.globalPosition, position)).orderBy(asc(events.globalPosition)).limit(500)
        ).map(toRecorded);
        if (batch.length === 0) break;
        let start = 0;
        for (let i = 1; i <= batch.length; i++) {
          const first = batch[start];
          if (first && batch[i]?.streamId !== first.streamId) {
            await this.#project(tx, first.streamId, batch.slice(start, i));
            start = i;
          }
        }
        position = batch.at(-1)?.globalPosition ?? position;
        count += batch.length;
      }
    });
    return count;
  }
}
