import { EventEmitter } from 'node:events';
import type { RecordedEvent } from './event-store';

export type LiveFeedListener = (events: RecordedEvent[]) => void;

/**
 * In-process subscribers to freshly committed events (the SSE routes, metrics). Kept on
 * globalThis because Next bundles the route handlers and instrumentation separately.
 */
export class LiveFeed {
  readonly #emitter = new EventEmitter();

  constructor() {
    this.#emitter.setMaxListeners(0);
  }

  publish(events: RecordedEvent[]): void {
    if (events.length > 0) this.#emitter.emit('events', events);
  }

  subscribe(listener: LiveFeedListener): () => void {
    this.#emitter.on('events', listener);
    return () => this.#emitter.off('events', listener);
  }

  listenerCount(): number {
    return this.#emitter.listenerCount('events');
  }
}

const g = globalThis as typeof globalThis & { __notionSyncLiveFeed?: LiveFeed };

export function getLiveFeed(): LiveFeed {
  g.__notionSyncLiveFeed ??= new LiveFeed();
  return g.__notionSyncLiveFeed;
}
