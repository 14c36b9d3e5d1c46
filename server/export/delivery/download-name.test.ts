import { describe, expect, it } from 'vitest';
import { asciiFileName, contentDisposition, isoDate, MAX_WORKSPACE_NAME_BYTES, zipFileName } from './download-name';

const day = new Date('2026-03-04T23:59:59.000Z');

describe('zipFileName', () => {
  it('is <workspace>-<YYYY-MM-DD>.zip, the day in UTC', () => {
    expect(zipFileName('Acme Corp', day)).toBe('Acme Corp-2026-03-04.zip');
    expect(isoDate(new Date('2026-03-05T00:00:00.000+01:00'))).toBe('2026-03-04');
    expect(zipFileName('Équipe 日本 🚀', day)).toBe('Équipe 日本 🚀-2026-03-04.zip');
  });

  it('drops what a file system refuses: reserved characters, control characters, leading and trailing dots and blanks', () => {
    expect(zipFileName('a/b\\c:d*e?f"g<h>i|j', day)).toBe('a b c d e f g h i j-2026-03-04.zip');
    expect(zipFileName('tab\there\u0000nul\u007fdel\nline', day)).toBe('tab here nul del line-2026-03-04.zip');
    expect(zipFileName('  ..Team...  ', day)).toBe('Team-2026-03-04.zip');
  });

  it('never makes a name Windows keeps for a device', () => {
    expect(zipFileName('CON', day)).toBe('_CON-2026-03-04.zip');
    expect(zipFileName('con.x', day)).toBe('_con.x-2026-03-04.zip');
    expect(zipFileName('LPT1. notes', day)).toBe('_LPT1. notes-2026-03-04.zip');
  });

  it('cuts a long name at a character boundary, and falls back to notion-export-<day>', () => {
    const name = zipFileName(`${'é'.repeat(80)}👩‍👩‍👧`, day);
    const workspace = name.slice(0, -'-2026-03-04.zip'.length);
    expect(Buffer.byteLength(workspace)).toBeLessThanOrEqual(MAX_WORKSPACE_NAME_BYTES);
    expect(workspace).toBe('é'.repeat(50));
    expect(zipFileName(`${'a'.repeat(99)} .x`, day)).toBe(`${'a'.repeat(99)}-2026-03-04.zip`);
    for (const unusable of [null, undefined, '', '   ', '...', '/\\:*?"<>|']) {
      expect(zipFileName(unusable, day), String(unusable)).toBe('notion-export-2026-03-04.zip');
    }
  });
});

describe('contentDisposition', () => {
  it('gives an ASCII filename and the UTF-8 one (RFC 6266, RFC 8187)', () => {
    expect(contentDisposition('attachment', 'Acme-2026-03-04.zip')).toBe(
      `attachment; filename="Acme-2026-03-04.zip"; filename*=UTF-8''Acme-2026-03-04.zip`,
    );
    expect(contentDisposition('inline', "Café (l'été) 100%.md")).toBe(
      `inline; filename="Cafe (l'ete) 100_.md"; filename*=UTF-8''Caf%C3%A9%20%28l%27%C3%A9t%C3%A9%29%20100%25.md`,
    );
  });

  it('falls back when little of the name is ASCII, and never lets a quote or a backslash through', () => {
    expect(asciiFileName('日本語.zip', 'notion-export.zip')).toBe('notion-export.zip');
    expect(asciiFileName('a"b\\c.txt', 'x')).toBe('a_b_c.txt');
    expect(contentDisposition('attachment', '🚀.zip', 'fallback.zip')).toBe(`attachment; filename="fallback.zip"; filename*=UTF-8''%F0%9F%9A%80.zip`);
    expect(contentDisposition('attachment', '🚀.zip')).toMatch(/^attachment; filename="download"/);
  });
});
