import path from 'node:path';
import { describe, expect, it } from 'vitest';
import {
  compactId,
  folderName,
  fromPosixRelative,
  MAX_NAME_BYTES,
  relativeLink,
  safeFileName,
  toPosixRelative,
  truncateUtf8,
} from './layout';

const ID = '393abc1e-edcd-81f5-ae94-ec2d55fe98ed';
const HEX = '393abc1eedcd81f5ae94ec2d55fe98ed';
const bytes = (s: string) => Buffer.byteLength(s, 'utf8');

describe('safeFileName', () => {
  it('names files like Notion’s own export: "Title <32-hex id>.ext"', () => {
    expect(safeFileName('Meeting notes', ID, '.md')).toBe(`Meeting notes ${HEX}.md`);
    expect(safeFileName('Meeting notes', HEX.toUpperCase(), '.json')).toBe(`Meeting notes ${HEX}.json`);
    expect(folderName('Meeting notes', ID)).toBe(`Meeting notes ${HEX}`);
  });

  it('replaces characters Windows forbids and control characters', () => {
    expect(safeFileName('a/b\\c:d*e?f"g<h>i|j', ID, '.md')).toBe(`a b c d e f g h i j ${HEX}.md`);
    expect(safeFileName('tab\there\nnew\u0000line\u007f', ID)).toBe(`tab here new line ${HEX}`);
    expect(safeFileName('10/12/2024', ID)).toBe(`10 12 2024 ${HEX}`);
  });

  it('strips leading and trailing dots and blanks, and uses "Untitled" for empty titles', () => {
    expect(safeFileName('  ..hidden  ', ID, '.md')).toBe(`hidden ${HEX}.md`);
    expect(safeFileName('Ends with dots...', ID, '.md')).toBe(`Ends with dots ${HEX}.md`);
    expect(safeFileName('', ID, '.md')).toBe(`Untitled ${HEX}.md`);
    expect(safeFileName(' / : ', ID, '.md')).toBe(`Untitled ${HEX}.md`);
    expect(safeFileName('...', ID)).toBe(`Untitled ${HEX}`);
  });

  it('never produces a Windows device name, whatever the case or extension', () => {
    for (const name of ['CON', 'prn', 'Aux', 'nul', 'COM1', 'lpt9', 'COM¹']) {
      expect(safeFileName(name, '', '.md')).toBe(`_${name}.md`);
      expect(safeFileName(`${name}.txt`, ID, '.md')).toBe(`_${name}.txt ${HEX}.md`);
      expect(safeFileName(`${name} `, '', '.tar.gz')).toBe(`_${name}.tar.gz`);
    }
    expect(safeFileName('CON', ID, '.md')).toBe(`CON ${HEX}.md`); // "CON <id>" is not reserved
    expect(safeFileName('CONSOLE', '', '.md')).toBe('CONSOLE.md');
    expect(safeFileName('COM10', '', '.md')).toBe('COM10.md');
  });

  it('keeps the whole name within 200 UTF-8 bytes without splitting characters, keeping id and extension', () => {
    const long = 'é'.repeat(300);
    const name = safeFileName(long, ID, '.md');
    expect(bytes(name)).toBeLessThanOrEqual(MAX_NAME_BYTES);
    expect(name.endsWith(` ${HEX}.md`)).toBe(true);
    expect(name).not.toContain('\uFFFD');
    expect(/^é+ /.test(name)).toBe(true);

    const emoji = '👩‍👩‍👧‍👦'.repeat(40); // 25 bytes per family
    const emojiName = safeFileName(emoji, ID, '.json');
    expect(bytes(emojiName)).toBeLessThanOrEqual(MAX_NAME_BYTES);
    const head = emojiName.slice(0, emojiName.indexOf(` ${HEX}`));
    expect(head.length % '👩‍👩‍👧‍👦'.length).toBe(0); // whole emoji sequences only

    const ascii = safeFileName('x'.repeat(500), ID, '.md');
    // Room for the longest extension is kept, so every file of a page shares one stem.
    expect(bytes(ascii)).toBe(MAX_NAME_BYTES - 8 + 3);
    const stem = ascii.slice(0, -3);
    expect(safeFileName('x'.repeat(500), ID, '.json')).toBe(`${stem}.json`);
    expect(folderName('x'.repeat(500), ID)).toBe(stem);
    expect(safeFileName(`${'a'.repeat(156)}          . .bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb`, ID, '.md')).toBe(
      `${'a'.repeat(156)} ${HEX}.md`,
    );
  });

  it('copes with ids that are not Notion ids and with missing ids', () => {
    expect(safeFileName('Title', 'block1')).toBe('Title block1');
    expect(safeFileName('Title', 'a/b')).toBe('Title a b');
    expect(safeFileName('Title', '', '.md')).toBe('Title.md');
    expect(safeFileName('Title', '')).toBe('Title');
    expect(safeFileName('Title', ID, `.${'x'.repeat(300)}`)).toBe(`${HEX}.${'x'.repeat(300)}`);
  });

  it('normalises to NFC so macOS and Linux agree', () => {
    expect(safeFileName('Cafe\u0301', ID)).toBe(`Caf\u00e9 ${HEX}`);
  });
});

describe('helpers', () => {
  it('truncateUtf8 keeps short strings and cuts on character boundaries', () => {
    expect(truncateUtf8('abc', 10)).toBe('abc');
    expect(truncateUtf8('aé', 2)).toBe('a');
    expect(truncateUtf8('日本語', 7)).toBe('日本');
  });

  it('compactId accepts dashed and undashed ids', () => {
    expect(compactId(ID)).toBe(HEX);
    expect(compactId(HEX)).toBe(HEX);
  });

  it('toPosixRelative gives forward-slash paths and refuses paths outside the root', () => {
    const root = path.resolve('/tmp/export');
    expect(toPosixRelative(root, path.join(root, 'a b', 'c.md'))).toBe('a b/c.md');
    expect(() => toPosixRelative(root, path.resolve('/tmp/other/x.md'))).toThrow(/not inside/);
    expect(() => toPosixRelative(root, root)).toThrow(/not inside/);
  });

  it('fromPosixRelative maps back under the root and refuses escapes', () => {
    const root = path.resolve('/tmp/export');
    expect(fromPosixRelative(root, 'a b/c.md')).toBe(path.join(root, 'a b', 'c.md'));
    for (const bad of ['', '/etc/passwd', '../x', 'a/../../x', 'a//b', './a', 'a\\b', 'C:\\x']) {
      expect(() => fromPosixRelative(root, bad)).toThrow(/Not a relative export path/);
    }
  });

  it('relativeLink builds URL-encoded relative links between export files', () => {
    expect(relativeLink('', `Child ${HEX}.md`)).toBe(`Child%20${HEX}.md`);
    expect(relativeLink(`Parent ${HEX}`, `Parent ${HEX}/Child #1 ${HEX}.md`)).toBe(`Child%20%231%20${HEX}.md`);
    expect(relativeLink('a/b', 'c/d.md')).toBe('../../c/d.md');
  });
});
