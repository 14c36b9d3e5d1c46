import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { PROJECTIONS } from '@/server/context';
import { DomainError } from '@/server/errors';
import { EventStore, type NewEvent } from '@/server/events/event-store';
import { DEFAULT_EXPORT_OPTIONS } from '@/server/export/domain/export';
import { seedConnections } from '@/server/testing/seed';
import { createTestContext, type TestContext } from '@/server/testing/test-context';
import { type ExportProgressMessage, type FeedContext, followExport, openExportFeed, type Sleep } from './export-feed';

let ctx: TestContext;
beforeEach(async () => {
  ctx = await createTestContext();
  await seedConnections(ctx, ['c1']);
  await ctx.store.append('export-e1', 0, [
    {
      type: 'ExportRequested',
      data: { exportId: 'e1', connectionId: 'c1', formats: ['json'], outDir: '/tmp/e1', requestedBy: 'cli', options: DEFAULT_EXPORT_OPTIONS },
    },
  ]);
});
afterEach(async () => {
  await ctx.cleanup();
});

const stats = { requests: 1, rateLimited: 0, retries: 0 };
const started: NewEvent = { type: 'ExportStarted', data: { attempt: 1, runner: 'r' } };
const exporting: NewEvent = { type: 'PhaseChanged', data: { phase: 'exporting' } };
const completed: NewEvent = { type: 'ExportCompleted', data: { pages: 0, failed: 0, files: 0, bytes: 0, stats } };

/** Appends in this process: the live feed pushes the events. */
const append = (...events: NewEvent[]) => ctx.store.append('export-e1', 'any', events);
/** Appends as another process (a standalone worker) would: the same database, no live feed here. */
const appendElsewhere = (...events: NewEvent[]) =>
  new EventStore(ctx.database.db, { projections: PROJECTIONS }).append('export-e1', 'any', events);

/** The feed's context with its reads of the event log counted. */
function countingLogReads(): { feedCtx: FeedContext; reads: () => number } {
  let reads = 0;
  const feedCtx: FeedContext = {
    ...ctx,
    store: {
      readStreamAfter: (...args) => {
        reads += 1;
        return ctx.store.readStreamAfter(...args);
      },
    },
  };
  return { feedCtx, reads: () => reads };
}

/** A quiet time that passes only when the test says so (waking up early on a push, as the real one does). */
class ManualQuiet {
  readonly asked: number[] = [];
  #seen = 0;
  #pass?: () => void;
  #onAsk?: () => void;

  readonly sleep: Sleep = (ms, signal) =>
    new Promise<void>((resolve) => {
      this.asked.push(ms);
      this.#pass = resolve;
      signal.addEventListener('abort', () => resolve(), { once: true });
      this.#onAsk?.();
    });

  /** Resolves with the next quiet time the feed waits for (at once if it waits already). */
  waiting(): Promise<number> {
    return new Promise((resolve) => {
      const answer = () => {
        if (this.asked.length <= this.#seen) return false;
        resolve(this.asked[this.#seen++]!);
        this.#onAsk = undefined;
        return true;
      };
      if (!answer()) this.#onAsk = answer;
    });
  }

  pass(): void {
    this.#pass?.();
  }
}

const types = (message: ExportProgressMessage | undefined) => message?.activity.map((a) => a.type);

describe('following an export live', () => {
  it('backfills from the log, then takes pushed commits as they are (no log read), and ends when the export finishes', async () => {
    const { feedCtx, reads } = countingLogReads();
    const quiet = new ManualQuiet();
    const feed = followExport(feedCtx, 'e1', 0, new AbortController().signal, { sleep: quiet.sleep });

    const first = (await feed.next()).value as ExportProgressMessage;
    expect(types(first)).toEqual(['ExportRequested']);
    expect(first.progress.status).toBe('queued');
    expect(first.activity[0]!.text).toBe('Export requested from the command line (json)');
    expect(first.activity[0]!.at).toMatch(/^\d{4}-\d\d-\d\dT/);
    expect(first.position).toBe(first.activity[0]!.position);
    expect(reads()).toBe(1);

    const second = feed.next();
    expect(await quiet.waiting()).toBe(2_000);
    await append(started);
    expect(types((await second).value as ExportProgressMessage)).toEqual(['ExportStarted']);

    const third = feed.next();
    await quiet.waiting();
    await append(exporting, completed);
    const last = (await third).value as ExportProgressMessage;
    expect(types(last)).toEqual(['PhaseChanged', 'ExportCompleted']);
    expect(last.progress).toMatchObject({ status: 'completed', lastPosition: last.position });

    expect((await feed.next()).done).toBe(true);
    expect(reads(), 'pushed events are not read from the log').toBe(1);
    expect(quiet.asked, 'each wait was ended by a push, never by the quiet time').toEqual([2_000, 2_000]);
    expect(ctx.feed.listenerCount()).toBe(0);
  });

  it('reads the log for commits of another process once the live feed is quiet, less often while nothing comes', async () => {
    const { feedCtx, reads } = countingLogReads();
    const quiet = new ManualQuiet();
    const abort = new AbortController();
    const feed = followExport(feedCtx, 'e1', 0, abort.signal, { sleep: quiet.sleep, quietMs: 2_000, maxQuietMs: 5_000 });
    await feed.next();

    const next = feed.next();
    expect(await quiet.waiting()).toBe(2_000);
    quiet.pass();
    expect(await quiet.waiting(), 'nothing came: the next read waits twice as long').toBe(4_000);
    quiet.pass();
    expect(await quiet.waiting(), 'capped at maxQuietMs').toBe(5_000);
    await appendElsewhere(started);
    quiet.pass();
    const message = (await next).value as ExportProgressMessage;
    expect(types(message)).toEqual(['ExportStarted']);
    expect(message.progress.status).toBe('running');
    expect(reads()).toBe(4);

    const after = feed.next();
    expect(await quiet.waiting(), 'events came: back to the short quiet time').toBe(2_000);
    abort.abort();
    expect((await after).done).toBe(true);
    expect(ctx.feed.listenerCount()).toBe(0);
  });

  it('waits on a real timer: the quiet time ends in a log read, an abort ends the wait at once', async () => {
    const polling = followExport(ctx, 'e1', 0, new AbortController().signal, { quietMs: 1 });
    await polling.next();
    const next = polling.next();
    await appendElsewhere(started);
    expect(types((await next).value as ExportProgressMessage)).toEqual(['ExportStarted']);
    await polling.return(undefined);

    const abort = new AbortController();
    const waiting = followExport(ctx, 'e1', 0, abort.signal, { quietMs: 3_600_000 });
    await waiting.next();
    const pending = waiting.next();
    abort.abort();
    expect((await pending).done).toBe(true);
    expect(ctx.feed.listenerCount()).toBe(0);
  });

  it('reads the log when pushed events leave a hole that another process filled', async () => {
    const { feedCtx, reads } = countingLogReads();
    const quiet = new ManualQuiet();
    const feed = followExport(feedCtx, 'e1', 0, new AbortController().signal, { sleep: quiet.sleep });
    await feed.next();
    await appendElsewhere(started);
    await append(exporting);
    const message = (await feed.next()).value as ExportProgressMessage;
    expect(types(message)).toEqual(['ExportStarted', 'PhaseChanged']);
    expect(reads()).toBe(2);
  });

  it('resumes after the position a client saw, with only the later events', async () => {
    await append(started, exporting);
    const all = await ctx.store.readStream('export-e1');
    const feed = followExport(ctx, 'e1', all[1]!.globalPosition, new AbortController().signal);
    const message = (await feed.next()).value as ExportProgressMessage;
    expect(types(message)).toEqual(['PhaseChanged']);
    expect(message.position).toBe(all[2]!.globalPosition);
    await feed.return(undefined);
  });

  it('catches up in pages of `pageSize` events, positions increasing', async () => {
    await append(started, exporting, completed);
    const messages: ExportProgressMessage[] = [];
    for await (const m of followExport(ctx, 'e1', 0, new AbortController().signal, { pageSize: 2 })) messages.push(m);
    expect(messages.map(types)).toEqual([['ExportRequested', 'ExportStarted'], ['PhaseChanged', 'ExportCompleted']]);
    expect(messages[0]!.position).toBeLessThan(messages[1]!.position);
  });

  it('ends at once when the export is finished and the client has every event', async () => {
    await append(started, completed);
    const lastPosition = (await ctx.store.readStream('export-e1')).at(-1)!.globalPosition;
    const { feedCtx, reads } = countingLogReads();
    const messages: ExportProgressMessage[] = [];
    for await (const m of followExport(feedCtx, 'e1', lastPosition, new AbortController().signal)) messages.push(m);
    expect(messages).toEqual([]);
    expect(reads()).toBe(1);
  });

  it('says NOT_FOUND for an unknown export before streaming, and a feed of one ends at once', async () => {
    const error = await openExportFeed(ctx, 'nope', 0, new AbortController().signal).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(DomainError);
    expect(error).toMatchObject({ code: 'NOT_FOUND' });
    const messages: ExportProgressMessage[] = [];
    for await (const m of followExport(ctx, 'nope', 0, new AbortController().signal)) messages.push(m);
    expect(messages).toEqual([]);
  });

  it('lists the pages a message reports as failed', async () => {
    await append(started, {
      type: 'PageFailed',
      data: { id: 'p1', kind: 'page', title: 'Roadmap', code: 'object_not_found', message: 'Not shared with the integration' },
    });
    const feed = await openExportFeed(ctx, 'e1', 0, new AbortController().signal);
    const message = (await feed.next()).value as ExportProgressMessage;
    expect(message.failures).toEqual([{ id: 'p1', kind: 'page', title: 'Roadmap', error: 'Not shared with the integration' }]);
    expect(message.activity.at(-1)).toMatchObject({ type: 'PageFailed', tone: 'warning' });
    await feed.return(undefined);
  });
});
