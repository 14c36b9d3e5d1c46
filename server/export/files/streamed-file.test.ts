import { createHash } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { TEMP_FILE_PATTERN } from './atomic-write';
import { StreamedFile } from './streamed-file';

describe('streamed file', () => {
  it('writes many pieces atomically with their size and sha256, leaving no temp file', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'streamed-'));
    const target = path.join(dir, 'sub', 'big.csv');
    const file = new StreamedFile(target);
    const pieces = Array.from({ length: 5000 }, (_, i) => `row ${i},"quoted, value"\r\n`);
    for (const p of pieces) await file.write(p);
    expect(fs.existsSync(target)).toBe(false); // nothing visible before finish
    const result = await file.finish();
    const content = fs.readFileSync(target);
    expect(content.toString()).toBe(pieces.join(''));
    expect(result).toEqual({ bytes: content.byteLength, sha256: createHash('sha256').update(content).digest('hex') });
    expect(fs.readdirSync(path.dirname(target)).filter((n) => TEMP_FILE_PATTERN.test(n))).toEqual([]);
    const empty = new StreamedFile(path.join(dir, 'empty.csv'));
    expect((await empty.finish()).bytes).toBe(0);
    const aborted = new StreamedFile(path.join(dir, 'gone.csv'));
    await aborted.write('x');
    await aborted.abort();
    expect(fs.readdirSync(dir).sort()).toEqual(['empty.csv', 'sub']);
    fs.rmSync(dir, { recursive: true });
  });
});
