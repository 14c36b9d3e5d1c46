/**
 * Notion-hosted ("file" type) attachments: signed, expiring URLs served by the twin itself under
 * `/files/…`, imitating S3 pre-signed URLs (`X-Amz-Date` + `X-Amz-Expires` + `X-Amz-Signature`).
 *
 * File bodies are deterministic per (owner, name): small (a few hundred bytes to a few KB) and
 * distinct per attachment, except `LARGE_FILE_NAME`, which is 1 MiB.
 */
import { createHash } from 'node:crypto';
import { hashString, mulberry32 } from './ids';

/** The one large hosted file of a workspace (a video in the "Block gallery"). */
export const LARGE_FILE_NAME = 'field-recording.mp4';
export const LARGE_FILE_BYTES = 1_048_576;

/** 1×1 transparent PNG (signature, IHDR, IDAT, IEND). */
const PNG = Buffer.from('iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAQAAAC1HAwCAAAAC0lEQVR42mNkYAAAAAYAAjCB0C8AAAAASUVORK5CYII=', 'base64');

const CRC_TABLE = (() => {
  const table = new Int32Array(256);
  for (let n = 0; n < 256; n++) {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
    table[n] = c;
  }
  return table;
})();

function crc32(buf: Buffer): number {
  let c = -1;
  for (const byte of buf) c = CRC_TABLE[(c ^ byte) & 0xff] ^ (c >>> 8);
  return (c ^ -1) >>> 0;
}

/** The 1×1 PNG with a `tEXt` chunk naming the attachment, so every image has its own bytes. */
function pngFor(label: string): Buffer {
  const data = Buffer.from(`Comment\0${label}`, 'latin1');
  const type = Buffer.from('tEXt', 'latin1');
  const length = Buffer.alloc(4);
  length.writeUInt32BE(data.length);
  const crc = Buffer.alloc(4);
  crc.writeUInt32BE(crc32(Buffer.concat([type, data])));
  const iendAt = PNG.length - 12;
  return Buffer.concat([PNG.subarray(0, iendAt), length, type, data, crc, PNG.subarray(iendAt)]);
}

function pseudoRandomBytes(seed: number, size: number): Buffer {
  const next = mulberry32(seed);
  const buf = Buffer.alloc(size);
  for (let i = 0; i + 4 <= size; i += 4) buf.writeUInt32LE(Math.floor(next() * 0x100000000), i);
  for (let i = size - (size % 4); i < size; i++) buf[i] = Math.floor(next() * 256);
  return buf;
}

function pdfFor(label: string, lines: number): Buffer {
  const body = Array.from({ length: lines }, (_, i) => `(${label} line ${i + 1}) Tj T*`).join('\n');
  return Buffer.from(`%PDF-1.4\n% Notion twin\n1 0 obj << /Type /Catalog >> endobj\nstream\n${body}\nendstream\n%%EOF\n`);
}

const CONTENT_TYPES: Record<string, string> = {
  png: 'image/png',
  pdf: 'application/pdf',
  csv: 'text/csv',
  txt: 'text/plain',
  md: 'text/markdown',
  mp4: 'video/mp4',
  mov: 'video/quicktime',
  mp3: 'audio/mpeg',
  m4a: 'audio/mp4',
  zip: 'application/zip',
};

let largeCache: { key: string; body: Buffer } | null = null;

/** Deterministic content of a hosted file. */
export function fileContent(ownerId: string, name: string): { body: Buffer; contentType: string } {
  const owner = ownerId.replaceAll('-', '');
  const ext = /\.([a-z0-9]+)$/i.exec(name)?.[1]?.toLowerCase() ?? '';
  const contentType = CONTENT_TYPES[ext] ?? 'application/octet-stream';
  const h = hashString(`${owner}/${name}`);
  const label = `${owner}/${encodeURIComponent(name)}`;
  if (name === LARGE_FILE_NAME) {
    const key = label;
    if (largeCache?.key !== key) largeCache = { key, body: pseudoRandomBytes(h, LARGE_FILE_BYTES) };
    return { body: largeCache.body, contentType };
  }
  switch (ext) {
    case 'png':
      return { body: pngFor(label), contentType };
    case 'pdf':
      return { body: pdfFor(label, 8 + (h % 60)), contentType };
    case 'mp4':
    case 'mov':
    case 'mp3':
    case 'm4a':
    case 'zip':
      return { body: pseudoRandomBytes(h, 1024 + (h % 4096)), contentType };
    default: {
      const line = `Notion twin file ${owner} ${name}\n`;
      return { body: Buffer.from(line.repeat(1 + (h % 60))), contentType: ext === '' ? 'text/plain' : contentType };
    }
  }
}

/** sha256 (hex) and size of the bytes the twin serves for a hosted file. */
export function fileDigest(ownerId: string, name: string): { sha256: string; bytes: number } {
  const { body } = fileContent(ownerId, name);
  return { sha256: createHash('sha256').update(body).digest('hex'), bytes: body.length };
}

function amzDate(ms: number): string {
  return new Date(Math.floor(ms / 1000) * 1000).toISOString().replace(/[-:]/g, '').replace('.000', '');
}

function parseAmzDate(s: string): number {
  const m = /^(\d{4})(\d{2})(\d{2})T(\d{2})(\d{2})(\d{2})Z$/.exec(s);
  if (!m) return Number.NaN;
  return Date.UTC(+m[1], +m[2] - 1, +m[3], +m[4], +m[5], +m[6]);
}

function signature(ownerId: string, name: string, date: string, expires: string): string {
  const a = hashString(`${ownerId}/${name}/${date}/${expires}`);
  const b = hashString(`${expires}/${date}/${name}/${ownerId}`);
  return a.toString(16).padStart(8, '0') + b.toString(16).padStart(8, '0');
}

/**
 * A signed URL for the attachment `name` of the block, page or database `ownerId`, valid `ttlMs`
 * from `nowMs` (whole seconds, at least 1, like `X-Amz-Expires`).
 */
export function signedFileUrl(baseUrl: string, ownerId: string, name: string, nowMs: number, ttlMs: number): { url: string; expiry_time: string } {
  const date = amzDate(nowMs);
  const expires = String(Math.max(1, Math.round(ttlMs / 1000)));
  const owner = ownerId.replaceAll('-', '');
  const sig = signature(owner, name, date, expires);
  const url = `${baseUrl}/files/${owner}/${encodeURIComponent(name)}?X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Date=${date}&X-Amz-Expires=${expires}&X-Amz-Signature=${sig}`;
  return { url, expiry_time: new Date(parseAmzDate(date) + Number(expires) * 1000).toISOString() };
}

export type FileLookup =
  | { ok: true; body: Buffer; contentType: string }
  | { ok: false; status: 403 | 404; body: string };

/** Checks a `/files/<owner>/<name>?…` request and produces the file or an S3-style XML error. */
export function serveFile(pathname: string, params: URLSearchParams, nowMs: number): FileLookup {
  const m = /^\/files\/([0-9a-f]{32})\/([^/]+)$/.exec(pathname);
  if (!m) return { ok: false, status: 404, body: s3Error('NoSuchKey', 'The specified key does not exist.') };
  const [, owner, encodedName] = m;
  let name: string;
  try {
    name = decodeURIComponent(encodedName);
  } catch {
    return { ok: false, status: 404, body: s3Error('NoSuchKey', 'The specified key does not exist.') };
  }
  const date = params.get('X-Amz-Date') ?? '';
  const expires = params.get('X-Amz-Expires') ?? '';
  if (params.get('X-Amz-Signature') !== signature(owner, name, date, expires)) {
    return { ok: false, status: 403, body: s3Error('SignatureDoesNotMatch', 'The request signature we calculated does not match the signature you provided. Check your key and signing method.') };
  }
  const expiresAt = parseAmzDate(date) + Number(expires) * 1000;
  if (nowMs > expiresAt) {
    return {
      ok: false,
      status: 403,
      body: s3Error('AccessDenied', 'Request has expired', {
        'X-Amz-Expires': expires,
        Expires: new Date(expiresAt).toISOString().replace('.000', ''),
        ServerTime: new Date(Math.floor(nowMs / 1000) * 1000).toISOString().replace('.000', ''),
      }),
    };
  }
  return { ok: true, ...fileContent(owner, name) };
}

/** An S3 error document (`<Error><Code>…</Code><Message>…</Message>…<RequestId/><HostId/></Error>`). */
export function s3Error(code: string, message: string, extra: Record<string, string> = {}): string {
  const fields = Object.entries(extra)
    .map(([k, v]) => `<${k}>${v}</${k}>`)
    .join('');
  const requestId = hashString(`${code}${message}${Date.now()}`).toString(16).toUpperCase().padStart(16, '0');
  return `<?xml version="1.0" encoding="UTF-8"?>\n<Error><Code>${code}</Code><Message>${message}</Message>${fields}<RequestId>${requestId}</RequestId><HostId>twin/${requestId}</HostId></Error>`;
}

/** The image of a custom emoji, served unsigned under `/static/custom-emoji/<name>.png`. */
export function customEmojiImage(name: string): Buffer {
  return pngFor(`custom-emoji/${name}`);
}
