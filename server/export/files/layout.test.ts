import path from 'node:path';
import { describe, expect, it } from 'vitest';
import {
  childFolder,
  DEEP_DIR,
  assignSiblingStems,
  compactId,
  fitPath,
  folderName,
  fromPosixRelative,
  itemStem,
  MAX_NAME_BYTES,
  MIN_TITLE_CHARS,
  nameKey,
  relativeLink,
  safeAttachmentName,
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

/** Ids that sort in the order of their last digit. */
const id = (n: number) => `393abc1e-edcd-81f5-ae94-ec2d55fe98e${n.toString(16)}`;
const hex = (n: number) => compactId(id(n));
const EXTS = ['.md', '.json', '.html', '.csv'];

describe('itemStem', () => {
  it('is "Title <id>" in notion mode (the default) and "Title" in clean mode', () => {
    expect(itemStem('Meeting notes', ID)).toBe(`Meeting notes ${HEX}`);
    expect(itemStem('Meeting notes', ID, 'notion')).toBe(folderName('Meeting notes', ID));
    expect(itemStem('Meeting notes', ID, 'clean')).toBe('Meeting notes');
  });

  it('cleans titles the same way in both modes', () => {
    expect(itemStem('a/b\\c:d*e?f"g<h>i|j', ID, 'clean')).toBe('a b c d e f g h i j');
    expect(itemStem(' / : * ? " < > | ', ID, 'clean')).toBe('Untitled');
    expect(itemStem('CON', ID, 'clean')).toBe('_CON');
    expect(itemStem('nul.txt', ID, 'clean')).toBe('_nul.txt');
    expect(itemStem('COM1', ID, 'notion')).toBe(`COM1 ${HEX}`);
    expect(itemStem('conout$', ID, 'clean')).toBe('_conout$');
    expect(itemStem('Trailing. . ', ID, 'clean')).toBe('Trailing');
    expect(itemStem('bell\u0007 and\u001b escape', ID, 'clean')).toBe('bell and escape');
    expect(itemStem('🚀 Launch 🎉', ID, 'clean')).toBe('🚀 Launch 🎉');
  });

  it('keeps long clean stems within the byte budget with room for the longest extension', () => {
    const stem = itemStem('x'.repeat(300), ID, 'clean');
    expect(bytes(stem)).toBe(MAX_NAME_BYTES - 8);
  });
});

describe('safeAttachmentName', () => {
  it('keeps ordinary names', () => {
    expect(safeAttachmentName('report.pdf')).toBe('report.pdf');
    expect(safeAttachmentName('Résumé (final) v2.docx')).toBe('Résumé (final) v2.docx');
  });

  it('replaces reserved and control characters and trims blanks before the extension', () => {
    expect(safeAttachmentName('a/b:c?.pdf')).toBe('a b c.pdf');
    expect(safeAttachmentName('x<y>z|"*.png')).toBe('x y z.png');
    expect(safeAttachmentName('tab\tnew\nline\u0000.txt')).toBe('tab new line.txt');
  });

  it('avoids device names, hidden names and trailing dots or spaces', () => {
    expect(safeAttachmentName('CON.txt')).toBe('_CON.txt');
    expect(safeAttachmentName('nul')).toBe('_nul');
    expect(safeAttachmentName('com1.tar.gz')).toBe('_com1.tar.gz');
    expect(safeAttachmentName('LPT9 .log')).toBe('_LPT9.log');
    expect(safeAttachmentName('console.log')).toBe('console.log');
    expect(safeAttachmentName('.env')).toBe('env');
    expect(safeAttachmentName('notes.txt. . ')).toBe('notes.txt');
  });

  it('falls back when nothing usable is left', () => {
    expect(safeAttachmentName('')).toBe('file');
    expect(safeAttachmentName(' ... ')).toBe('file');
    expect(safeAttachmentName('?.pdf')).toBe('pdf');
    expect(safeAttachmentName('', 'image')).toBe('image');
  });

  it('stays within 200 UTF-8 bytes, keeping a real extension and whole characters', () => {
    const long = safeAttachmentName(`${'a'.repeat(300)}.pdf`);
    expect(long).toBe(`${'a'.repeat(MAX_NAME_BYTES - 4)}.pdf`);
    const accents = safeAttachmentName(`${'é'.repeat(300)}.jpeg`);
    expect(bytes(accents)).toBeLessThanOrEqual(MAX_NAME_BYTES);
    expect(accents.endsWith('é.jpeg')).toBe(true);
    const emoji = safeAttachmentName(`${'👩‍👩‍👧‍👦'.repeat(20)}.png`);
    expect(bytes(emoji)).toBeLessThanOrEqual(MAX_NAME_BYTES);
    expect(emoji.slice(0, -4).length % '👩‍👩‍👧‍👦'.length).toBe(0);
    // A "extension" with blanks or of absurd length is just part of the name.
    expect(safeAttachmentName('Version 1.2 final')).toBe('Version 1.2 final');
    expect(bytes(safeAttachmentName(`a.${'b'.repeat(300)}`))).toBe(MAX_NAME_BYTES);
  });
});

describe('assignSiblingStems', () => {
  it('numbers duplicate titles in clean mode in id order, whatever the discovery order', () => {
    const items = [
      { id: id(3), title: 'Notes' },
      { id: id(1), title: 'Notes' },
      { id: id(2), title: 'Notes' },
      { id: id(4), title: 'Other' },
    ];
    const expected = new Map([
      [id(1), 'Notes'],
      [id(2), 'Notes (2)'],
      [id(3), 'Notes (3)'],
      [id(4), 'Other'],
    ]);
    expect(assignSiblingStems(items, [], 'clean')).toEqual(expected);
    expect(assignSiblingStems([...items].reverse(), [], 'clean')).toEqual(expected);
  });

  it('treats case-insensitive and Unicode-normalisation duplicates as duplicates', () => {
    const stems = assignSiblingStems(
      [
        { id: id(1), title: 'notes' },
        { id: id(2), title: 'Notes' },
        { id: id(3), title: 'Caf\u00e9' },
        { id: id(4), title: 'CAFE\u0301' },
      ],
      [],
      'clean',
    );
    expect([...stems.values()]).toEqual(['notes', 'Notes (2)', 'Café', 'CAFÉ (2)']);
    expect(nameKey('Straße')).toBe(nameKey('STRASSE'));
  });

  it('respects names already taken in the folder, compared case-insensitively and in NFC', () => {
    const stems = assignSiblingStems(
      [
        { id: id(1), title: 'Attachments' },
        { id: id(2), title: 'Cafe\u0301' },
      ],
      ['attachments', 'café.md'],
      'clean',
    );
    expect(stems.get(id(1))).toBe('Attachments (2)');
    expect(stems.get(id(2))).toBe('Café (2)');
  });

  it('lets unique titles keep their names and skips numbers they hold', () => {
    const stems = assignSiblingStems(
      [
        { id: id(1), title: 'Notes (2)' },
        { id: id(2), title: 'Notes' },
        { id: id(3), title: 'Notes' },
      ],
      [],
      'clean',
    );
    expect(stems).toEqual(
      new Map([
        [id(1), 'Notes (2)'],
        [id(2), 'Notes'],
        [id(3), 'Notes (3)'],
      ]),
    );
  });

  it('keeps a folder from colliding with a sibling’s file ("Notes.md/" vs "Notes" + ".md")', () => {
    const stems = assignSiblingStems(
      [
        { id: id(1), title: 'Notes.md' },
        { id: id(2), title: 'Notes' },
      ],
      [],
      'clean',
    );
    const names = [...stems.values()].flatMap((stem) => [stem, ...EXTS.map((ext) => stem + ext)].map(nameKey));
    expect(new Set(names).size).toBe(names.length);
    expect(stems.get(id(1))).toBe('Notes.md');
    expect(stems.get(id(2))).toBe('Notes (2)');
  });

  it('makes reserved names, unsafe titles and long titles unique too', () => {
    const stems = assignSiblingStems(
      [
        { id: id(1), title: 'CON' },
        { id: id(2), title: 'con' },
        { id: id(3), title: ' / : * ' },
        { id: id(4), title: '' },
        { id: id(5), title: 'x'.repeat(300) },
        { id: id(6), title: `${'x'.repeat(300)}y` },
        { id: id(7), title: '🚀 Launch' },
        { id: id(8), title: '🚀 launch' },
      ],
      [],
      'clean',
    );
    expect(stems.get(id(1))).toBe('_CON');
    expect(stems.get(id(2))).toBe('con (2)'); // "con (2)" is no device name
    expect(stems.get(id(3))).toBe('Untitled');
    expect(stems.get(id(4))).toBe('Untitled (2)');
    expect(stems.get(id(5))).toBe('x'.repeat(MAX_NAME_BYTES - 8));
    expect(stems.get(id(6))).toBe(`${'x'.repeat(MAX_NAME_BYTES - 8 - 4)} (2)`);
    expect(stems.get(id(8))).toBe('🚀 launch (2)');
    for (const stem of stems.values()) expect(bytes(`${stem}.json`)).toBeLessThanOrEqual(MAX_NAME_BYTES);
  });

  it('uses ids in notion mode, and still resolves collisions with taken names', () => {
    const items = [
      { id: id(1), title: 'Notes' },
      { id: id(2), title: 'Notes' },
      { id: id(3), title: 'Plan' },
    ];
    expect(assignSiblingStems(items, [])).toEqual(
      new Map([
        [id(1), `Notes ${hex(1)}`],
        [id(2), `Notes ${hex(2)}`],
        [id(3), `Plan ${hex(3)}`],
      ]),
    );
    const stems = assignSiblingStems(items, [`PLAN ${hex(3).toUpperCase()}`], 'notion');
    expect(stems.get(id(3))).toBe(`Plan (2) ${hex(3)}`);
  });

  it('gives an id listed twice one stem and resolves non-Notion ids that clean to the same text', () => {
    const stems = assignSiblingStems(
      [
        { id: id(1), title: 'A' },
        { id: id(1), title: 'A again' },
        { id: 'x:y', title: 'B' },
        { id: 'x y', title: 'b' },
      ],
      [],
      'notion',
    );
    expect(stems.size).toBe(3);
    expect(stems.get(id(1))).toBe(`A ${hex(1)}`);
    expect(stems.get('x y')).toBe('b x y');
    expect(stems.get('x:y')).toBe('B (2) x y');
  });

  it('fits stems to the folder before numbering them, so shortened titles stay unique', () => {
    const dir = 'd'.repeat(200);
    const items = [
      { id: id(1), title: `${'Quarterly report '.repeat(3)}North` },
      { id: id(2), title: `${'Quarterly report '.repeat(3)}South` },
    ];
    for (const mode of ['clean', 'notion'] as const) {
      const stems = assignSiblingStems(items, [], mode, { dir });
      const values = [...stems.values()];
      expect(new Set(values.map(nameKey)).size).toBe(2);
      for (const stem of values) expect(`${dir}/${stem}.html`.length).toBeLessThanOrEqual(250);
    }
    const clean = assignSiblingStems(items, [], 'clean', { dir });
    expect(clean.get(id(2))).toMatch(/^Quarterly report .* \(2\)$/);
  });
});

describe('fitPath', () => {
  const longTitle = 'A fairly long page title that keeps going and going';

  it('leaves stems alone when the path already fits', () => {
    expect(fitPath('', `Notes ${HEX}`)).toBe(`Notes ${HEX}`);
    expect(fitPath('a/b', 'Notes')).toBe('Notes');
  });

  it('shortens only the title, keeping the id and the (n) mark, within the limit including the extension', () => {
    const dir = 'p'.repeat(180);
    const stem = fitPath(dir, `${longTitle} (3) ${HEX}`);
    expect(stem.endsWith(` (3) ${HEX}`)).toBe(true);
    expect(stem.startsWith('A fairly long')).toBe(true);
    expect(`${dir}/${stem}.json`.length).toBeLessThanOrEqual(250);
    expect(`${dir}/${stem}.json`.length).toBeGreaterThanOrEqual(245);

    const clean = fitPath(dir, longTitle, 200);
    expect(`${dir}/${clean}.html`.length).toBeLessThanOrEqual(200);
    expect(clean.length).toBeGreaterThanOrEqual(MIN_TITLE_CHARS);
  });

  it('never splits an emoji and never leaves trailing blanks', () => {
    const family = '👩‍👩‍👧‍👦';
    const stem = fitPath('q'.repeat(190), `${family.repeat(10)} ${HEX}`);
    const head = stem.slice(0, -(HEX.length + 1));
    expect(head.length % family.length).toBe(0);
    const blanks = fitPath('q'.repeat(190), `Word word word word word word ${HEX}`);
    expect(blanks).not.toMatch(/ {2}|\s(?=[0-9a-f]{32}$)\s/);
    expect(blanks.endsWith(` ${HEX}`)).toBe(true);
  });

  it('stops at a few characters when the folder itself is too long (the documented limit)', () => {
    const dir = 'z'.repeat(240);
    const stem = fitPath(dir, `${longTitle} ${HEX}`);
    expect(stem).toBe(`${longTitle.slice(0, MIN_TITLE_CHARS)} ${HEX}`);
    expect(fitPath(dir, 'Short')).toBe('Short');
  });

  it('handles 300-character titles in both modes', () => {
    for (const mode of ['notion', 'clean'] as const) {
      const stem = fitPath('', itemStem('t'.repeat(300), ID, mode));
      expect(`${stem}.json`.length).toBeLessThanOrEqual(250);
      expect(bytes(stem)).toBeLessThanOrEqual(MAX_NAME_BYTES - 8);
    }
  });
});

describe('childFolder', () => {
  it('nests children in the item folder until that would not leave room, then under _deep/', () => {
    expect(childFolder('', 'A 1')).toBe('A 1');
    expect(childFolder('x/y', 'A 1')).toBe('x/y/A 1');
    const deep = 'd'.repeat(200);
    expect(childFolder(deep, 'A 1')).toBe(`${DEEP_DIR}/A 1`);
    expect(`${childFolder(deep, 'A 1')}/${'c'.repeat(54)}.html`.length).toBeLessThan(250);
  });
});
