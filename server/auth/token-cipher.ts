import { createCipheriv, createDecipheriv, createHash, randomBytes } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';

const VERSION = 'v1';

/** Encrypts secrets at rest with AES-256-GCM; the key id travels with each ciphertext. */
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

  /** The key stored in `<dataDir>/secret.key`, created with owner-only permissions on first use. */
  static fromKeyFile(dataDir: string): TokenCipher {
    const file = path.join(dataDir, 'secret.key');
    fs.mkdirSync(dataDir, { recursive: true });
    try {
      fs.writeFileSync(file, randomBytes(32).toString('base64'), { flag: 'wx', mode: 0o600 });
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
    }
    const key = Buffer.from(fs.readFileSync(file, 'utf8').trim(), 'base64');
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
    const [version, keyId, iv, tag, body] = sealed.split(':');
    if (version !== VERSION || !iv || !tag || body === undefined) throw new Error('Unreadable encrypted token');
    if (keyId !== this.keyId) {
      throw new Error(`This token was encrypted with another key (${keyId}); set the NOTION_SYNC_SECRET it was stored with`);
    }
    const decipher = createDecipheriv('aes-256-gcm', this.#key, Buffer.from(iv, 'base64'));
    decipher.setAuthTag(Buffer.from(tag, 'base64'));
    return Buffer.concat([decipher.update(Buffer.from(body, 'base64')), decipher.final()]).toString('utf8');
  }
}

/** A stable, non-reversible fingerprint of a token, to find a connection without decrypting. */
export function tokenHash(token: string): string {
  return createHash('sha256').update(token).digest('hex');
}
