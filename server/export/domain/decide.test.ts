import { describe, expect, it } from 'vitest';
import { type ExportCommand, InvalidStateError, decide } from './decide';
import { completedCounts, type ExportEvent, evolve, initialState, parseExportEvent } from './export';

/** given(events).when(command) → then(events) | thenThrows(error) */
function given(events: ExportEvent[]) {
  const state = events.reduce(evolve, initialState());
  return {
    when(command: ExportCommand) {
      return {
        // biome-ignore lint/suspicious/noThenProperty: given/when/then reads as the specification
        then: (expected: ExportEvent[]) => expect(decide(command, state)).toEqual(expected),
        thenThrows: (match: RegExp) => {
          expect(() => decide(command, state)).toThrow(InvalidStateError);
          expect(() => decide(command, state)).toThrow(match);
        },
      };
    },
  };
}

const requested: ExportEvent = {
  type: 'ExportRequested',
  data: {
    exportId: 'e1',
    connectionId: 'c1',
    formats: ['markdown'],
    outDir: '/x',
    requestedBy: 'dashboard',
    options: { naming: 'notion', downloadExternal: false },
  },
};
const started: ExportEvent = { type: 'ExportStarted', data: { attempt: 1, runner: 'r1' } };
const restarted: ExportEvent = { type: 'ExportStarted', data: { attempt: 7, runner: 'r2' } };
const now = new Date('2026-12-01T10:00:00.000Z');
const stats = { requests: 3, rateLimited: 0, retries: 0 };

describe('export decider', () => {
  it('requests a new export once', () => {
    given([]).when({ type: 'RequestExport', data: requested.data as never }).then([requested]);
    given([requested]).when({ type: 'RequestExport', data: requested.data as never }).thenThrows(/already exists/);
  });

  it('starts a queued export and restarts a running one (resume)', () => {
    given([requested]).when({ type: 'StartExport', data: { attempt: 1, runner: 'r1' } }).then([started]);
    given([requested, started])
      .when({ type: 'StartExport', data: { attempt: 2, runner: 'r2' } })
      .then([{ type: 'ExportStarted', data: { attempt: 2, runner: 'r2' } }]);
  });

  it('refuses commands on an export that does not exist', () => {
    given([]).when({ type: 'StartExport', data: { attempt: 1, runner: 'r' } }).thenThrows(/does not exist/);
  });

  it('records discovered, failed and exported pages in one batch, in that order', () => {
    const item = { id: 'p1', kind: 'page' as const, title: 'P', parentId: null, dir: '', status: 'pending' as const };
    const failed = { id: 'p2', kind: 'page' as const, title: 'Q', code: 'object_not_found', message: 'gone' };
    given([requested, started])
      .when({
        type: 'RecordProgress',
        data: { discovered: [item], exported: [{ id: 'p0', files: [] }], failed: [failed], stats },
      })
      .then([
        { type: 'ItemsDiscovered', data: { items: [item] } },
        { type: 'PageFailed', data: failed },
        { type: 'PagesExported', data: { items: [{ id: 'p0', files: [] }], stats } },
      ]);
  });

  it('does not record progress for an export that is not running', () => {
    given([requested])
      .when({ type: 'RecordProgress', data: { discovered: [], exported: [], failed: [], stats } })
      .thenThrows(/not running/);
  });

  it('completes, with errors when pages failed', () => {
    const done = { pages: 2, databases: 1, skipped: 0, failed: 1, files: 6, bytes: 10, stats };
    given([requested, started]).when({ type: 'CompleteExport', data: done }).then([{ type: 'ExportCompleted', data: done }]);
    const state = [requested, started, { type: 'ExportCompleted', data: done } as ExportEvent].reduce(evolve, initialState());
    expect(state.status).toBe('completed_with_errors');
  });

  it('pins and unpins an export whatever its status, leaving its status as it is', () => {
    const done = { pages: 1, databases: 0, skipped: 0, failed: 0, files: 2, bytes: 10, stats };
    const completed: ExportEvent = { type: 'ExportCompleted', data: done };
    given([requested, started, completed]).when({ type: 'PinExport', data: { by: 'ann@example.com' } }).then([{ type: 'ExportPinned', data: { by: 'ann@example.com' } }]);
    given([requested]).when({ type: 'UnpinExport', data: {} }).then([{ type: 'ExportUnpinned', data: {} }]);
    const pinned = [requested, started, completed, { type: 'ExportPinned', data: {} } as ExportEvent].reduce(evolve, initialState());
    expect(pinned.status).toBe('completed');
    given([]).when({ type: 'PinExport', data: {} }).thenThrows(/does not exist/);
  });

  it('cancels only an active export', () => {
    const cancelled: ExportEvent = { type: 'ExportCancelled', data: { reason: 'user' } };
    given([requested]).when({ type: 'CancelExport', data: { reason: 'user' } }).then([cancelled]);
    given([requested, cancelled]).when({ type: 'CancelExport', data: { reason: 'user' } }).thenThrows(/cancelled/);
    given([requested, cancelled]).when({ type: 'StartExport', data: { attempt: 1, runner: 'r' } }).thenThrows(/cancelled/);
  });

  it('fails an active export for good when no retry can help, and refuses to fail it twice', () => {
    const fail = { reason: 'no access', retryable: false, now, jitter: 0.5 };
    const failed: ExportEvent = { type: 'ExportFailed', data: { reason: 'no access', retryable: false } };
    given([requested, started]).when({ type: 'FailExport', data: fail }).then([failed]);
    given([requested, started, failed]).when({ type: 'FailExport', data: fail }).thenThrows(/already failed/);
    given([requested, started, failed]).when({ type: 'ChangePhase', data: { phase: 'exporting' } }).thenThrows(/not running/);
  });

  it('queues a retryable failure again after a backoff that grows with each attempt, from the time the command brings', () => {
    const fail = (jitter: number) => ({ type: 'FailExport' as const, data: { reason: 'Notion is down', retryable: true, now, jitter } });
    const retry = (n: number, afterMs: number): ExportEvent => ({
      type: 'ExportRetryScheduled',
      data: { reason: 'Notion is down', retryAt: new Date(now.getTime() + afterMs).toISOString(), retry: n, maxRetries: 5 },
    });
    // Full jitter: a delay up to 30 s after the first attempt, up to 60 s after the second.
    given([requested, started]).when(fail(0.5)).then([retry(1, 15_000)]);
    given([requested, started, retry(1, 15_000), restarted]).when(fail(1)).then([retry(2, 60_000)]);
    const state = [requested, started, retry(1, 15_000)].reduce(evolve, initialState());
    expect(state).toMatchObject({ status: 'queued', attempt: 2 });
    // Starting again is the same attempt; the claim number in ExportStarted does not count.
    expect(evolve(state, restarted)).toMatchObject({ status: 'running', attempt: 2 });
  });

  it('fails for good after the last automatic retry, saying how many attempts it made', () => {
    const history: ExportEvent[] = [requested, started];
    for (let n = 1; n <= 5; n++) {
      history.push(
        { type: 'ExportRetryScheduled', data: { reason: 'down', retryAt: now.toISOString(), retry: n, maxRetries: 5 } },
        { type: 'ExportStarted', data: { attempt: n + 1, runner: 'r' } },
      );
    }
    expect(history.reduce(evolve, initialState())).toMatchObject({ attempt: 6 });
    given(history)
      .when({ type: 'FailExport', data: { reason: 'down', retryable: true, now, jitter: 0 } })
      .then([{ type: 'ExportFailed', data: { reason: 'down', retryable: true, attempts: 6 } }]);
  });

  it('counts no attempt for a pause, and starts a new series when a person resumes a failed export', () => {
    const paused: ExportEvent = { type: 'ExportPaused', data: { reason: 'Paused by x', cause: 'user' } };
    const resumed: ExportEvent = { type: 'ExportResumed', data: { by: 'x' } };
    const retried: ExportEvent = { type: 'ExportRetryScheduled', data: { reason: 'r', retryAt: now.toISOString(), retry: 1, maxRetries: 5 } };
    expect([requested, started, retried, restarted, paused, resumed, restarted].reduce(evolve, initialState())).toMatchObject({
      status: 'running',
      attempt: 2,
    });
    const failed: ExportEvent = { type: 'ExportFailed', data: { reason: 'r', retryable: true, attempts: 6 } };
    expect([requested, started, retried, restarted, failed, resumed].reduce(evolve, initialState())).toMatchObject({ attempt: 0 });
    expect([requested, started, retried, restarted, failed, resumed, restarted].reduce(evolve, initialState())).toMatchObject({
      attempt: 1,
    });
  });

  it('gives a running export back to the queue when its runner stops, and nothing else', () => {
    const interrupted: ExportEvent = { type: 'ExportInterrupted', data: { reason: 'the runner shut down' } };
    given([requested, started]).when({ type: 'InterruptExport', data: { reason: 'the runner shut down' } }).then([interrupted]);
    expect([requested, started, interrupted].reduce(evolve, initialState())).toMatchObject({ status: 'queued', attempt: 1 });
    given([requested]).when({ type: 'InterruptExport', data: { reason: 'x' } }).thenThrows(/queued, not running/);
    const paused: ExportEvent = { type: 'ExportPaused', data: { reason: 'Paused by x', cause: 'user' } };
    given([requested, started, paused]).when({ type: 'InterruptExport', data: { reason: 'x' } }).thenThrows(/paused, not running/);
  });

  it('pauses an active export, resumes a paused or failed one, and refuses the rest', () => {
    const paused: ExportEvent = { type: 'ExportPaused', data: { reason: 'token', cause: 'auth' } };
    given([requested, started]).when({ type: 'PauseExport', data: { reason: 'token', cause: 'auth' } }).then([paused]);
    const state = [requested, started, paused].reduce(evolve, initialState());
    expect(state).toMatchObject({ status: 'paused', pauseCause: 'auth' });
    given([requested, started, paused]).when({ type: 'ResumeExport', data: { by: 'x' } }).then([
      { type: 'ExportResumed', data: { by: 'x' } },
    ]);
    given([requested, started, paused])
      .when({ type: 'CancelExport', data: { reason: 'no' } })
      .then([{ type: 'ExportCancelled', data: { reason: 'no' } }]);
    given([requested, started]).when({ type: 'ResumeExport', data: { by: 'x' } }).thenThrows(/Cannot resume an export that is running/);
    const failed: ExportEvent = { type: 'ExportFailed', data: { reason: 'net', retryable: true } };
    given([requested, started, failed]).when({ type: 'ResumeExport', data: { by: 'x' } }).then([
      { type: 'ExportResumed', data: { by: 'x' } },
    ]);
    given([requested, started, failed]).when({ type: 'PauseExport', data: { reason: 'x', cause: 'user' } }).thenThrows(/Cannot pause/);
  });

  it('retries the failed pages of an export completed with errors only', () => {
    const done: ExportEvent = { type: 'ExportCompleted', data: { pages: 3, failed: 2, files: 3, bytes: 1, stats } };
    const requeued: ExportEvent = { type: 'FailedPagesRequeued', data: { ids: ['a'] } };
    given([requested, started, done]).when({ type: 'RetryFailedPages', data: { ids: ['a'] } }).then([requeued]);
    expect([requested, started, done, requeued].reduce(evolve, initialState())).toMatchObject({ status: 'queued' });
    given([requested, started, done]).when({ type: 'RetryFailedPages', data: { ids: [] } }).thenThrows(/no failed pages/);
    given([requested, started]).when({ type: 'RetryFailedPages', data: { ids: ['a'] } }).thenThrows(/Only an export completed with errors/);
  });

  it('reports what a retry of failed pages came to when it completes, apart from the failures not retried', () => {
    const failedPage = (id: string): ExportEvent => ({ type: 'PageFailed', data: { id, kind: 'page', title: id, code: 'x', message: 'm' } });
    const done: ExportEvent = { type: 'ExportCompleted', data: { pages: 5, failed: 4, files: 5, bytes: 1, stats } };
    // Four pages failed; three of them are retried; one of those fails again.
    const history = [requested, started, ...['a', 'b', 'c', 'd'].map(failedPage), done, { type: 'FailedPagesRequeued', data: { ids: ['a', 'b', 'c'] } } as ExportEvent, restarted, failedPage('a')];
    const complete = { pages: 6, databases: 1, skipped: 0, failed: 2, files: 7, bytes: 1, stats };
    given(history)
      .when({ type: 'CompleteExport', data: complete })
      .then([{ type: 'ExportCompleted', data: { ...complete, retried: { requested: 3, exported: 2, failed: 1 } } }]);
    // A run that retried nothing reports no retry.
    given([requested, started]).when({ type: 'CompleteExport', data: complete }).then([{ type: 'ExportCompleted', data: complete }]);
    const completed = [...history, { type: 'ExportCompleted', data: { ...complete, retried: { requested: 3, exported: 2, failed: 1 } } } as ExportEvent];
    expect(completed.reduce(evolve, initialState())).toMatchObject({ status: 'completed_with_errors', retrying: null });
  });

  it('reads the events older code recorded', () => {
    expect(parseExportEvent('ExportFailed', { reason: 'x', retryable: true })).toEqual({
      type: 'ExportFailed',
      data: { reason: 'x', retryable: true },
    });
    const completed = parseExportEvent('ExportCompleted', { pages: 1, failed: 0, files: 2, bytes: 3, stats });
    expect(completed.data).not.toHaveProperty('retried');
    // Counted before pages and databases were apart: no ExportCounts to give.
    expect(completed.type === 'ExportCompleted' ? completedCounts(completed.data) : 'other').toBeUndefined();
    const counted = parseExportEvent('ExportCompleted', { pages: 1, databases: 2, skipped: 0, failed: 0, files: 2, bytes: 3, stats });
    expect(counted.type === 'ExportCompleted' ? completedCounts(counted.data) : 'other').toEqual({ pages: 1, databases: 2, skipped: 0, failed: 0, files: 2, bytes: 3 });
    expect(parseExportEvent('ExportRequested', { ...requested.data, options: undefined }).data).toMatchObject({
      options: { naming: 'notion', downloadExternal: false },
    });
    expect(() => parseExportEvent('ExportRetryScheduled', { reason: 'x', retryAt: 'soon', retry: 1, maxRetries: 5 })).toThrow();
  });

  it('records rewritten files only while running', () => {
    const files = [{ path: 'a.md', bytes: 1, sha256: 'a'.repeat(64), sourceId: 'p' }];
    given([requested, started])
      .when({ type: 'RecordFiles', data: { files, reason: 'links' } })
      .then([{ type: 'FilesWritten', data: { files, reason: 'links' } }]);
    given([requested]).when({ type: 'RecordFiles', data: { files, reason: 'report' } }).thenThrows(/not running/);
  });
});
