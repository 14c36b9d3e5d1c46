import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { keyFilePath, keyIdOf, TokenCipher, tokenHash } from './token-cipher';

describe('token cipher', () => {
  it('round-trips and never stores the token in clear', () => {
    const cipher = TokenCipher.fromSecret('a long enough secret');
    const sealed = cipher.encrypt('secret_abc123');
    expect(sealed).not.toContain('secret_abc123');
    expect(cipher.decrypt(sealed)).toBe('secret_abc123');
    expect(cipher.encrypt('secret_abc123')).not.toBe(sealed); // fresh IV each time
  });

  it('detects tampering and a different key', () => {
    const cipher = TokenCipher.fromSecret('a long enough secret');
    const sealed = cipher.encrypt('token');
    const parts = sealed.split(':');
    parts[4] = Buffer.from('tampered').toString('base64');
    expect(() => cipher.decrypt(parts.join(':'))).toThrow();
    expect(() => TokenCipher.fromSecret('another secret value').decrypt(sealed)).toThrow(/another key/);
    expect(() => cipher.decrypt('garbage')).toThrow(/Unreadable/);
    expect(() => new TokenCipher(Buffer.alloc(3))).toThrow(/32 bytes/);
  });

  it('creates a key file owner-only, never over an existing one, and reads it back', () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'cipher-'));
    const file = keyFilePath(dir);
    expect(TokenCipher.readKeyFile(file)).toBeUndefined();
    const a = TokenCipher.createKeyFile(file);
    const text = fs.readFileSync(file, 'utf8');
    expect(() => TokenCipher.createKeyFile(file)).toThrow(expect.objectContaining({ code: 'EEXIST' }));
    expect(fs.readFileSync(file, 'utf8')).toBe(text);
    const b = TokenCipher.readKeyFile(file);
    expect(b?.keyId).toBe(a.keyId);
    expect(b?.decrypt(a.encrypt('x'))).toBe('x');
    if (process.platform !== 'win32') expect(fs.statSync(file).mode & 0o777).toBe(0o600);
    fs.writeFileSync(file, 'not a key');
    expect(() => TokenCipher.readKeyFile(file)).toThrow(/does not hold a key/);
    fs.rmSync(dir, { recursive: true });
  });

  it('names the key in every ciphertext by a fingerprint, never the key itself', () => {
    const cipher = TokenCipher.fromSecret('a long enough secret');
    const sealed = cipher.encrypt('token');
    expect(cipher.keyId).toMatch(/^[0-9a-f]{8}$/);
    expect(keyIdOf(sealed)).toBe(cipher.keyId);
    expect(keyIdOf('x')).toBeUndefined();
    expect(keyIdOf(`${sealed}:extra`)).toBeUndefined();
    expect(TokenCipher.fromSecret('another secret value').keyId).not.toBe(cipher.keyId);
    expect(cipher.canDecrypt(sealed)).toBe(true);
    expect(TokenCipher.fromSecret('another secret value').canDecrypt(sealed)).toBe(false);
  });

  it('hashes tokens stably', () => {
    expect(tokenHash('t')).toBe(tokenHash('t'));
    expect(tokenHash('t')).not.toBe(tokenHash('u'));
  });
});
