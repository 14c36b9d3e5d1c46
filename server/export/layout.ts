import path from 'node:path';

/** Longest file or folder name we produce, in UTF-8 bytes (file systems allow 255; temp-file prefixes need room). */
export const MAX_NAME_BYTES = 200;
/** Room kept for the longest extension we write (`.json`, `.html`, `.csv`, `.md`). */
const MAX_EXT_BYTES = 8;

// Reserved on Windows: / \ : * ? " < > | and the C0 control characters (plus DEL).
// biome-ignore lint/suspicious/noControlCharactersInRegex: control characters are exactly what we strip
const FORBIDDEN_CHARS = /[/\\:*?"<>|\u0000-\u001f\u007f]/g;
const RESERVED_DEVICE = /^(con|prn|aux|nul|com[0-9¹²³]|lpt[0-9¹²³])$/i;

const utf8Bytes = (text: string) => Buffer.byteLength(text, 'utf8');
const segmenter = new Intl.Segmenter(undefined, { granularity: 'grapheme' });

/** Cuts `text` to at most `maxBytes` UTF-8 bytes without splitting a character (or an emoji sequence). */
export function truncateUtf8(text: string, maxBytes: number): string {
  if (utf8Bytes(text) <= maxBytes) return text;
  let out = '';
  let used = 0;
  for (const { segment } of segmenter.segment(text)) {
    const size = utf8Bytes(segment);
    if (used + size > maxBytes) break;
    out += segment;
    used += size;
  }
  return out;
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

/**
 * `"<Title> <32-hex id><ext>"`, the way Notion's own export names files, made safe for every
 * common file system: reserved characters and control characters become spaces, no leading or
 * trailing dots or blanks, no Windows device names, "Untitled" for an empty title, and at most
 * 200 UTF-8 bytes (the title is shortened, never the id or the extension).
 */
export function safeFileName(title: string, id: string, ext = ''): string {
  const suffix = [compactId(id), ext].join('');
  const tail = suffix.startsWith('.') || suffix === '' ? suffix : ` ${suffix}`;
  // The title's budget does not depend on the extension, so a page's files and its folder of
  // children always share one stem ("Title id.md", "Title id.json", "Title id/").
  const budget = Math.max(0, MAX_NAME_BYTES - utf8Bytes(tail.slice(0, tail.length - ext.length)) - Math.max(MAX_EXT_BYTES, utf8Bytes(ext)));
  const cleaned = cleanTitle(title) || 'Untitled';
  const head = cleanTitle(truncateUtf8(cleaned, budget)) || truncateUtf8('Untitled', budget);
  const name = (head ? `${head}${tail}` : tail.trimStart()).replace(/[ .]+$/, '');
  return avoidReservedName(name);
}

/** The folder that holds a page's children: `"<Title> <32-hex id>"`. */
export function folderName(title: string, id: string): string {
  return safeFileName(title, id);
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
  return rel.split('/').map(encodeURIComponent).join('/');
}
