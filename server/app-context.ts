import type { Database } from '@/db/client';
import type { TokenCipher } from './auth/token-cipher';
import type { Config } from './config';
import type { EventStore } from './events/event-store';
import type { LiveFeed } from './events/live-feed';
import type { RunnerPort } from './export/domain/runner-port';

/** Everything a request handler, the runner or the CLI needs, built once per process (server/context.ts). */
export interface AppContext {
  config: Config;
  database: Database;
  store: EventStore;
  feed: LiveFeed;
  cipher: TokenCipher;
  /** The runners of this process, as export commands see them. */
  runners: RunnerPort;
}
