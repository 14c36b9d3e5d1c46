/**
 * Notion's number formats, formatted by hand in en-US. The first `Intl.NumberFormat` with a currency
 * or percent style makes Node load several MB of ICU locale data that stays resident in the worker;
 * these rules give the same text `Intl.NumberFormat('en-US', …)` gives (number-format.test.ts compares
 * the two for every format) without it.
 */

interface Currency {
  /** ISO 4217 code: what Intl would be asked for. */
  code: string;
  /** What en-US writes before the amount: a symbol (`$`, `CA$`) or, without one, the code and a no-break space. */
  prefix: string;
  /** Fraction digits en-US shows for the currency (0 for yen, won, …). */
  digits: number;
}

const NO_BREAK_SPACE = '\u00a0';
const symbol = (code: string, sign: string, digits = 2): Currency => ({ code, prefix: sign, digits });
const byCode = (code: string, digits = 2): Currency => ({ code, prefix: `${code}${NO_BREAK_SPACE}`, digits });

/** Notion's currency formats (every number format but `number`, `number_with_commas` and `percent`). */
export const NOTION_CURRENCIES: Readonly<Record<string, Currency>> = {
  dollar: symbol('USD', '$'),
  australian_dollar: symbol('AUD', 'A$'),
  canadian_dollar: symbol('CAD', 'CA$'),
  singapore_dollar: byCode('SGD'),
  euro: symbol('EUR', '€'),
  pound: symbol('GBP', '£'),
  yen: symbol('JPY', '¥', 0),
  ruble: byCode('RUB'),
  rupee: symbol('INR', '₹'),
  won: symbol('KRW', '₩', 0),
  yuan: symbol('CNY', 'CN¥'),
  real: symbol('BRL', 'R$'),
  lira: byCode('TRY'),
  rupiah: byCode('IDR', 0),
  franc: byCode('CHF'),
  hong_kong_dollar: symbol('HKD', 'HK$'),
  new_zealand_dollar: symbol('NZD', 'NZ$'),
  krona: byCode('SEK'),
  norwegian_krone: byCode('NOK'),
  mexican_peso: symbol('MXN', 'MX$'),
  rand: byCode('ZAR'),
  new_taiwan_dollar: symbol('TWD', 'NT$'),
  danish_krone: byCode('DKK'),
  zloty: byCode('PLN'),
  baht: byCode('THB'),
  forint: byCode('HUF', 0),
  koruna: byCode('CZK'),
  shekel: symbol('ILS', '₪'),
  chilean_peso: byCode('CLP', 0),
  philippine_peso: symbol('PHP', '₱'),
  dirham: byCode('AED'),
  colombian_peso: byCode('COP', 0),
  riyal: byCode('SAR'),
  ringgit: byCode('MYR'),
  leu: byCode('RON'),
  argentine_peso: byCode('ARS'),
  uruguayan_peso: byCode('UYU'),
  peruvian_sol: byCode('PEN'),
};

/** The most fraction digits `number_with_commas` and `percent` show (what the Intl options were). */
const COMMAS_FRACTION_DIGITS = 20;
const PERCENT_FRACTION_DIGITS = 10;

/**
 * The absolute value of a finite number as exact decimal digits: integer part and fraction part.
 * Starts from the shortest text that reads back as the same number (`String`), as ICU does, so
 * 1.005 is 1.005 (not 1.00499…) and rounds up like Intl. `shift` moves the point right (percent: 2).
 */
function decimalParts(value: number, shift: number): { whole: string; fraction: string } {
  const match = /^(\d+)(?:\.(\d+))?(?:e([+-]\d+))?$/.exec(String(Math.abs(value)));
  // String() of a finite number always matches; the fallback only satisfies the type checker.
  const [, head = '0', tail = '', exponent = '0'] = match ?? [];
  let digits = head + tail;
  let point = head.length + Number(exponent) + shift;
  if (point <= 0) {
    digits = '0'.repeat(1 - point) + digits;
    point = 1;
  }
  if (point > digits.length) digits += '0'.repeat(point - digits.length);
  return { whole: digits.slice(0, point), fraction: digits.slice(point) };
}

/** Adds one to a string of decimal digits (`199` → `200`, `99` → `100`). */
function increment(digits: string): string {
  let i = digits.length - 1;
  while (i >= 0 && digits[i] === '9') i--;
  if (i < 0) return `1${'0'.repeat(digits.length)}`;
  return digits.slice(0, i) + String(Number(digits[i]) + 1) + '0'.repeat(digits.length - i - 1);
}

/** `1234567` → `1,234,567`. */
const groupThousands = (whole: string): string => whole.replace(/\B(?=(\d{3})+$)/g, ',');

/**
 * A finite number rounded half away from zero to at most `maxFraction` digits, trailing zeros
 * kept down to `minFraction`, thousands grouped; the sign stays on negative numbers and -0 as Intl keeps it.
 */
function formatDecimal(value: number, minFraction: number, maxFraction: number, prefix = '', shift = 0): string {
  let { whole, fraction } = decimalParts(value, shift);
  if (fraction.length > maxFraction) {
    const roundUp = fraction.charCodeAt(maxFraction) >= 53; // '5'
    fraction = fraction.slice(0, maxFraction);
    if (roundUp) {
      const bumped = increment(whole + fraction);
      whole = bumped.slice(0, bumped.length - maxFraction);
      fraction = bumped.slice(bumped.length - maxFraction);
    }
  }
  fraction = fraction.replace(/0+$/, '').padEnd(minFraction, '0');
  whole = whole.replace(/^0+(?=\d)/, '');
  const negative = value < 0 || Object.is(value, -0);
  return `${negative ? '-' : ''}${prefix}${groupThousands(whole)}${fraction ? `.${fraction}` : ''}`;
}

/**
 * A number in the data source's number format (`dollar` → `$2.50`, `percent` → `50%` for 0.5,
 * `number_with_commas` → `1,234.5`); always en-US so exports do not depend on the machine's locale.
 */
export function formatNumber(value: number, format?: string | null): string {
  if (!Number.isFinite(value)) return String(value);
  if (format === 'number_with_commas') return formatDecimal(value, 0, COMMAS_FRACTION_DIGITS);
  if (format === 'percent') return `${formatDecimal(value, 0, PERCENT_FRACTION_DIGITS, '', 2)}%`;
  const currency = format ? NOTION_CURRENCIES[format] : undefined;
  if (currency) return formatDecimal(value, currency.digits, currency.digits, currency.prefix);
  return String(value);
}
