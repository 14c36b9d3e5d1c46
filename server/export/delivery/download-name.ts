import { safeAttachmentName, truncateUtf8 } from '@/server/export/files/layout';

/** Most UTF-8 bytes of a workspace name in a zip's name: the name stays well under every file system's 255. */
export const MAX_WORKSPACE_NAME_BYTES = 100;

/** `YYYY-MM-DD` of `at`, in UTC (the day the server recorded, whoever downloads it). */
export function isoDate(at: Date): string {
  return at.toISOString().slice(0, 10);
}

/**
 * `<workspace-name>-<YYYY-MM-DD>.zip`, safe on every common file system: no `/\:*?"<>|` nor
 * control characters, no leading or trailing dots or blanks, no Windows device name (`CON`,
 * `NUL.x`…), the name cut at `MAX_WORKSPACE_NAME_BYTES` without splitting a character;
 * `notion-export-<date>.zip` when nothing of the name is left.
 */
export function zipFileName(workspaceName: string | null | undefined, finishedAt: Date): string {
  const date = isoDate(finishedAt);
  const cleaned = safeAttachmentName(workspaceName ?? '', '');
  // Cutting may leave a blank or a dot at the end: cleaned again.
  const base = safeAttachmentName(truncateUtf8(cleaned, MAX_WORKSPACE_NAME_BYTES), '');
  return base ? safeAttachmentName(`${base}-${date}.zip`) : `notion-export-${date}.zip`;
}

/** Characters RFC 8187 lets through unencoded in `filename*` (attr-char); everything else is %-encoded. */
const ATTR_CHAR = /^[A-Za-z0-9!#$&+\-.^_`|~]$/;

function encodeRfc8187(value: string): string {
  let out = '';
  for (const byte of Buffer.from(value, 'utf8')) {
    const char = String.fromCharCode(byte);
    out += byte < 0x80 && ATTR_CHAR.test(char) ? char : `%${byte.toString(16).toUpperCase().padStart(2, '0')}`;
  }
  return out;
}

/**
 * `fileName` in plain ASCII for `filename=`: accents dropped (é → e), anything else outside
 * printable ASCII, quotes, backslashes and `%` (which some browsers decode) become `_`.
 */
export function asciiFileName(fileName: string, fallback: string): string {
  const ascii = fileName
    .normalize('NFKD')
    .replace(/\p{M}/gu, '')
    .replace(/[^\x20-\x7e]|["\\%]/g, '_')
    .replace(/_{2,}/g, '_');
  const stem = ascii.replace(/\.[^.]*$/, '');
  return /[A-Za-z0-9]/.test(stem) ? ascii : fallback;
}

/**
 * A `Content-Disposition` value as RFC 6266 describes it: `filename=` in ASCII for every client,
 * and `filename*=UTF-8''…` with the real name for those that read it (every current browser).
 * `fallback` is the ASCII name to use when little of the name is ASCII.
 */
export function contentDisposition(type: 'attachment' | 'inline', fileName: string, fallback = 'download'): string {
  return `${type}; filename="${asciiFileName(fileName, fallback)}"; filename*=UTF-8''${encodeRfc8187(fileName)}`;
}
