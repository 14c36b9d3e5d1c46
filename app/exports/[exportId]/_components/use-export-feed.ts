'use client';

import { useSubscription } from '@trpc/tanstack-react-query';
import { useCallback, useEffect, useRef, useState } from 'react';
import { useTRPC } from '@/app/_trpc/client';
import { applyConnection, applyMessage, type FeedState, INITIAL_FEED } from './feed-state';

export type ExportFeed = Omit<FeedState, 'position'>;

/**
 * Follows an export through the `exports.onProgress` subscription. tRPC reconnects by itself and
 * resumes after the last message received; the server ends the stream once the export is
 * finished (`onEnd` is called then). A new `generation` (the export was resumed or its failed
 * pages retried) opens the feed again from the start.
 */
export function useExportFeed(exportId: string, onEnd?: () => void, generation = 0): ExportFeed {
  const trpc = useTRPC();
  // The state belongs to one export and one generation; a new one starts from INITIAL_FEED.
  const scope = `${exportId}#${generation}`;
  const [scoped, setScoped] = useState({ scope, feed: INITIAL_FEED });
  const update = useCallback(
    (next: (feed: FeedState) => FeedState) =>
      setScoped((s) => ({ scope, feed: next(s.scope === scope ? s.feed : INITIAL_FEED) })),
    [scope],
  );
  const onEndRef = useRef(onEnd);
  useEffect(() => {
    onEndRef.current = onEnd;
  });

  const { reset } = useSubscription(
    trpc.exports.onProgress.subscriptionOptions(
      { id: exportId },
      {
        onStarted: () => update((s) => applyConnection(s, { type: 'live' })),
        onData: ({ data }) => update((s) => applyMessage(s, data)),
        onConnectionStateChange: (change) => {
          if (change.state === 'connecting') update((s) => applyConnection(s, { type: 'connecting', retrying: change.error !== null }));
          if (change.state === 'idle') {
            update((s) => applyConnection(s, { type: 'ended' }));
            onEndRef.current?.();
          }
        },
        onError: (error) => update((s) => applyConnection(s, { type: 'failed', message: error.message })),
      },
    ),
  );

  const opened = useRef(generation);
  useEffect(() => {
    if (opened.current === generation) return;
    opened.current = generation;
    reset();
  }, [generation, reset]);

  const { position: _position, ...feed } = scoped.scope === scope ? scoped.feed : INITIAL_FEED;
  return feed;
}
