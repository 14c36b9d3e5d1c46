/**
 * Notion-hosted ("file" type) attachments: signed, expiring URLs served by the twin itself under
 * `/files/…`, imitating S3 pre-signed URLs (`X-Amz-Date` + `X-Amz-Expires` + `X-Amz-Signature`).
 */
import { hashString } from './ids';

/** 1×1 transparent PNG. */
const PNG = Buffer.from('iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAQAAAC1HAwCAAAAC0lEQVR42mNkYAAAAAYAAjCB0C8AAAAASUVORK5CYII=', 'base64');

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

/** A signed URL for the attachment `name` of the block or page `ownerId`, valid `ttlMs` from `nowMs`. */
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
  const name = decodeURIComponent(encodedName);
  const date = params.get('X-Amz-Date') ?? '';
  const expires = params.get('X-Amz-Expires') ?? '';
  if (params.get('X-Amz-Signature') !== signature(owner, name, date, expires)) {
    return { ok: false, status: 403, body: s3Error('SignatureDoesNotMatch', 'The request signature we calculated does not match the signature you provided.') };
  }
  if (nowMs > parseAmzDate(date) + Number(expires) * 1000) {
    return { ok: false, status: 403, body: s3Error('AccessDenied', 'Request has expired') };
  }
  return { ok: true, ...fileContent(owner, name) };
}

/** Deterministic content of a hosted file. */
export function fileContent(ownerId: string, name: string): { body: Buffer; contentType: string } {
  const owner = ownerId.replaceAll('-', '');
  if (name.endsWith('.png')) return { body: PNG, contentType: 'image/png' };
  const line = `Notion twin file ${owner} ${name}\n`;
  const repeat = 1 + (hashString(owner + name) % 200);
  const contentType = name.endsWith('.pdf') ? 'application/pdf' : name.endsWith('.csv') ? 'text/csv' : 'text/plain';
  return { body: Buffer.from(line.repeat(repeat)), contentType };
}

function s3Error(code: string, message: string): string {
  return `<?xml version="1.0" encoding="UTF-8"?>\n<Error><Code>${code}</Code><Message>${message}</Message></Error>`;
}
