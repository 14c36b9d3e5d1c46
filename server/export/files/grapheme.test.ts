import { readFileSync } from 'node:fs';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { graphemes } from './grapheme';
import { fitPath, truncateUtf8 } from './layout';

// The oracle: ICU's grapheme segmenter. Only the tests use it (see the guard at the end).
const oracle = new Intl.Segmenter('en', { granularity: 'grapheme' });
const intlClusters = (text: string) => Array.from(oracle.segment(text), (s) => s.segment);
const boundaries = (clusters: Iterable<string>) => {
  const out = new Set<number>();
  let at = 0;
  for (const cluster of clusters) {
    at += cluster.length;
    out.add(at);
  }
  return out;
};
const bytes = (s: string) => Buffer.byteLength(s, 'utf8');
const codePoints = (s: string) => Array.from(s, (c) => `U+${(c.codePointAt(0) ?? 0).toString(16).toUpperCase()}`).join(' ');

/** xorshift32: the same strings on every run. */
function random(seed: number) {
  let state = seed >>> 0 || 1;
  return (n: number) => {
    state ^= state << 13;
    state >>>= 0;
    state ^= state >>> 17;
    state ^= state << 5;
    state >>>= 0;
    return Math.floor((state / 2 ** 32) * n);
  };
}

/** Code points that exercise every rule of UAX #29 (and a few traps next to them). */
const TRICKY = [
  // ASCII, CR, LF and other controls / format characters
  'a', 'Z', '7', ' ', '#', '\r', '\n', '\t', '\u00AD', '\u200B', '\u2028',
  // combining marks, ZWNJ, ZWJ, variation selectors, keycap, skin tones, tags
  '\u0301', '\u0308', '\u064B', '\u200C', '\u200D', '\uFE0F', '\uFE0E', '\u20E3', '\u{1F3FB}', '\u{1F3FF}', '\u{E0067}', '\u{E0062}', '\u{E007F}',
  // spacing marks (and Thai SARA AM), a Myanmar sign that is not one, a prepended Arabic number sign
  '\u0903', '\u0E33', '\u102B', '\u0600',
  // regional indicators, pictographs (astral and BMP), the black flag of tag sequences
  '\u{1F1E6}', '\u{1F1EB}', '\u{1F1F7}', '\u{1F600}', '\u{1F469}', '\u{1F466}', '\u{1F44D}', '\u2764', '\u{1F3F4}',
  // Hangul: jamo L, V, T, an LV and an LVT syllable
  '\u1100', '\uA960', '\u1161', '\uD7B0', '\u11A8', '\uD7CB', '\uAC00', '\uAC01', '\uD55C',
  // Devanagari consonants, an independent vowel, virama, nukta, vowel signs; Bengali and Malayalam
  '\u0915', '\u0937', '\u0930', '\u0905', '\u094D', '\u093C', '\u093F', '\u0941', '\u0995', '\u09CD', '\u0D15', '\u0D4D',
  // Latin, Cyrillic, Arabic, CJK (BMP and astral), a lone high and a lone low surrogate
  'é', 'б', 'ع', '日', '\u{20000}', '\uD800', '\uDC00',
];

function randomString(next: (n: number) => number, maxLength: number) {
  let s = '';
  for (let i = 1 + next(maxLength); i > 0; i--) s += TRICKY[next(TRICKY.length)];
  return s;
}

describe('graphemes', () => {
  const cases: [string, string][] = [
    ['ASCII', 'Meeting notes'],
    ['precomposed accents', 'Café crème brûlée'],
    ['decomposed accents, stacked marks', 'Cafe\u0301 a\u0308\u0301\u0323 n\u0303'],
    ['CR LF, lone CR and LF', 'a\r\nb\rc\nd\n\r'],
    ['a mark after a control stays apart', '\n\u0301x\t\u0308'],
    ['CJK', '日本語のページ 中文页面'],
    ['Cyrillic', 'Привет, мир й'],
    ['Arabic with harakat', 'مَرْحَبًا بالعالم'],
    ['Arabic number sign joins what follows', '\u0600\u0661\u0662 \u06DDx'],
    ['Thai with SARA AM and tone marks', 'น้ำ ก่อน'],
    ['flags', '🇫🇷🇩🇪🇯🇵'],
    ['odd run of regional indicators: never half a pair', '🇫🇷🇩🇪🇮x🇮'],
    ['emoji with skin tones', '👍🏽👋🏿'],
    ['ZWJ families and professions', '👩‍👩‍👧‍👦👨🏽‍💻🏳️‍🌈❤️‍🔥'],
    ['a ZWJ not followed by a pictograph', '😀\u200Dx a\u200D😀'],
    ['keycaps', '1️⃣#️⃣*️⃣'],
    ['tag sequences (subdivision flags)', '🏴󠁧󠁢󠁳󠁣󠁴󠁿🏴󠁧󠁢󠁷󠁬󠁳󠁿x'],
    ['text and emoji presentation selectors', '☺︎☺️©️'],
    ['Hangul syllables', '한국어 페이지'],
    ['Hangul conjoining jamo', '\u1100\u1161\u11A8\u1100\u1100\u1161\u11A8\u11A8\u1161\u11A8'],
    ['Hangul LV + V + T, LVT + V, LVT + T', '\uAC00\u1161\u11A8\uAC01\u1161\uAC01\u11A8'],
    ['Devanagari with conjuncts', 'नमस्ते क्षत्रिय हिन्दी'],
    ['Devanagari with nukta and ZWJ in a conjunct', 'क़्ष क्\u200Dष'],
    ['a ZWNJ stops a conjunct', 'क्\u200Cष'],
    ['Bengali, Gujarati, Malayalam, Telugu conjuncts', 'বাংলা ক্ষ ગુજરાતી ક્ષ മലയാളം ക്ഷ తెలుగు క్ష'],
    ['Tamil virama does not form conjuncts', 'க்ஷ தமிழ்'],
    ['Myanmar and Khmer stacked consonants', 'မြန်မာ ဗုဒ္ဓ ខ្មែរ'],
    ['Kirat Rai vowel signs join like Hangul V', '\u{16D63}\u{16D67}\u{16D68}x'],
    ['lone surrogates, with marks after them', '\uD800\u0301\uDC00x\uD83D'],
    ['a long run of marks', `Z${'\u0336\u0301'.repeat(50)}a`],
  ];

  it.each(cases)('clusters %s exactly like Intl', (_name, text) => {
    const mine = [...graphemes(text)];
    expect(mine.join('')).toBe(text);
    expect(mine).toEqual(intlClusters(text));
  });

  it('gives nothing for an empty string', () => {
    expect([...graphemes('')]).toEqual([]);
  });

  it('never splits an Intl cluster and is rarely coarser (seeded property test)', () => {
    const next = random(0x5eed);
    const runs = 4000;
    let coarser = 0;
    for (let run = 0; run < runs; run++) {
      const text = randomString(next, 12);
      const mine = [...graphemes(text)];
      expect(mine.join('')).toBe(text);
      const theirs = boundaries(intlClusters(text));
      for (const at of boundaries(mine)) {
        if (!theirs.has(at)) expect.fail(`splits an Intl cluster at ${at}: ${codePoints(text)}`);
      }
      if (mine.length !== theirs.size) coarser++;
    }
    // unicode-segmenter 0.17.3 and Node 20.20's ICU 78 both follow Unicode 17: 0 here; another ICU may differ a little.
    expect(coarser / runs).toBeLessThan(0.02);
  });

  it('classifies every code point of planes 0, 1 and 14 like Intl (only unassigned ones come out coarser)', () => {
    // Each code point in the contexts of every rule: after a base, before a mark, after ZWJ and
    // after a pictograph + ZWJ, after CR, around a virama, after a regional indicator, around
    // Hangul jamo, after a Prepend: the library's tables against ICU's, in full.
    const coarser: string[] = [];
    for (const [low, high] of [
      [0, 0x1ffff],
      [0xe0000, 0xe0fff],
    ]) {
      for (let cp = low; cp <= high; cp++) {
        const x = String.fromCodePoint(cp);
        const text = `a${x}\u0301${x}a\u200D${x}\u{1F600}\u200D${x}\r${x}क्${x}${x}्क🇦${x}${x}\u1161${x}\u11A8\u0600${x}`;
        const mine = [...graphemes(text)];
        const theirs = boundaries(intlClusters(text));
        for (const at of boundaries(mine)) {
          if (!theirs.has(at)) expect.fail(`splits an Intl cluster around ${codePoints(x)}`);
        }
        if (mine.length !== theirs.size) coarser.push(x);
      }
    }
    // Only unassigned code points may differ (tables of another Unicode version).
    expect(coarser.filter((x) => !/\p{Cn}/u.test(x)).map(codePoints)).toEqual([]);
    expect(coarser.length).toBeLessThan(40);
  });

  it('keeps long runs of marks whole', () => {
    for (const text of [`क${'\u094D\u0301'.repeat(20_000)}`, `😀${'\u0301'.repeat(40_000)}`, '\u0600'.repeat(40_000)]) {
      expect([...graphemes(text)].join('')).toBe(text);
    }
  });
});

describe('cutting names at grapheme boundaries', () => {
  it('truncateUtf8 stays within the budget, ends on an Intl boundary and keeps every whole cluster that fits', () => {
    const next = random(0xc0ffee);
    for (let run = 0; run < 2000; run++) {
      const text = randomString(next, 40);
      const budget = next(bytes(text) + 2);
      const cut = truncateUtf8(text, budget);
      expect(text.startsWith(cut)).toBe(true);
      expect(bytes(cut)).toBeLessThanOrEqual(budget);
      const clusters = intlClusters(text);
      if (cut.length > 0 && !boundaries(clusters).has(cut.length)) {
        expect.fail(`ends inside an Intl cluster at ${cut.length}: ${codePoints(text)}`);
      }
      // What the Intl-based implementation returned: the longest run of whole clusters that fits.
      let reference = '';
      for (const cluster of clusters) {
        if (bytes(reference + cluster) > budget) break;
        reference += cluster;
      }
      expect(cut).toBe(reference);
    }
  });

  it('fitPath cuts long titles on Intl boundaries', () => {
    const HEX = '393abc1eedcd81f5ae94ec2d55fe98ed';
    const pieces = ['a', 'é', '日', '한', 'क्ष', 'स्ते', '👩‍👩‍👧‍👦', '👍🏽', '🇫🇷', '1️⃣', '🏴󠁧󠁢󠁳󠁣󠁴󠁿', 'ক্ষ'];
    const next = random(42);
    for (let run = 0; run < 300; run++) {
      let title = '';
      while (title.length < 120) title += pieces[next(pieces.length)];
      const dir = 'd'.repeat(100 + next(60));
      const stem = fitPath(dir, `${title} ${HEX}`);
      expect(stem.endsWith(` ${HEX}`)).toBe(true);
      const head = stem.slice(0, -(HEX.length + 1));
      expect(title.startsWith(head)).toBe(true);
      expect(boundaries(intlClusters(title)).has(head.length)).toBe(true);
    }
  });
});

describe('no Intl segmenter on the export path', () => {
  afterEach(() => vi.restoreAllMocks());

  // Creating an Intl.Segmenter and segmenting once keeps ICU's break-iterator data resident
  // (~2.9 MB of RSS for the life of the worker, which runs against a 100 MB budget). The cutting
  // code must keep to unicode-segmenter's tables, so neither file may even mention the Intl global.
  it('layout.ts and grapheme.ts do not use Intl', () => {
    for (const file of ['layout.ts', 'grapheme.ts']) {
      const source = readFileSync(new URL(file, import.meta.url), 'utf8');
      expect(source, file).not.toMatch(/\bIntl\s*\.|\bIntl\s*\[|globalThis\.Intl/);
    }
  });

  it('cuts titles without constructing a Segmenter', () => {
    vi.spyOn(Intl, 'Segmenter').mockImplementation(() => {
      throw new Error('Intl.Segmenter used on the export path');
    });
    expect(truncateUtf8('👩‍👩‍👧‍👦'.repeat(20), 60)).toBe('👩‍👩‍👧‍👦'.repeat(2));
    expect(fitPath('q'.repeat(190), `${'नमस्ते '.repeat(20)}x`)).toMatch(/^नमस्ते/);
  });
});
