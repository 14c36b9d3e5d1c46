/**
 * What must never reach a log line or a span: integration tokens, session cookies, authorization
 * headers, passwords and link tokens. Two nets, because either alone can miss: values under a
 * sensitive name are replaced whatever they look like, and token-shaped text is replaced wherever
 * it appears (an error message quoting a header, a URL with `?token=`).
 */

/** Replaces a value that must not be written. */
export const REDACTED = '[redacted]';

/**
 * Notion integration tokens (`secret_…`, `ntn_…`), bearer credentials, and the values of
 * `token=` / `session_token=` pairs (setup and invite links, cookie strings). A value ends at a
 * backslash too, so a JSON escape after it (`\n`) survives the scrub of a finished line.
 */
const SECRET_TEXT = /(?:secret|ntn)_[A-Za-z0-9_-]+|(?<=\bBearer\s+)[^\s"',;\\]+|(?<=token=)[^&;\s"',\\]+/g;

/** Parts of a field name that mark its value as a credential (compared in lower case). */
const SENSITIVE_NAME_PARTS = ['token', 'authorization', 'cookie', 'password', 'secret', 'apikey', 'api-key', 'api_key'];

/** Field names pino's `redact` censors by path (exact names; `censor` below matches by part, at any depth). */
const SENSITIVE_FIELDS = ['token', 'authorization', 'Authorization', 'cookie', 'Cookie', 'password', 'secret'];

/**
 * Paths for pino's `redact`: each sensitive name at the top, one and two levels down
 * (`headers.authorization`, `req.headers.cookie`), and `set-cookie` headers.
 */
export const REDACT_PATHS = [
  ...SENSITIVE_FIELDS.flatMap((name) => [name, `*.${name}`, `*.*.${name}`]),
  '["set-cookie"]',
  '*["set-cookie"]',
  '*.*["set-cookie"]',
];

/** `text` with every token-shaped part replaced. */
export function scrubSecrets(text: string): string {
  return text.replace(SECRET_TEXT, REDACTED);
}

/** Whether a field of this name holds a credential. */
export function isSensitiveName(name: string): boolean {
  const lower = name.toLowerCase();
  return SENSITIVE_NAME_PARTS.some((part) => lower.includes(part));
}

export interface SerializedError {
  type: string;
  message: string;
  stack?: string;
  code?: string | number;
  cause?: SerializedError | string;
}

const MAX_CAUSES = 3;

/** An error as a log line shows it: type, message, stack and code, with secrets scrubbed, and its causes. */
export function serializeError(error: unknown, depth = 0): SerializedError | string {
  if (!(error instanceof Error)) return scrubSecrets(String(error));
  const code = (error as { code?: unknown }).code;
  const serialized: SerializedError = {
    type: error.name,
    message: scrubSecrets(error.message),
    ...(error.stack ? { stack: scrubSecrets(error.stack) } : {}),
    ...(typeof code === 'string' || typeof code === 'number' ? { code } : {}),
  };
  if (error.cause !== undefined && depth < MAX_CAUSES) serialized.cause = serializeError(error.cause, depth + 1);
  return serialized;
}

const MAX_DEPTH = 6;

function isPlainObject(value: object): value is Record<string, unknown> {
  const proto = Object.getPrototypeOf(value);
  return proto === Object.prototype || proto === null;
}

/**
 * A copy of `value` fit for a log line: fields with a sensitive name are replaced, strings are
 * scrubbed, errors serialized; class instances other than errors are kept as they are (their JSON
 * is scrubbed with the whole line). The caller's object is not changed.
 */
export function censor(value: unknown, depth = 0): unknown {
  if (typeof value === 'string') return scrubSecrets(value);
  if (value === null || typeof value !== 'object') return value;
  if (value instanceof Error) return serializeError(value);
  if (depth >= MAX_DEPTH) return '[too deep]';
  if (Array.isArray(value)) return value.map((item) => censor(item, depth + 1));
  if (!isPlainObject(value)) return value;
  const copy: Record<string, unknown> = {};
  for (const [key, field] of Object.entries(value)) copy[key] = isSensitiveName(key) ? REDACTED : censor(field, depth + 1);
  return copy;
}
