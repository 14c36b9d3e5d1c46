import { createCipheriv, createDecipheriv, createHash, randomBytes } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';

const VERSION = 'v1';

/** The key file's name in the data folder (used when NOTION_SYNC_SECRET is not set). */
export const KEY_FILE = 'secret.key';

/** `<dataDir>/secret.key`. */
export const keyFilePath = (dataDir: string): string => path.join(dataDir, KEY_FILE);

/**
 * Encrypts secrets at rest with AES-256-GCM. Every ciphertext is the envelope
 * `v1:<key id>:<iv>:<tag>:<body>`; the key id is the first 8 hex digits of the key's SHA-256, a
 * fingerprint that tells which key sealed a token without revealing the key.
 */
export class TokenCipher {
  readonly #key: Buffer;
  readonly keyId: string;

  constructor(key: Buffer) {
    if (key.length !== 32) throw new Error('The token encryption key must be 32 bytes');
    this.#key = key;
    this.keyId = createHash('sha256').update(key).digest('hex').slice(0, 8);
  }

  /** A key derived from a passphrase (NOTION_SYNC_SECRET). */
  static fromSecret(secret: string): TokenCipher {
    return new TokenCipher(createHash('sha256').update(`notion-sync:${secret}`).digest());
  }

  /** The key in `file`, or undefined when there is no such file. Throws if the file holds no key. */
  static readKeyFile(file: string): TokenCipher | undefined {
    let text: string;
    try {
      text = fs.readFileSync(file, 'utf8');
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
      throw error;
    }
    const key = Buffer.from(text.trim(), 'base64');
    if (key.length !== 32) throw new Error(`${file} does not hold a key (32 bytes in base64)`);
    return new TokenCipher(key);
  }

  /**
   * A new random key written to `file` (owner-only, flushed to disk before it is used). Never
   * replaces a file: throws EEXIST if `file` exists.
   */
  static createKeyFile(file: string): TokenCipher {
    fs.mkdirSync(path.dirname(file), { recursive: true });
    const key = randomBytes(32);
    const fd = fs.openSync(file, 'wx', 0o600);
    try {
      fs.writeSync(fd, key.toString('base64'));
      fs.fsyncSync(fd);
    } finally {
      fs.closeSync(fd);
    }
    syncFolder(path.dirname(file));
    return new TokenCipher(key);
  }

  encrypt(plain: string): string {
    const iv = randomBytes(12);
    const cipher = createCipheriv('aes-256-gcm', this.#key, iv);
    const body = Buffer.concat([cipher.update(plain, 'utf8'), cipher.final()]);
    const tag = cipher.getAuthTag();
    return [VERSION, this.keyId, iv.toString('base64'), tag.toString('base64'), body.toString('base64')].join(':');
  }

  decrypt(sealed: string): string {
    const envelope = parseEnvelope(sealed);
    if (!envelope) throw new Error('Unreadable encrypted token');
    if (envelope.keyId !== this.keyId) {
      throw new Error(
        `This token was encrypted with another key (key id ${envelope.keyId}, the key in use is ${this.keyId}); ` +
          'set NOTION_SYNC_SECRET (or restore the key file) it was stored with',
      );
    }
    const decipher = createDecipheriv('aes-256-gcm', this.#key, Buffer.from(envelope.iv, 'base64'));
    decipher.setAuthTag(Buffer.from(envelope.tag, 'base64'));
    return Buffer.concat([decipher.update(Buffer.from(envelope.body, 'base64')), decipher.final()]).toString('utf8');
  }

  /** Whether this key opens `sealed` (its key id matches and the authentication tag checks out). */
  canDecrypt(sealed: string): boolean {
    try {
      this.decrypt(sealed);
      return true;
    } catch {
      return false;
    }
  }
}

function parseEnvelope(sealed: string): { keyId: string; iv: string; tag: string; body: string } | undefined {
  const [version, keyId, iv, tag, body, ...rest] = sealed.split(':');
  if (version !== VERSION || !keyId || !iv || !tag || body === undefined || rest.length > 0) return undefined;
  return { keyId, iv, tag, body };
}

/** The id of the key that sealed `sealed`, or undefined when it is not a ciphertext of this module. */
export function keyIdOf(sealed: string): string | undefined {
  return parseEnvelope(sealed)?.keyId;
}

/** Makes a new or renamed entry of `dir` durable (best effort: some systems cannot open a folder). */
export function syncFolder(dir: string): void {
  let fd: number | undefined;
  try {
    fd = fs.openSync(dir, 'r');
    fs.fsyncSync(fd);
  } catch {
    // Windows cannot fsync a folder; the entry is then as durable as the system makes it.
  } finally {
    if (fd !== undefined) fs.closeSync(fd);
  }
}

/** A stable, non-reversible fingerprint of a token, to find a connection without decrypting. */
export function tokenHash(token: string): string {
  return createHash('sha256').update(token).digest('hex');
}
