import { setTimeout as delay } from 'node:timers/promises';

/**
 * Waits `ms`. When `signal` aborts first (or has already), rejects at once with the signal's
 * reason, as `signal.throwIfAborted()` would. The one sleep of the server. `ref: false` lets the
 * process exit during the wait (a runner's poll must not keep a server or the CLI alive by itself).
 */
export function sleep(ms: number, signal?: AbortSignal, options: { ref?: boolean } = {}): Promise<void> {
  const ref = options.ref ?? true;
  if (!signal) return delay(ms, undefined, { ref });
  // node:timers/promises rejects with its own AbortError; callers expect the reason they gave.
  return delay(ms, undefined, { signal, ref }).catch((error: unknown) => {
    throw signal.aborted ? signal.reason : error;
  });
}
