import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { TokenCipher, tokenHash } from './token-cipher';

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

  it('creates a key file once, owner-only, and reuses it', () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'cipher-'));
    const a = TokenCipher.fromKeyFile(dir);
    const b = TokenCipher.fromKeyFile(dir);
    expect(b.decrypt(a.encrypt('x'))).toBe('x');
    if (process.platform !== 'win32') expect(fs.statSync(path.join(dir, 'secret.key')).mode & 0o777).toBe(0o600);
    fs.rmSync(dir, { recursive: true });
  });

  it('hashes tokens stably', () => {
    expect(tokenHash('t')).toBe(tokenHash('t'));
    expect(tokenHash('t')).not.toBe(tokenHash('u'));
  });
});
