'use client';

import { useEffect, useRef, useState } from 'react';
import type { ExportFailure, ExportRow } from '@/app/_trpc/types';
import { type ActivityEntry, describeExportEvent } from './describe-export-event';

/** The JSON of one `progress` message from GET /api/exports/<id>/events. */
interface FeedMessage {
  position: number;
  events: { type: string; data: unknown; recordedAt?: string }[];
  progress: ExportRow;
}

export type FeedConnection = 'connecting' | 'live' | 'reconnecting' | 'ended' | 'failed';

export interface ExportFeed {
  /** The newest export row the feed delivered (null before the first message). */
  progress: ExportRow | null;
  /** Pages that failed, as reported by PageFailed events. */
  failures: ExportFailure[];
  /** Most recent events first, at most ACTIVITY_LIMIT. */
  activity: ActivityEntry[];
  connection: FeedConnection;
  /** Message of an `event: failure` from the server. */
  error: string | null;
}

const ACTIVITY_LIMIT = 200;

interface FeedState extends ExportFeed {
  position: number;
}

const INITIAL: FeedState = { progress: null, failures: [], activity: [], connection: 'connecting', error: null, position: 0 };

function applyMessage(state: FeedState, message: FeedMessage): FeedState {
  const progress =
    state.progress && state.progress.lastPosition > message.progress.lastPosition ? state.progress : message.progress;
  // The server resumes after Last-Event-ID; skip anything already applied anyway.
  if (message.position <= state.position || message.events.length === 0) {
    return { ...state, progress, connection: 'live', error: null, position: Math.max(state.position, message.position) };
  }
  const failures = [...state.failures];
  const entries: ActivityEntry[] = [];
  message.events.forEach((event, index) => {
    entries.push({ key: `${message.position}:${index}`, type: event.type, at: event.recordedAt, ...describeExportEvent(event) });
    if (event.type === 'PageFailed') {
      const d = event.data as { id: string; kind: ExportFailure['kind']; title: string; message: string };
      if (!failures.some((f) => f.id === d.id)) failures.push({ id: d.id, kind: d.kind, title: d.title, error: d.message });
    }
  });
  return {
    progress,
    failures,
    activity: [...entries.reverse(), ...state.activity].slice(0, ACTIVITY_LIMIT),
    connection: 'live',
    error: null,
    position: message.position,
  };
}

/**
 * Follows an export over server-sent events. EventSource reconnects by itself and sends
 * Last-Event-ID, so the server resumes where the stream broke; the source is closed on `end`
 * and when the component unmounts; `generation` reopens it after the export was resumed.
 */
export function useExportFeed(exportId: string, onEnd?: () => void, generation = 0): ExportFeed {
  const [state, setState] = useState<FeedState>(INITIAL);
  const onEndRef = useRef(onEnd);
  useEffect(() => {
    onEndRef.current = onEnd;
  });

  useEffect(() => {
    setState(INITIAL);
    // A new generation (the export was resumed or retried after it ended) opens a new feed.
    const source = new EventSource(`/api/exports/${encodeURIComponent(exportId)}/events?generation=${generation}`);
    source.addEventListener('open', () =>
      setState((s) => (s.connection === 'ended' ? s : { ...s, connection: 'live' })),
    );
    source.addEventListener('progress', (event) => {
      const message = JSON.parse((event as MessageEvent<string>).data) as FeedMessage;
      setState((s) => applyMessage(s, message));
    });
    source.addEventListener('end', () => {
      source.close();
      setState((s) => ({ ...s, connection: 'ended' }));
      onEndRef.current?.();
    });
    source.addEventListener('failure', (event) => {
      const data = (event as MessageEvent<string>).data;
      let message = 'The live feed failed';
      try {
        message = (JSON.parse(data) as { message?: string }).message ?? message;
      } catch {
        /* keep the generic message */
      }
      // The server closes the stream after a failure; EventSource retries and resumes.
      setState((s) => ({ ...s, connection: 'reconnecting', error: message }));
    });
    source.onerror = () => {
      setState((s) =>
        s.connection === 'ended'
          ? s
          : { ...s, connection: source.readyState === EventSource.CLOSED ? 'failed' : 'reconnecting' },
      );
    };
    return () => source.close();
  }, [exportId, generation]);

  const { position: _position, ...feed } = state;
  return feed;
}
