import { describe, expect, it } from 'vitest';
import type { ExportProgressMessage } from '@/app/_trpc/types';
import { ACTIVITY_LIMIT, applyConnection, applyMessage, type FeedState, INITIAL_FEED } from './feed-state';

type Row = ExportProgressMessage['progress'];

const row = (lastPosition: number, status: Row['status'] = 'running') =>
  ({ id: 'e1', status, phase: 'exporting', pagesDiscovered: 10, pagesDone: lastPosition, pagesFailed: 0, lastPosition }) as Row;

/** A message with one activity entry per position in `positions`. */
function message(positions: number[], extra: Partial<ExportProgressMessage> = {}): ExportProgressMessage {
  return {
    position: positions.at(-1)!,
    activity: positions.map((position) => ({
      position,
      type: 'PagesExported',
      text: `event ${position}`,
      tone: 'success' as const,
      at: '2026-12-01T10:00:00.000Z',
    })),
    failures: [],
    progress: row(positions.at(-1)!),
    ...extra,
  };
}

const texts = (state: FeedState) => state.activity.map((a) => a.text);

describe('the export feed state', () => {
  it('takes the row, the events (newest first) and the failures of a message', () => {
    const failure = { id: 'p1', kind: 'page' as const, title: 'Roadmap', error: 'Not shared' };
    const state = applyMessage(INITIAL_FEED, message([3, 4], { failures: [failure] }));
    expect(state.progress).toMatchObject({ lastPosition: 4 });
    expect(texts(state)).toEqual(['event 4', 'event 3']);
    expect(state.failures).toEqual([failure]);
    expect(state).toMatchObject({ position: 4, connection: 'live', error: null });
  });

  it('applies what a resumed stream repeats only once', () => {
    const failure = { id: 'p1', kind: 'page' as const, title: 'Roadmap', error: 'Not shared' };
    const once = applyMessage(INITIAL_FEED, message([3, 4], { failures: [failure] }));
    const twice = applyMessage(once, message([4, 5], { failures: [failure] }));
    expect(texts(twice)).toEqual(['event 5', 'event 4', 'event 3']);
    expect(twice.failures).toEqual([failure]);
    expect(twice.position).toBe(5);
  });

  it('keeps the newer row when a message brings an older one', () => {
    const state = applyMessage(INITIAL_FEED, message([9]));
    const next = applyMessage(state, { ...message([10]), progress: row(8, 'queued') });
    expect(next.progress).toMatchObject({ lastPosition: 9, status: 'running' });
    expect(texts(next)).toEqual(['event 10', 'event 9']);
  });

  it(`keeps the ${ACTIVITY_LIMIT} most recent events`, () => {
    const positions = Array.from({ length: ACTIVITY_LIMIT + 50 }, (_, i) => i + 1);
    const state = applyMessage(INITIAL_FEED, message(positions));
    expect(state.activity).toHaveLength(ACTIVITY_LIMIT);
    expect(state.activity[0]!.position).toBe(ACTIVITY_LIMIT + 50);
    expect(state.activity.at(-1)!.position).toBe(51);
  });

  it('tells connecting from reconnecting, and stays ended or failed until opened again', () => {
    const connecting = applyConnection(INITIAL_FEED, { type: 'connecting', retrying: false });
    expect(connecting.connection).toBe('connecting');
    expect(applyConnection(INITIAL_FEED, { type: 'connecting', retrying: true }).connection).toBe('reconnecting');
    const live = applyConnection(connecting, { type: 'live' });
    expect(live.connection).toBe('live');
    expect(applyConnection(live, { type: 'connecting', retrying: false }).connection).toBe('reconnecting');

    const ended = applyConnection(live, { type: 'ended' });
    expect(applyConnection(ended, { type: 'connecting', retrying: true }).connection).toBe('ended');
    const failed = applyConnection(live, { type: 'failed', message: 'Export e1 does not exist' });
    expect(failed).toMatchObject({ connection: 'failed', error: 'Export e1 does not exist' });
    expect(applyConnection(failed, { type: 'live' })).toBe(failed);
  });
});
