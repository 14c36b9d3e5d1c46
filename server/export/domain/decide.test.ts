import { describe, expect, it } from 'vitest';
import { type ExportCommand, InvalidStateError, decide } from './decide';
import { type ExportEvent, evolve, initialState } from './export';

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
    const done = { pages: 3, failed: 1, files: 6, bytes: 10, stats };
    given([requested, started]).when({ type: 'CompleteExport', data: done }).then([{ type: 'ExportCompleted', data: done }]);
    const state = [requested, started, { type: 'ExportCompleted', data: done } as ExportEvent].reduce(evolve, initialState());
    expect(state.status).toBe('completed_with_errors');
  });

  it('cancels only an active export', () => {
    const cancelled: ExportEvent = { type: 'ExportCancelled', data: { reason: 'user' } };
    given([requested]).when({ type: 'CancelExport', data: { reason: 'user' } }).then([cancelled]);
    given([requested, cancelled]).when({ type: 'CancelExport', data: { reason: 'user' } }).thenThrows(/cancelled/);
    given([requested, cancelled]).when({ type: 'StartExport', data: { attempt: 1, runner: 'r' } }).thenThrows(/cancelled/);
  });

  it('fails an active export and refuses to fail it twice', () => {
    const failed: ExportEvent = { type: 'ExportFailed', data: { reason: 'boom', retryable: true } };
    given([requested, started]).when({ type: 'FailExport', data: { reason: 'boom', retryable: true } }).then([failed]);
    given([requested, started, failed]).when({ type: 'FailExport', data: { reason: 'x', retryable: false } }).thenThrows(/already failed/);
    given([requested, started, failed]).when({ type: 'ChangePhase', data: { phase: 'exporting' } }).thenThrows(/not running/);
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

  it('records rewritten files only while running', () => {
    const files = [{ path: 'a.md', bytes: 1, sha256: 'a'.repeat(64), sourceId: 'p' }];
    given([requested, started])
      .when({ type: 'RecordFiles', data: { files, reason: 'links' } })
      .then([{ type: 'FilesWritten', data: { files, reason: 'links' } }]);
    given([requested]).when({ type: 'RecordFiles', data: { files, reason: 'report' } }).thenThrows(/not running/);
  });
});
