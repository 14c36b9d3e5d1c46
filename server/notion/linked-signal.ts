/**
 * One signal that aborts when any of `signals` aborts (with that signal's reason), and `dispose`
 * to detach it again. Unlike `AbortSignal.any`, nothing stays registered on the sources once
 * disposed: Node 20 keeps a weak reference per `AbortSignal.any` call on each source signal, so a
 * long-lived export signal combined once per request grew by one entry per request.
 */
export function linkSignals(...signals: (AbortSignal | null | undefined)[]): { signal: AbortSignal; dispose: () => void } {
  const controller = new AbortController();
  const sources = signals.filter((s): s is AbortSignal => s != null);
  const listeners: [AbortSignal, () => void][] = [];
  const dispose = () => {
    for (const [source, listener] of listeners) source.removeEventListener('abort', listener);
    listeners.length = 0;
  };
  for (const source of sources) {
    if (source.aborted) {
      controller.abort(source.reason);
      dispose();
      break;
    }
    const listener = () => {
      controller.abort(source.reason);
      dispose();
    };
    source.addEventListener('abort', listener, { once: true });
    listeners.push([source, listener]);
  }
  return { signal: controller.signal, dispose };
}
