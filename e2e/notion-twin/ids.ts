/**
 * Deterministic randomness and identifiers for the Notion twin.
 *
 * Ids are reversible: an id encodes (kind, a, b) under a seed-keyed scramble, so the twin can map
 * any id back to the thing it names without storing an index of every block. The encoding carries
 * a 48-bit check, so ids the twin never issued (or issued under another seed) decode to null.
 */

/** Small fast seeded PRNG (mulberry32). Returns floats in [0, 1). */
export function mulberry32(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** A PRNG with the helpers the generators need. */
export class Rng {
  private readonly next: () => number;
  constructor(seed: number) {
    this.next = mulberry32(seed);
  }
  float(): number {
    return this.next();
  }
  /** Integer in [min, max] (inclusive). */
  int(min: number, max: number): number {
    return min + Math.floor(this.next() * (max - min + 1));
  }
  chance(p: number): boolean {
    return this.next() < p;
  }
  pick<T>(items: readonly T[]): T {
    return items[Math.floor(this.next() * items.length)];
  }
  /** Index picked with the given weights. */
  weighted(weights: readonly number[]): number {
    let total = 0;
    for (const w of weights) total += w;
    let r = this.next() * total;
    for (let i = 0; i < weights.length; i++) {
      r -= weights[i];
      if (r < 0) return i;
    }
    return weights.length - 1;
  }
}

/** 32-bit hash of a list of integers (murmur3-style mixing). */
export function hashInts(...values: number[]): number {
  let h = 0x811c9dc5;
  for (const v of values) {
    let k = Math.imul(v | 0, 0xcc9e2d51);
    k = (k << 15) | (k >>> 17);
    k = Math.imul(k, 0x1b873593);
    h ^= k;
    h = (h << 13) | (h >>> 19);
    h = (Math.imul(h, 5) + 0xe6546b64) | 0;
  }
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h >>> 0;
}

/** 32-bit hash of a string (FNV-1a followed by the same finaliser). */
export function hashString(s: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < s.length; i++) {
    h ^= s.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  return hashInts(h);
}

/** What an id names. */
export const IdKind = {
  page: 1,
  database: 2,
  dataSource: 3,
  block: 4,
  user: 5,
  comment: 6,
  discussion: 7,
  workspace: 8,
  /** A linked database view (`child_database` block whose database the API refuses). */
  linkedDatabase: 9,
  customEmoji: 10,
} as const;
export type IdKind = (typeof IdKind)[keyof typeof IdKind];
const ALL_KINDS: readonly IdKind[] = Object.values(IdKind);

export interface DecodedId {
  kind: IdKind;
  /** Primary index (page index, database index, user index…), < 2^20. */
  a: number;
  /** Secondary index (block number within a page, comment number…), < 2^24. */
  b: number;
}

const MASK24 = 0xffffff;
const HEX32 = /^[0-9a-f]{32}$/;

function hex(n: number, width: number): string {
  return n.toString(16).padStart(width, '0');
}

/** Encodes and decodes the twin's ids for one seed. */
export class IdCodec {
  private readonly prefix: string;
  constructor(private readonly seed: number) {
    this.prefix = hex(hashInts(seed, 0x5eed), 8);
  }

  /**
   * The 48 check bits for a payload. Two nibbles are pinned so every id is a valid RFC 9562 UUID,
   * like Notion's (version 8 at hex 12, variant 10xx at hex 16): strict UUID validators accept them.
   */
  private check(pHi: number, pLo: number): [number, number] {
    const cHi = ((hashInts(this.seed, pHi, pLo, 1) & MASK24) & ~0xf0) | 0x80;
    const cLo = ((hashInts(this.seed, pHi, pLo, 2) & MASK24) & ~0xc000) | 0x8000;
    return [cHi, cLo];
  }

  encode(kind: IdKind, a: number, b = 0): string {
    const pHi = ((kind & 0xf) << 20) | (a & 0xfffff);
    const pLo = b & MASK24;
    const [cHi, cLo] = this.check(pHi, pLo);
    const mHi = hashInts(this.seed, cHi, cLo, 3) & MASK24;
    const mLo = hashInts(this.seed, cHi, cLo, 4) & MASK24;
    const h = this.prefix + hex(cHi, 6) + hex(cLo, 6) + hex(pHi ^ mHi, 6) + hex(pLo ^ mLo, 6);
    return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20)}`;
  }

  /** Decodes a normalised (32 lower-case hex) id; null if the twin never issued it. */
  decode(compact: string): DecodedId | null {
    if (compact.length !== 32 || !compact.startsWith(this.prefix)) return null;
    const cHi = Number.parseInt(compact.slice(8, 14), 16);
    const cLo = Number.parseInt(compact.slice(14, 20), 16);
    const mHi = hashInts(this.seed, cHi, cLo, 3) & MASK24;
    const mLo = hashInts(this.seed, cHi, cLo, 4) & MASK24;
    const pHi = Number.parseInt(compact.slice(20, 26), 16) ^ mHi;
    const pLo = Number.parseInt(compact.slice(26, 32), 16) ^ mLo;
    const [eHi, eLo] = this.check(pHi, pLo);
    if (eHi !== cHi || eLo !== cLo) return null;
    const kind = ALL_KINDS.find((k) => k === pHi >>> 20);
    if (kind === undefined) return null;
    return { kind, a: pHi & 0xfffff, b: pLo };
  }
}

/**
 * Normalises an id as Notion accepts it (dashed or undashed, any case) to 32 lower-case hex.
 * Returns null when the string is not a UUID.
 */
export function compactId(raw: string): string | null {
  const s = raw.replaceAll('-', '').toLowerCase();
  if (!HEX32.test(s)) return null;
  if (raw.includes('-') && !/^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$/.test(raw)) {
    return null;
  }
  return s;
}

/** decodeURIComponent that leaves malformed input as it is. */
export function safeDecodeURIComponent(s: string): string {
  try {
    return decodeURIComponent(s);
  } catch {
    return s;
  }
}

/** Dashed lower-case form of a 32-hex id. */
export function dashedId(compact: string): string {
  return `${compact.slice(0, 8)}-${compact.slice(8, 12)}-${compact.slice(12, 16)}-${compact.slice(16, 20)}-${compact.slice(20)}`;
}
