import type { ActivityEntry, ExportFailure, ExportProgressMessage } from '@/app/_trpc/types';

export type FeedConnection = 'connecting' | 'live' | 'reconnecting' | 'ended' | 'failed';

/** What the export page knows from `exports.onProgress`. */
export interface FeedState {
  /** The newest export row the feed delivered (null before the first message). */
  progress: ExportProgressMessage['progress'] | null;
  /** Pages and databases that failed, as the feed reported them. */
  failures: ExportFailure[];
  /** Most recent events first, at most ACTIVITY_LIMIT. */
  activity: ActivityEntry[];
  connection: FeedConnection;
  /** Why the feed stopped for good, when it failed. */
  error: string | null;
  /** Position of the newest message applied. */
  position: number;
}

export const ACTIVITY_LIMIT = 200;

export const INITIAL_FEED: FeedState = {
  progress: null,
  failures: [],
  activity: [],
  connection: 'connecting',
  error: null,
  position: 0,
};

/** Folds one message into the state; anything it repeats (a resumed stream's overlap) is applied once. */
export function applyMessage(state: FeedState, message: ExportProgressMessage): FeedState {
  const progress =
    state.progress && state.progress.lastPosition > message.progress.lastPosition ? state.progress : message.progress;
  const fresh = message.activity.filter((entry) => entry.position > state.position);
  const known = new Set(state.failures.map((f) => f.id));
  const failures = [...state.failures, ...message.failures.filter((f) => !known.has(f.id))];
  return {
    progress,
    failures,
    activity: [...fresh].reverse().concat(state.activity).slice(0, ACTIVITY_LIMIT),
    connection: 'live',
    error: null,
    position: Math.max(state.position, message.position),
  };
}

/** What the subscription reports about its connection. */
export type ConnectionChange =
  | { type: 'connecting'; retrying: boolean }
  | { type: 'live' }
  | { type: 'ended' }
  | { type: 'failed'; message: string };

export function applyConnection(state: FeedState, change: ConnectionChange): FeedState {
  // Once ended or failed, the feed stays so until it is opened again (a fresh state).
  if (state.connection === 'ended' || state.connection === 'failed') return state;
  switch (change.type) {
    case 'connecting':
      return { ...state, connection: change.retrying || state.connection !== 'connecting' ? 'reconnecting' : 'connecting' };
    case 'live':
      return { ...state, connection: 'live', error: null };
    case 'ended':
      return { ...state, connection: 'ended' };
    case 'failed':
      return { ...state, connection: 'failed', error: change.message };
  }
}
