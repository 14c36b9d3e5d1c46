import { hkdfSync } from 'node:crypto';
import fs from 'node:fs';
import type { Config } from '@/server/config';
import { keyFilePath } from './token-cipher';

/**
 * The secret better-auth signs session cookies with, derived (HKDF-SHA256) from the project's key
 * material: NOTION_SYNC_SECRET when it is set, else the key file. It is never the token key
 * itself, and a new key (`rotate-key`) signs everyone out.
 */
export function deriveAuthSecret(config: Pick<Config, 'secret' | 'dataDir'>): string {
  const material = config.secret ? Buffer.from(config.secret, 'utf8') : readKeyFile(keyFilePath(config.dataDir));
  const key = hkdfSync('sha256', material, 'notion-sync', 'notion-sync session cookies v1', 32);
  return Buffer.from(key).toString('base64url');
}

function readKeyFile(file: string): Buffer {
  const key = Buffer.from(fs.readFileSync(file, 'utf8').trim(), 'base64');
  if (key.length !== 32) throw new Error(`${file} does not hold a key (32 bytes in base64)`);
  return key;
}
