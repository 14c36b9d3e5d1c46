import { afterEach, describe, expect, it, vi } from 'vitest';
import { collectGarbage, HeapKeeper } from './collect-garbage';

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

describe('HeapKeeper', () => {
  afterEach(() => {
    vi.useRealTimers();
  });

  /** A heap whose size the test sets; a collection brings it back to `live`. */
  function fakeHeap(live: number) {
    const heap = { used: live, live, collections: 0 };
    const keeper = new HeapKeeper(
      {
        usedHeap: () => heap.used,
        collect: () => {
          heap.collections++;
          heap.used = heap.live;
        },
      },
      100,
      10,
    );
    return { heap, keeper };
  }

  it('collects once the heap has grown the slack past what the last collection left, not before', () => {
    const { heap, keeper } = fakeHeap(1000);
    heap.used = 1099;
    keeper.collectIfGrown();
    expect(heap.collections).toBe(0);
    heap.used = 1100;
    keeper.collectIfGrown();
    expect(heap.collections).toBe(1);
    // The live heap grew: the next collection waits for the slack past the new size.
    heap.live = 1500;
    heap.used = 1500;
    keeper.collectIfGrown();
    expect(heap.collections).toBe(2);
    heap.used = 1599;
    keeper.collectIfGrown();
    expect(heap.collections).toBe(2);
    // A collection made for another reason counts as the last one.
    heap.live = 1200;
    keeper.collect();
    heap.used = 1299;
    keeper.collectIfGrown();
    expect(heap.collections).toBe(3);
  });

  it('collects sooner while tightened (the smallest slack asked for applies), as before once released', () => {
    const { heap, keeper } = fakeHeap(1000);
    const finishing = keeper.tighten(30);
    const tighter = keeper.tighten(10);
    heap.used = 1010;
    keeper.collectIfGrown();
    expect(heap.collections).toBe(1);
    tighter();
    tighter();
    heap.used = 1029;
    keeper.collectIfGrown();
    expect(heap.collections).toBe(1);
    heap.used = 1030;
    keeper.collectIfGrown();
    expect(heap.collections).toBe(2);
    finishing();
    heap.used = 1099;
    keeper.collectIfGrown();
    expect(heap.collections).toBe(2);
    heap.used = 1100;
    keeper.collectIfGrown();
    expect(heap.collections).toBe(3);
  });

  it('looks on its own while held, until every export holding it has released it; a release twice counts once', () => {
    vi.useFakeTimers();
    const { heap, keeper } = fakeHeap(1000);
    heap.used = 5000;
    vi.advanceTimersByTime(100);
    expect(heap.collections).toBe(0);
    const first = keeper.hold();
    const second = keeper.hold();
    vi.advanceTimersByTime(10);
    expect(heap.collections).toBe(1);
    first();
    first();
    heap.used = 2000;
    vi.advanceTimersByTime(10);
    expect(heap.collections).toBe(2);
    second();
    heap.used = 3000;
    vi.advanceTimersByTime(100);
    expect(heap.collections).toBe(2);
    expect(vi.getTimerCount()).toBe(0);
  });
});
