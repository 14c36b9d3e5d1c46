import { getEventListeners } from 'node:events';
import { describe, expect, it } from 'vitest';
import { linkSignals } from './linked-signal';

describe('linkSignals', () => {
  it('aborts with the reason of whichever source aborts first', () => {
    const a = new AbortController();
    const b = new AbortController();
    const { signal } = linkSignals(a.signal, undefined, b.signal);
    expect(signal.aborted).toBe(false);
    b.abort(new Error('b went first'));
    expect(signal.aborted).toBe(true);
    expect((signal.reason as Error).message).toBe('b went first');
    a.abort(new Error('later'));
    expect((signal.reason as Error).message).toBe('b went first');
  });

  it('starts aborted when a source already is', () => {
    const a = new AbortController();
    a.abort('gone');
    const b = new AbortController();
    const { signal } = linkSignals(b.signal, a.signal);
    expect(signal.aborted).toBe(true);
    expect(signal.reason).toBe('gone');
    expect(getEventListeners(b.signal, 'abort')).toHaveLength(0);
  });

  it('leaves nothing registered on a long-lived source once disposed', () => {
    const longLived = new AbortController();
    for (let i = 0; i < 1000; i++) {
      const perRequest = new AbortController();
      const linked = linkSignals(longLived.signal, perRequest.signal);
      linked.dispose();
      linked.dispose();
    }
    expect(getEventListeners(longLived.signal, 'abort')).toHaveLength(0);
    const { signal } = linkSignals(longLived.signal);
    longLived.abort('stop');
    expect(signal.reason).toBe('stop');
    expect(getEventListeners(longLived.signal, 'abort')).toHaveLength(0);
  });
});
