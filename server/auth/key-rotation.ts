import fs from 'node:fs';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { and, eq, gte } from 'drizzle-orm';
import { type Database, openDatabase, type Tx } from '@/db/client';
import { migrateDatabase } from '@/db/migrate';
import { connections, exportJobs } from '@/db/schema';
import { ConfigError, loadConfig, secretFromEnv } from '@/server/config';
import { keyFilePath, syncFolder, TokenCipher } from './token-cipher';
import { stagedKeyFilePath } from './token-key';

/** A rotation that was refused before anything was written. */
export class KeyRotationError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'KeyRotationError';
  }
}

export interface RotationResult {
  /** Tokens re-encrypted with the new key. */
  rotated: number;
  /** Tokens the new key already opened (a rotation finished by an earlier run). */
  alreadyCurrent: number;
  /** Other secrets sealed again with the new key, by what they are (`OtherSealedSecrets`' names). */
  others: Record<string, number>;
}

/**
 * Secrets other parts keep sealed with the same key (the webhooks' verification tokens), sealed
 * again in the rotation's transaction by their own code: `reseal` returns how many it changed.
 * Passed in by the entry point, so accounts do not import the parts that keep them.
 */
export interface OtherSealedSecrets {
  name: string;
  reseal: (tx: Tx, keys: { from: TokenCipher; to: TokenCipher }) => Promise<number>;
}

/**
 * Re-encrypts every stored integration token from `from` to `to` in one write transaction. Every
 * token is decrypted first; if any cannot be (neither key opens it), nothing is written and
 * KeyRotationError names the connections. Tokens `to` already opens are left as they are, so a
 * rotation can be run again. Refused while a runner holds a live lease on an export: a runner
 * started with the old key would fail to open its token.
 */
export async function rotateKey(
  ctx: { database: Pick<Database, 'db'> },
  { from, to }: { from: TokenCipher; to: TokenCipher },
  now: () => number = Date.now,
  others: OtherSealedSecrets[] = [],
): Promise<RotationResult> {
  if (from.keyId === to.keyId) throw new KeyRotationError(`The new key is the key in use (key id ${to.keyId})`);
  return ctx.database.db.transaction(
    async (tx) => {
      const running = await tx
        .select({ exportId: exportJobs.exportId })
        .from(exportJobs)
        .where(and(eq(exportJobs.status, 'running'), gte(exportJobs.leaseExpiresAt, now())));
      if (running.length > 0) {
        throw new KeyRotationError(
          `Exports are running (${running.map((r) => r.exportId).join(', ')}): stop the dashboard and every worker before rotating the key. Nothing was changed.`,
        );
      }
      const rows = await tx.select({ id: connections.id, sealed: connections.tokenCiphertext }).from(connections);
      const plain: { id: string; token: string }[] = [];
      const unreadable: string[] = [];
      let alreadyCurrent = 0;
      for (const row of rows) {
        if (to.canDecrypt(row.sealed)) {
          alreadyCurrent += 1;
          continue;
        }
        try {
          plain.push({ id: row.id, token: from.decrypt(row.sealed) });
        } catch {
          unreadable.push(row.id);
        }
      }
      if (unreadable.length > 0) {
        throw new KeyRotationError(
          `The old key (key id ${from.keyId}) cannot decrypt the tokens of ${unreadable.length} of ${rows.length} connections ` +
            `(${unreadable.join(', ')}): is it the key they were stored with? Nothing was changed.`,
        );
      }
      for (const { id, token } of plain) {
        await tx.update(connections).set({ tokenCiphertext: to.encrypt(token) }).where(eq(connections.id, id));
      }
      const resealed: Record<string, number> = {};
      for (const other of others) resealed[other.name] = await other.reseal(tx, { from, to });
      return { rotated: plain.length, alreadyCurrent, others: resealed };
    },
    { behavior: 'immediate' },
  );
}

export const ROTATE_KEY_USAGE = `Usage: npm run notion-sync -- rotate-key

Re-encrypts every stored integration token (and webhook verification token) with a new key, in one transaction (all or nothing).
Stop the dashboard and every worker first; start them again with the new key afterwards.

  new key  NOTION_SYNC_SECRET when it is set (at least 16 characters);
           otherwise a new random key file, <data folder>/secret.key
  old key  NOTION_SYNC_OLD_SECRET when it is set;
           otherwise the current key file, <data folder>/secret.key

The data folder is the folder of the DATABASE_URL file (./data by default). A replaced key file
is kept as secret.key.old-<key id>: delete it once no backup of the database needs it.`;

export interface CommandOutput {
  out(line: string): void;
  err(line: string): void;
}

const processOutput: CommandOutput = {
  out: (line) => process.stdout.write(`${line}\n`),
  err: (line) => process.stderr.write(`${line}\n`),
};

/**
 * `npm run notion-sync -- rotate-key`: which keys to rotate from and to, from `env` (see
 * ROTATE_KEY_USAGE), then `rotateKey`, then the key files. A new key file is staged as
 * `secret.key.new` before the database changes, so a run that stops half way is finished by
 * running it again. Returns the exit code: 0 rotated, 1 refused (nothing changed) or bad usage.
 */
export async function rotateKeyCommand(
  args: string[],
  env: Record<string, string | undefined>,
  output: CommandOutput = processOutput,
  others: OtherSealedSecrets[] = [],
): Promise<number> {
  let help: boolean | undefined;
  try {
    ({ values: { help } } = parseArgs({ args, options: { help: { type: 'boolean', short: 'h' } }, strict: true }));
  } catch (error) {
    output.err(`${error instanceof Error ? error.message : String(error)}\n\n${ROTATE_KEY_USAGE}`);
    return 1;
  }
  if (help) {
    output.out(ROTATE_KEY_USAGE);
    return 0;
  }
  let database: Database | undefined;
  try {
    const config = loadConfig(env);
    const oldSecret = secretFromEnv(env, 'NOTION_SYNC_OLD_SECRET')?.trim() || undefined;
    if (oldSecret !== undefined && oldSecret.length < 16) {
      throw new KeyRotationError('NOTION_SYNC_OLD_SECRET: must be at least 16 characters');
    }
    const keyFile = keyFilePath(config.dataDir);
    const staged = stagedKeyFilePath(config.dataDir);

    const fromFile = oldSecret === undefined ? TokenCipher.readKeyFile(keyFile) : undefined;
    const from = oldSecret === undefined ? fromFile : TokenCipher.fromSecret(oldSecret);
    if (!from) {
      throw new KeyRotationError(
        `No old key: NOTION_SYNC_OLD_SECRET is not set and there is no key file ${keyFile}. Set NOTION_SYNC_OLD_SECRET to the secret the tokens were stored with.`,
      );
    }
    if (!fromFile && !config.secret && fs.existsSync(keyFile)) {
      throw new KeyRotationError(
        `${keyFile} exists but is not the key being replaced (NOTION_SYNC_OLD_SECRET is), and the new key would be written there. Move it away first. Nothing was changed.`,
      );
    }

    let to: TokenCipher;
    let stagedNow = false;
    if (config.secret) {
      to = TokenCipher.fromSecret(config.secret);
    } else {
      const resumed = TokenCipher.readKeyFile(staged);
      if (resumed) output.out(`Finishing the rotation to the key staged in ${staged}.`);
      stagedNow = !resumed;
      to = resumed ?? TokenCipher.createKeyFile(staged);
    }

    database = openDatabase(config.databaseUrl, config.databaseAuthToken);
    await migrateDatabase(database);
    let result: RotationResult;
    try {
      result = await rotateKey({ database }, { from, to }, Date.now, others);
    } catch (error) {
      if (!(error instanceof KeyRotationError)) throw error;
      // Refused before any write: the key staged by this run is not needed.
      if (stagedNow) fs.rmSync(staged, { force: true });
      const sources = `old key: ${fromFile ? keyFile : 'NOTION_SYNC_OLD_SECRET'}; new key: ${config.secret ? 'NOTION_SYNC_SECRET' : staged}`;
      throw new KeyRotationError(`${error.message} (${sources})`);
    }

    // The old key file is kept aside (a copy first when the new key replaces it, so that a stop
    // between the two steps leaves the old key where the next run finds it); the staged key then
    // takes its place in one rename.
    const retired = `${keyFile}.old-${from.keyId}`;
    if (fromFile && config.secret) fs.renameSync(keyFile, retired);
    else if (fromFile) fs.copyFileSync(keyFile, retired);
    if (!config.secret) fs.renameSync(staged, keyFile);
    syncFolder(path.dirname(keyFile));

    output.out(
      `Re-encrypted ${result.rotated} stored token${result.rotated === 1 ? '' : 's'} with key ${to.keyId}` +
        `${result.alreadyCurrent > 0 ? ` (${result.alreadyCurrent} already were)` : ''}` +
        Object.entries(result.others)
          .filter(([, n]) => n > 0)
          .map(([name, n]) => `, and ${n} ${name}`)
          .join('') +
        '.',
    );
    output.out(
      config.secret
        ? 'Start the dashboard and workers with this NOTION_SYNC_SECRET (and without NOTION_SYNC_OLD_SECRET).'
        : `The new key is ${keyFile}; start the dashboard and workers without NOTION_SYNC_SECRET.`,
    );
    if (fromFile) output.out(`The old key file is kept as ${retired}: delete it once no backup of the database needs it.`);
    return 0;
  } catch (error) {
    if (error instanceof KeyRotationError || error instanceof ConfigError) output.err(error.message);
    else output.err(`Key rotation failed: ${error instanceof Error ? error.message : String(error)}`);
    return 1;
  } finally {
    database?.close();
  }
}
