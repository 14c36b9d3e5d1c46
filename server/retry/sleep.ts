import { setTimeout as delay } from 'node:timers/promises';

/**
 * Waits `ms`. When `signal` aborts first (or has already), rejects at once with the signal's
 * reason, as `signal.throwIfAborted()` would. The one sleep of the server.
 */
export function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  if (!signal) return delay(ms);
  // node:timers/promises rejects with its own AbortError; callers expect the reason they gave.
  return delay(ms, undefined, { signal }).catch((error: unknown) => {
    throw signal.aborted ? signal.reason : error;
  });
}
