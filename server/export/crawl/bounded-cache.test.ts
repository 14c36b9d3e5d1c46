import { describe, expect, it } from 'vitest';
import { BoundedCache } from './bounded-cache';

describe('bounded cache', () => {
  it('keeps at most max entries, forgetting the oldest, and take removes', () => {
    const cache = new BoundedCache<string, number>(2);
    cache.set('a', 1);
    cache.set('b', 2);
    cache.set('a', 3); // refreshes a
    cache.set('c', 4);
    expect(cache.get('b')).toBeUndefined();
    expect(cache.get('a')).toBe(3);
    expect(cache.size).toBe(2);
    expect(cache.take('c')).toBe(4);
    expect(cache.get('c')).toBeUndefined();
  });
});
