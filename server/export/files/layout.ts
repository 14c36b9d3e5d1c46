import path from 'node:path';
import { graphemes } from './grapheme';

/** Longest file or folder name we produce, in UTF-8 bytes (file systems allow 255; temp-file prefixes need room). */
export const MAX_NAME_BYTES = 200;
/** Room kept for the longest extension we write (`.json`, `.html`, `.csv`, `.md`), in bytes and in characters. */
const MAX_EXT_BYTES = 8;
/** Longest export-relative path `fitPath` aims for, in UTF-16 code units (Windows MAX_PATH is 260 for the full path). */
export const MAX_RELATIVE_PATH = 250;
/** `fitPath` never shortens a title below this many characters (shorter titles are left alone). */
export const MIN_TITLE_CHARS = 8;
/** The extensions a page or database writes next to its folder; sibling checks reserve all of them. */
const EXPORT_EXTENSIONS = ['.md', '.json', '.html', '.csv'] as const;

/**
 * `'notion'`: `Title <32-hex id>`, like Notion's own export (the default);
 * `'clean'`: `Title`, with ` (2)`, ` (3)`… for siblings that would otherwise share a name.
 */
export type NamingMode = 'notion' | 'clean';

// Reserved on Windows: / \ : * ? " < > | and the C0 control characters (plus DEL).
// biome-ignore lint/suspicious/noControlCharactersInRegex: control characters are exactly what we strip
const FORBIDDEN_CHARS = /[/\\:*?"<>|\u0000-\u001f\u007f]/g;
const RESERVED_DEVICE = /^(con|prn|aux|nul|conin\$|conout\$|com[0-9¹²³]|lpt[0-9¹²³])$/i;
/** A stem's tail that `fitPath` never shortens: an optional ` (n)` mark, then an optional ` <32-hex id>`. */
const STEM_PARTS = /^(.*?)((?: \(\d+\))?(?: [0-9a-f]{32})?)$/;

const utf8Bytes = (text: string) => Buffer.byteLength(text, 'utf8');

/**
 * Cuts `text` at a grapheme boundary so that `measure` of the result stays within `max`.
 * Clusters come from `graphemes` (unicode-segmenter's tables), not from the ICU segmenter,
 * whose break-iterator data would cost the worker ~2.9 MB of RSS for good.
 */
function truncateBy(text: string, max: number, measure: (segment: string) => number): string {
  if (measure(text) <= max) return text;
  let out = '';
  let used = 0;
  for (const segment of graphemes(text)) {
    const size = measure(segment);
    if (used + size > max) break;
    out += segment;
    used += size;
  }
  return out;
}

/** Cuts `text` to at most `maxBytes` UTF-8 bytes without splitting a character (or an emoji sequence). */
export function truncateUtf8(text: string, maxBytes: number): string {
  return truncateBy(text, maxBytes, utf8Bytes);
}

/** A Notion title made safe as part of a file name on Windows, macOS and Linux. */
function cleanTitle(title: string): string {
  return title
    .normalize('NFC')
    .replace(FORBIDDEN_CHARS, ' ')
    .replace(/\s+/g, ' ')
    .replace(/^[\s.]+/, '') // no hidden files, no leading blanks
    .replace(/[\s.]+$/, '');
}

/** Guards against names Windows reserves for devices (CON, NUL.txt, com1.md, …). */
function avoidReservedName(name: string): string {
  const stem = name.split('.')[0].replace(/[ ]+$/, '');
  return RESERVED_DEVICE.test(stem) ? `_${name}` : name;
}

/** A Notion id as 32 lower-case hex digits (other strings are cleaned like titles). */
export function compactId(id: string): string {
  const hex = id.replace(/-/g, '').toLowerCase();
  return /^[0-9a-f]{32}$/.test(hex) ? hex : cleanTitle(id);
}

/** `safeFileName` with an optional disambiguation `mark` (` (2)`) kept between the title and the id. */
function buildName(title: string, id: string, ext: string, mark: string): string {
  const suffix = [compactId(id), ext].join('');
  const tail = suffix.startsWith('.') || suffix === '' ? suffix : ` ${suffix}`;
  // The title's budget does not depend on the extension, so a page's files and its folder of
  // children always share one stem ("Title id.md", "Title id.json", "Title id/").
  const budget = Math.max(
    0,
    MAX_NAME_BYTES - utf8Bytes(mark) - utf8Bytes(tail.slice(0, tail.length - ext.length)) - Math.max(MAX_EXT_BYTES, utf8Bytes(ext)),
  );
  const cleaned = cleanTitle(title) || 'Untitled';
  const head = cleanTitle(truncateUtf8(cleaned, budget)) || truncateUtf8('Untitled', budget);
  return avoidReservedName(`${head}${mark}${tail}`.trimStart().replace(/[ .]+$/, ''));
}

/**
 * `"<Title> <32-hex id><ext>"`, the way Notion's own export names files, made safe for every
 * common file system: reserved characters and control characters become spaces, no leading or
 * trailing dots or blanks, no Windows device names, "Untitled" for an empty title, and at most
 * 200 UTF-8 bytes (the title is shortened, never the id or the extension).
 */
export function safeFileName(title: string, id: string, ext = ''): string {
  return buildName(title, id, ext, '');
}

/** The folder that holds a page's children: `"<Title> <32-hex id>"`. */
export function folderName(title: string, id: string): string {
  return safeFileName(title, id);
}

/**
 * The shared stem of an item's files and folder (`stem + '.md'`, `stem + '.json'`, `stem + '/'`):
 * `"Title <32-hex id>"` in `'notion'` mode, `"Title"` in `'clean'` mode. Clean stems can repeat
 * among siblings; name a folder's items with `assignSiblingStems`.
 */
export function itemStem(title: string, id: string, mode: NamingMode = 'notion'): string {
  return buildName(title, mode === 'notion' ? id : '', '', '');
}

/**
 * A downloaded file's name (`report.pdf`) made safe like titles are (reserved and control
 * characters, device names, leading and trailing dots and blanks, NFC), at most 200 UTF-8 bytes
 * with the extension kept; `fallback` when nothing usable is left.
 */
export function safeAttachmentName(name: string, fallback = 'file'): string {
  const cleaned = cleanTitle(name);
  if (!cleaned) return fallback;
  const dot = cleaned.lastIndexOf('.');
  const ext = dot > 0 ? cleaned.slice(dot) : '';
  // Only a short, blank-free tail is an extension worth keeping ("v1.2 final" has none).
  const keepExt = ext !== '' && !ext.includes(' ') && utf8Bytes(ext) <= 16;
  const base = keepExt ? cleaned.slice(0, dot) : cleaned;
  const head = cleanTitle(truncateUtf8(base, MAX_NAME_BYTES - (keepExt ? utf8Bytes(ext) : 0)));
  return avoidReservedName(`${head || fallback}${keepExt ? ext : ''}`);
}

/**
 * Shortens the title part of `stem` (never its ` (n)` mark or its 32-hex id) so that
 * `dir + '/' + stem + <longest extension>` is at most `maxLength` UTF-16 code units, the unit of
 * Windows' MAX_PATH. `dir` is relative to the export root (posix, `''` for the root).
 *
 * Limit: titles are never cut below `MIN_TITLE_CHARS` characters, so when `dir` alone is longer
 * than about `maxLength - 50` (`'notion'` stems) the result still exceeds `maxLength`; it is then
 * as short as this function makes it, and the caller has to flatten the tree to do better.
 */
/** Top-level folder for the children of pages nested too deep to hold them under MAX_RELATIVE_PATH. */
export const DEEP_DIR = '_deep';

/** What was exported, skipped and failed, at the export's root. */
export const REPORT_FILE = 'report.json';

/** Room a child needs: a shortened title, " (nn)", a 32-hex id and an extension. */
const MIN_CHILD_PATH = MIN_TITLE_CHARS + 5 + 33 + 8;

/**
 * The folder that holds the children of the item `stem` in `dir`: its own folder, like Notion's
 * export, unless that is so deep that no child would fit under MAX_RELATIVE_PATH; then a
 * folder of the same name under `_deep/` at the top of the export (links stay relative).
 */
export function childFolder(dir: string, stem: string): string {
  const natural = dir === '' ? stem : `${dir}/${stem}`;
  return natural.length + 1 + MIN_CHILD_PATH <= MAX_RELATIVE_PATH ? natural : `${DEEP_DIR}/${stem}`;
}

/** Longest file or folder name (without extension) an item gets, so that nested folders still fit. */
export const MAX_STEM_CHARS = 100;

/**
 * The `maxLength` for `fitPath` in `dir`: the whole path under MAX_RELATIVE_PATH, and no single
 * name longer than MAX_STEM_CHARS, leaving room for the folders of children below it.
 */
export function pathBudget(dir: string): number {
  return Math.min(MAX_RELATIVE_PATH, (dir === '' ? 0 : dir.length + 1) + MAX_STEM_CHARS + 8);
}

export function fitPath(dir: string, stem: string, maxLength = pathBudget(dir)): string {
  const fixed = (dir === '' ? 0 : dir.length + 1) + MAX_EXT_BYTES;
  if (fixed + stem.length <= maxLength) return stem;
  const [, title = stem, tail = ''] = STEM_PARTS.exec(stem) ?? [];
  const minimum = truncateBy(title, MIN_TITLE_CHARS, (s) => s.length).length;
  const budget = Math.max(minimum, maxLength - fixed - tail.length);
  const head = cleanTitle(truncateBy(title, budget, (s) => s.length)) || truncateBy(title, budget, (s) => s.length);
  return avoidReservedName(`${head}${tail}`);
}

/** How two names compare on case-insensitive file systems (NTFS, APFS, exFAT): NFC, case folded. */
export function nameKey(name: string): string {
  return name.normalize('NFC').toUpperCase().toLowerCase().normalize('NFC');
}

/** The names a stem occupies in its folder: the folder itself and each file extension. */
const occupiedKeys = (stem: string) => [stem, ...EXPORT_EXTENSIONS.map((ext) => stem + ext)].map(nameKey);

export interface SiblingOptions {
  /** The siblings' folder relative to the export root; with it, every stem goes through `fitPath` before duplicates are resolved. */
  dir?: string;
  maxLength?: number;
}

/**
 * Stems for items that share a folder, unique on case-insensitive and normalising file systems,
 * including against `taken` (names already used in that folder, e.g. `attachments` at the root).
 * A stem blocks its folder name and every `stem.<ext>`, so a page titled `Notes.md` cannot
 * collide with the file of a page titled `Notes`.
 *
 * Deterministic: the result depends on the set of items, not their order. Items whose name is
 * unique keep it; for each group of duplicates (in `'clean'` mode "Notes", "notes", "Note\u0301s"…)
 * the item with the smallest id keeps the plain name and the others get ` (2)`, ` (3)`… in id
 * order. In `'notion'` mode ids already make stems unique; the same rules only apply when a stem
 * collides with `taken` or with an id-less stem. An id listed twice gets one stem.
 */
export function assignSiblingStems(
  items: readonly { id: string; title: string }[],
  taken: Iterable<string>,
  mode: NamingMode = 'notion',
  options: SiblingOptions = {},
): Map<string, string> {
  const { dir, maxLength = dir === undefined ? MAX_RELATIVE_PATH : pathBudget(dir) } = options;
  const makeStem = (title: string, id: string, n: number) => {
    const stem = buildName(title, mode === 'notion' ? id : '', '', n > 1 ? ` (${n})` : '');
    return dir === undefined ? stem : fitPath(dir, stem, maxLength);
  };

  const unique = new Map<string, { id: string; title: string }>();
  for (const item of items) if (!unique.has(item.id)) unique.set(item.id, item);
  const ordered = [...unique.values()].sort((a, b) => compareIds(a.id, b.id));

  const used = new Set<string>();
  for (const name of taken) for (const key of occupiedKeys(name)) used.add(key);
  const base = new Map(ordered.map((item) => [item.id, makeStem(item.title, item.id, 1)]));
  const counts = new Map<string, number>();
  for (const stem of base.values()) counts.set(nameKey(stem), (counts.get(nameKey(stem)) ?? 0) + 1);

  const result = new Map<string, string>();
  const isFree = (stem: string) => occupiedKeys(stem).every((key) => !used.has(key));
  const claim = (id: string, stem: string) => {
    result.set(id, stem);
    for (const key of occupiedKeys(stem)) used.add(key);
  };
  // Unique names first, so that "Notes (2)" keeps its name even when two other pages are called "Notes".
  for (const item of ordered) {
    const stem = base.get(item.id) ?? makeStem(item.title, item.id, 1);
    if (counts.get(nameKey(stem)) === 1 && isFree(stem)) claim(item.id, stem);
  }
  for (const item of ordered) {
    if (result.has(item.id)) continue;
    let stem = base.get(item.id) ?? makeStem(item.title, item.id, 1);
    for (let n = 2; !isFree(stem); n += 1) stem = makeStem(item.title, item.id, n);
    claim(item.id, stem);
  }
  return result;
}

/** Orders ids by their compact form, so dashed and undashed spellings of one id sort alike. */
function compareIds(a: string, b: string): number {
  const x = compactId(a);
  const y = compactId(b);
  if (x !== y) return x < y ? -1 : 1;
  return a < b ? -1 : a > b ? 1 : 0;
}

/**
 * `absPath` relative to `root`, with forward slashes. Throws if it is not inside `root`,
 * so a manifest or zip entry can never point outside the export.
 */
export function toPosixRelative(root: string, absPath: string): string {
  const rel = path.relative(path.resolve(root), path.resolve(absPath));
  if (rel === '' || rel.startsWith('..') || path.isAbsolute(rel)) {
    throw new Error(`${absPath} is not inside ${root}`);
  }
  return rel.split(path.sep).join('/');
}

/** Turns a root-relative posix path into an absolute path under `root`, refusing `..` escapes. */
export function fromPosixRelative(root: string, relPath: string): string {
  const parts = relPath.split('/');
  if (relPath.includes('\\') || parts.some((p) => p === '..' || p === '' || p === '.')) {
    throw new Error(`Not a relative export path: ${JSON.stringify(relPath)}`);
  }
  return path.join(path.resolve(root), ...parts);
}

/** A URL-encoded relative link from a file in `fromDir` to `target` (both relative to the root, posix). */
export function relativeLink(fromDir: string, target: string): string {
  const rel = path.posix.relative(fromDir || '.', target);
  // Parentheses too: Markdown escapes them in a link it writes, and a link resolved later is
  // put in as it is; encoded, both are the same bytes.
  return rel
    .split('/')
    .map((part) => encodeURIComponent(part).replace(/\(/g, '%28').replace(/\)/g, '%29'))
    .join('/');
}
