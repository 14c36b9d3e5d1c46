/** A map that forgets its oldest entries beyond `max`: memory stays flat however large the export. */
export class BoundedCache<K, V> {
  readonly #map = new Map<K, V>();

  constructor(private readonly max: number) {}

  set(key: K, value: V): void {
    this.#map.delete(key);
    this.#map.set(key, value);
    while (this.#map.size > this.max) this.#map.delete(this.#map.keys().next().value as K);
  }

  get(key: K): V | undefined {
    return this.#map.get(key);
  }

  /** Returns and forgets the entry (a page object is used once). */
  take(key: K): V | undefined {
    const value = this.#map.get(key);
    this.#map.delete(key);
    return value;
  }

  get size(): number {
    return this.#map.size;
  }
}
