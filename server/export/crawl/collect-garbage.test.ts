import { describe, expect, it } from 'vitest';
import { collectGarbage } from './collect-garbage';

describe('collectGarbage', () => {
  it('runs a full collection: an object only a weak reference holds is gone afterwards', async () => {
    let target: object | undefined = { payload: new Array(1000).fill('x') };
    const ref = new WeakRef(target);
    target = undefined;
    // A weak reference's target survives until the end of the current job at least.
    await new Promise((resolve) => setImmediate(resolve));
    collectGarbage();
    expect(ref.deref()).toBeUndefined();
    // Again: the collector is found once and kept.
    expect(() => collectGarbage()).not.toThrow();
  });
});
