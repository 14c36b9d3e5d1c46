import { afterEach, describe, expect, it, vi } from 'vitest';
import { formatNumber, NOTION_CURRENCIES } from './number-format';

/** What the export wrote before numbers were formatted by hand: the reference the hand-made text must equal. */
function intlFormatter(format: string): (value: number) => string {
  if (format === 'number') return String;
  if (format === 'number_with_commas') return new Intl.NumberFormat('en-US', { maximumFractionDigits: 20 }).format;
  if (format === 'percent') return new Intl.NumberFormat('en-US', { style: 'percent', maximumFractionDigits: 10 }).format;
  const currency = NOTION_CURRENCIES[format];
  if (!currency) throw new Error(`no reference for ${format}`);
  return new Intl.NumberFormat('en-US', { style: 'currency', currency: currency.code }).format;
}

/** Notion's number formats (the API documents the list; the SDK types it as a plain string). */
const FORMATS = ['number', 'number_with_commas', 'percent', ...Object.keys(NOTION_CURRENCIES)];

const SPREAD = [
  0, -0, 1, -1, 7, 0.5, -0.5, 0.1 + 0.2, 1.005, 2.675, 0.005, 0.015, 0.125, -0.125, 1.5, 2.5, -2.5, 0.045,
  999.995, 999.5, -999.5, 9.999999999995, 0.99999999999995, 99.5, 1234.5, -1234567.891, 1e6, 123456789.123,
  2 ** 53, 2 ** 53 + 2, -(2 ** 60), 1e21, 1.5e22, 1.2345678901234569e23, Number.MAX_VALUE, -Number.MAX_VALUE,
  1e-7, 1.234e-19, 5e-21, 5e-22, -5e-21, 1e-13, 5e-13, -5e-13, 5e-3, 0.0049999, Number.MIN_VALUE, -Number.MIN_VALUE,
  Number.EPSILON, Math.PI, -Math.E, 12.3456789, 0.07, 0.1234567890123456, 12.345678901234567,
];

/** A seeded generator, so a failure names a value that can be reproduced. */
function* seededValues(count: number): Generator<number> {
  let state = 0x9e3779b9;
  const next = () => {
    state = (state * 1664525 + 1013904223) >>> 0;
    return state / 2 ** 32;
  };
  for (let i = 0; i < count; i++) {
    const sign = next() < 0.3 ? -1 : 1;
    const magnitude = 10 ** Math.floor(next() * 30 - 15);
    const raw = sign * next() * magnitude;
    // Every third value lands on a rounding half (…5 in the third or eleventh decimal place).
    yield i % 3 === 0 ? Number(`${raw.toFixed(2)}5`) : i % 3 === 1 ? Number(`${raw.toFixed(10)}5`) : raw;
  }
}

describe('formatNumber matches Intl.NumberFormat en-US', () => {
  it('covers every currency Notion has', () => {
    expect(Object.keys(NOTION_CURRENCIES)).toHaveLength(38);
    for (const currency of Object.values(NOTION_CURRENCIES)) {
      // The code is one Intl knows (it throws on a malformed one) and the digits are en-US's.
      const reference = new Intl.NumberFormat('en-US', { style: 'currency', currency: currency.code });
      expect(reference.resolvedOptions().maximumFractionDigits).toBe(currency.digits);
    }
  });

  it.each(FORMATS)('%s: the spread of edge values', (format) => {
    const reference = intlFormatter(format);
    for (const value of SPREAD) expect(`${value} → ${formatNumber(value, format)}`).toBe(`${value} → ${reference(value)}`);
  });

  it.each(FORMATS)('%s: 2,000 seeded values', (format) => {
    const reference = intlFormatter(format);
    for (const value of seededValues(2000)) expect(`${value} → ${formatNumber(value, format)}`).toBe(`${value} → ${reference(value)}`);
  });

  it('keeps examples people read', () => {
    expect(formatNumber(1.005, 'dollar')).toBe('$1.01');
    expect(formatNumber(-0.001, 'euro')).toBe('-€0.00');
    expect(formatNumber(999.5, 'yen')).toBe('¥1,000');
    expect(formatNumber(-1234.5, 'singapore_dollar')).toBe('-SGD\u00a01,234.50');
    expect(formatNumber(0.07, 'percent')).toBe('7%');
    expect(formatNumber(1e21, 'number_with_commas')).toBe('1,000,000,000,000,000,000,000');
    expect(formatNumber(1.234e-19, 'number_with_commas')).toBe('0.00000000000000000012');
  });

  it('leaves non-finite numbers, plain numbers and unknown formats as String gives them', () => {
    for (const format of [...FORMATS, 'unknown_format', undefined, null]) {
      expect(formatNumber(Number.NaN, format)).toBe('NaN');
      expect(formatNumber(Number.NEGATIVE_INFINITY, format)).toBe('-Infinity');
    }
    expect(formatNumber(1e21, 'number')).toBe('1e+21');
    expect(formatNumber(1234.5, 'unknown_format')).toBe('1234.5');
    expect(formatNumber(1234.5, null)).toBe('1234.5');
  });
});

describe('formatNumber without Intl', () => {
  afterEach(() => vi.restoreAllMocks());

  it('never asks Intl or toLocaleString (their first use keeps ~7 MB of ICU data resident)', () => {
    const refuse = () => {
      throw new Error('Intl used on the export path');
    };
    vi.spyOn(Intl, 'NumberFormat').mockImplementation(refuse);
    vi.spyOn(Number.prototype, 'toLocaleString').mockImplementation(refuse);
    for (const format of FORMATS) for (const value of SPREAD) expect(formatNumber(value, format)).toEqual(expect.any(String));
  });
});
