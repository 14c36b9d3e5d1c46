import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { expect } from 'vitest';

/** Set to 1 to rewrite the expected files from what the code produces now (then review the diff). */
export const UPDATE_GOLDEN_ENV = 'UPDATE_GOLDEN';

/**
 * Compares `actual` byte for byte with `<dir>/__golden__/<name>`. The expected file is written only
 * when UPDATE_GOLDEN=1 is set: a missing file fails the test like a different one.
 */
export function expectGolden(dir: string, name: string, actual: string): void {
  const path = join(dir, '__golden__', name);
  if (process.env[UPDATE_GOLDEN_ENV] === '1') {
    mkdirSync(dirname(path), { recursive: true });
    writeFileSync(path, actual);
    return;
  }
  let expected: string;
  try {
    expected = readFileSync(path, 'utf8');
  } catch {
    throw new Error(`No golden file ${path}: run the test with ${UPDATE_GOLDEN_ENV}=1 to write it, then review it`);
  }
  expect(actual, `differs from ${path} (${UPDATE_GOLDEN_ENV}=1 rewrites it)`).toBe(expected);
}
