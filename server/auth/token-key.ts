import fs from 'node:fs';
import type { DB } from '@/db/client';
import { connections } from '@/db/schema';
import type { Config } from '@/server/config';
import { keyFilePath, keyIdOf, TokenCipher } from './token-cipher';

/** The key that encrypts stored tokens cannot be used: the process must not start. */
export class TokenKeyError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'TokenKeyError';
  }
}

/** Where a key that is staged by an unfinished `rotate-key` waits (see key-rotation.ts). */
export const stagedKeyFilePath = (dataDir: string): string => `${keyFilePath(dataDir)}.new`;

/** Every stored token ciphertext (one per connection). */
export async function storedTokens(db: DB): Promise<{ id: string; sealed: string }[]> {
  return db.select({ id: connections.id, sealed: connections.tokenCiphertext }).from(connections);
}

/**
 * The cipher of the stored integration tokens, checked before anything uses it: the key comes
 * from NOTION_SYNC_SECRET, else from `<dataDir>/secret.key`. A new key file is made only while no
 * encrypted token is stored. Throws TokenKeyError, changing nothing (no key file is written, no
 * row touched), when tokens are stored and the key is missing or does not open every one of them.
 * Rows that hold no ciphertext of ours are left to fail where they are used.
 */
export async function openTokenCipher(config: Pick<Config, 'secret' | 'dataDir'>, db: DB): Promise<TokenCipher> {
  const sealed = (await storedTokens(db)).filter((row) => keyIdOf(row.sealed) !== undefined);
  const file = keyFilePath(config.dataDir);
  const unfinished = fs.existsSync(stagedKeyFilePath(config.dataDir))
    ? ` A key staged by an unfinished \`rotate-key\` is in ${stagedKeyFilePath(config.dataDir)}: run \`npm run notion-sync -- rotate-key\` again to finish it.`
    : '';
  let cipher: TokenCipher;
  let source: string;
  if (config.secret) {
    cipher = TokenCipher.fromSecret(config.secret);
    source = 'NOTION_SYNC_SECRET';
  } else {
    source = `the key file ${file}`;
    const existing = readKeyFile(file);
    if (existing) {
      cipher = existing;
    } else if (sealed.length > 0) {
      throw new TokenKeyError(
        `${tokensCount(sealed.length)} ${sealed.length === 1 ? 'is' : 'are'} encrypted, but there is no key to open them: NOTION_SYNC_SECRET is not set and ${file} does not exist. ` +
          `Set NOTION_SYNC_SECRET to the secret they were stored with, or put the key file back. Nothing was changed (no new key file was made).${unfinished}`,
      );
    } else {
      cipher = createKeyFileOnce(file);
    }
  }
  const refused = sealed.filter((row) => !cipher.canDecrypt(row.sealed));
  if (refused.length > 0) {
    const ids = [...new Set(refused.map((row) => keyIdOf(row.sealed)))].join(', ');
    throw new TokenKeyError(
      `The key from ${source} (key id ${cipher.keyId}) cannot decrypt ${refused.length} of the ${tokensCount(sealed.length)} (encrypted with key id ${ids}). ` +
        `Set NOTION_SYNC_SECRET to the secret they were stored with, or restore the key file ${file}; to change keys, use \`npm run notion-sync -- rotate-key\`. ` +
        `Nothing was changed.${unfinished}`,
    );
  }
  return cipher;
}

const tokensCount = (n: number) => (n === 1 ? '1 stored integration token' : `${n} stored integration tokens`);

function readKeyFile(file: string): TokenCipher | undefined {
  try {
    return TokenCipher.readKeyFile(file);
  } catch (error) {
    throw new TokenKeyError(`Cannot read the token encryption key: ${error instanceof Error ? error.message : String(error)}`);
  }
}

/** Creates the key file; when another process made it first, uses theirs. */
function createKeyFileOnce(file: string): TokenCipher {
  try {
    return TokenCipher.createKeyFile(file);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
    const theirs = readKeyFile(file);
    if (!theirs) throw error;
    return theirs;
  }
}
