import fs from 'node:fs';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { Config } from '@/server/config';
import { createAppContext } from '@/server/context';
import { LiveFeed } from '@/server/events/live-feed';
import { createTestContext, type TestContext } from '@/server/testing/test-context';
import { type CommandOutput, KeyRotationError, rotateKey, rotateKeyCommand } from './key-rotation';
import { keyFilePath, keyIdOf, TokenCipher, tokenHash } from './token-cipher';
import { stagedKeyFilePath, TokenKeyError } from './token-key';

const TOKENS = ['secret_alpha_1111', 'secret_beta_2222', 'secret_gamma_3333'];
const OLD_SECRET = 'the-old-secret-the-old-secret';
const NEW_SECRET = 'the-new-secret-the-new-secret';

let ctx: TestContext;
beforeEach(async () => {
  ctx = await createTestContext({ secret: OLD_SECRET });
});
afterEach(async () => {
  await ctx.cleanup();
});

async function storeTokens(cipher: TokenCipher, tokens: readonly string[] = TOKENS): Promise<void> {
  for (const [i, token] of tokens.entries()) {
    await ctx.database.client.execute({
      sql: "insert into connections (id, name, token_ciphertext, token_hash, token_hint, created_at) values (?, 'n', ?, ?, '…', 0)",
      args: [`c${i}`, cipher.encrypt(token), tokenHash(token)],
    });
  }
}

async function storedRows(): Promise<{ id: string; sealed: string; hash: string }[]> {
  const { rows } = await ctx.database.client.execute('select id, token_ciphertext, token_hash from connections order by id');
  return rows.map((r) => ({ id: String(r.id), sealed: String(r.token_ciphertext), hash: String(r.token_hash) }));
}

describe('rotateKey', () => {
  it('re-encrypts every token with the new key; the old key opens none of them any more', async () => {
    const from = TokenCipher.fromSecret(OLD_SECRET);
    const to = TokenCipher.fromSecret(NEW_SECRET);
    await storeTokens(from);
    const before = await storedRows();

    expect(await rotateKey(ctx, { from, to })).toEqual({ rotated: 3, alreadyCurrent: 0, others: {} });

    const after = await storedRows();
    expect(after.map((r) => to.decrypt(r.sealed))).toEqual(TOKENS);
    expect(after.map((r) => keyIdOf(r.sealed))).toEqual([to.keyId, to.keyId, to.keyId]);
    for (const row of after) expect(() => from.decrypt(row.sealed)).toThrow(/another key/);
    expect(after.map((r) => r.hash)).toEqual(before.map((r) => r.hash));
    // Run again: every token is already under the new key.
    expect(await rotateKey(ctx, { from, to })).toEqual({ rotated: 0, alreadyCurrent: 3, others: {} });
    expect(await storedRows()).toEqual(after);
  });

  it('changes nothing when the old key is wrong, or when one token cannot be opened', async () => {
    const from = TokenCipher.fromSecret(OLD_SECRET);
    const to = TokenCipher.fromSecret(NEW_SECRET);
    await storeTokens(from);
    const before = await storedRows();
    const wrong = TokenCipher.fromSecret('not-the-old-secret-at-all');
    await expect(rotateKey(ctx, { from: wrong, to })).rejects.toThrow(/cannot decrypt the tokens of 3 of 3 connections \(c0, c1, c2\).*Nothing was changed/);
    expect(await storedRows()).toEqual(before);

    // Two tokens the old key opens, one sealed by a third key: all or nothing.
    await ctx.database.client.execute({ sql: 'update connections set token_ciphertext = ? where id = ?', args: [wrong.encrypt('x'), 'c1'] });
    const mixed = await storedRows();
    await expect(rotateKey(ctx, { from, to })).rejects.toThrow(/1 of 3 connections \(c1\)/);
    expect(await storedRows()).toEqual(mixed);
  });

  it('refuses the same key, and while a runner holds a live lease', async () => {
    const from = TokenCipher.fromSecret(OLD_SECRET);
    await storeTokens(from);
    const before = await storedRows();
    await expect(rotateKey(ctx, { from, to: TokenCipher.fromSecret(OLD_SECRET) })).rejects.toThrow(KeyRotationError);
    await ctx.database.client.execute({
      sql: "insert into export_jobs (export_id, connection_id, status, lease_owner, lease_expires_at, attempt, run_at) values ('e1', 'c0', 'running', 'r', ?, 1, 0)",
      args: [Date.now() + 60_000],
    });
    await expect(rotateKey(ctx, { from, to: TokenCipher.fromSecret(NEW_SECRET) })).rejects.toThrow(/Exports are running \(e1\)/);
    expect(await storedRows()).toEqual(before);
    // An expired lease is a crashed runner: it holds nothing.
    await expect(rotateKey(ctx, { from, to: TokenCipher.fromSecret(NEW_SECRET) }, () => Date.now() + 120_000)).resolves.toEqual({
      rotated: 3,
      alreadyCurrent: 0,
      others: {},
    });
  });
});

describe('the key check at start-up', () => {
  const configOf = (overrides: Partial<Config>): Config => ({ ...ctx.config, ...overrides });
  const open = (overrides: Partial<Config>) => createAppContext(configOf(overrides), new LiveFeed());

  it('refuses a wrong NOTION_SYNC_SECRET, naming it, and changes nothing', async () => {
    await storeTokens(ctx.cipher);
    const before = await storedRows();
    const error = await open({ secret: NEW_SECRET }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(TokenKeyError);
    expect((error as Error).message).toMatch(/key from NOTION_SYNC_SECRET .* cannot decrypt 3 of the 3 stored integration tokens/);
    expect((error as Error).message).toContain(`encrypted with key id ${ctx.cipher.keyId}`);
    expect(fs.existsSync(keyFilePath(ctx.dir))).toBe(false);
    expect(await storedRows()).toEqual(before);
    const right = await open({ secret: OLD_SECRET });
    right.database.close();
  });

  it('refuses a key file that is not the key of the stored tokens, leaving the file and the rows as they are', async () => {
    const file = keyFilePath(ctx.dir);
    const first = await open({ secret: undefined }); // no token yet: the key file is made
    first.database.close();
    const keyText = fs.readFileSync(file, 'utf8');
    await storeTokens(TokenCipher.readKeyFile(file) ?? TokenCipher.fromSecret('unreachable-unreachable'));
    const before = await storedRows();

    fs.writeFileSync(file, Buffer.alloc(32, 7).toString('base64'));
    const otherKeyText = fs.readFileSync(file, 'utf8');
    await expect(open({ secret: undefined })).rejects.toThrow(new RegExp(`key from the key file ${escapeRegExp(file)} .* Set NOTION_SYNC_SECRET`));
    expect(fs.readFileSync(file, 'utf8')).toBe(otherKeyText);
    expect(await storedRows()).toEqual(before);

    fs.writeFileSync(file, keyText);
    const again = await open({ secret: undefined });
    expect(again.cipher.decrypt(before[0]?.sealed ?? '')).toBe(TOKENS[0]);
    again.database.close();
  });

  it('does not make a new key file while encrypted tokens are stored', async () => {
    const file = keyFilePath(ctx.dir);
    const first = await open({ secret: undefined });
    await storeTokens(first.cipher);
    first.database.close();
    const before = await storedRows();
    fs.rmSync(file);
    const error = await open({ secret: undefined }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(TokenKeyError);
    expect((error as Error).message).toMatch(/3 stored integration tokens are encrypted, but there is no key.*NOTION_SYNC_SECRET is not set/);
    expect((error as Error).message).toContain(file);
    expect(fs.existsSync(file)).toBe(false);
    expect(await storedRows()).toEqual(before);

    // A key staged by an unfinished rotation is pointed out.
    TokenCipher.createKeyFile(stagedKeyFilePath(ctx.dir));
    await expect(open({ secret: undefined })).rejects.toThrow(/unfinished `rotate-key`/);
  });

  it('makes the key file when no token is stored (rows that hold no ciphertext do not count)', async () => {
    await ctx.database.client.execute(
      "insert into connections (id, name, token_ciphertext, token_hash, token_hint, created_at) values ('seeded', 'n', 'x', 'h', '…', 0)",
    );
    const fresh = await open({ secret: undefined });
    fresh.database.close();
    expect(TokenCipher.readKeyFile(keyFilePath(ctx.dir))?.keyId).toBe(fresh.cipher.keyId);
  });
});

describe('rotateKeyCommand (npm run notion-sync -- rotate-key)', () => {
  const lines = { out: [] as string[], err: [] as string[] };
  const output: CommandOutput = { out: (l) => lines.out.push(l), err: (l) => lines.err.push(l) };
  beforeEach(() => {
    lines.out = [];
    lines.err = [];
  });
  const env = (vars: Record<string, string> = {}) => ({ DATABASE_URL: ctx.config.databaseUrl, ...vars });
  const keyFile = () => keyFilePath(ctx.dir);
  const staged = () => stagedKeyFilePath(ctx.dir);

  /** Tokens stored under the key file, as a dashboard without NOTION_SYNC_SECRET stores them. */
  async function tokensUnderKeyFile(): Promise<TokenCipher> {
    const cipher = TokenCipher.createKeyFile(keyFile());
    await storeTokens(cipher);
    return cipher;
  }

  it('key file to a new key file: the old one is kept aside, the new one opens every token', async () => {
    const old = await tokensUnderKeyFile();
    expect(await rotateKeyCommand([], env(), output)).toBe(0);
    const current = TokenCipher.readKeyFile(keyFile());
    expect(current?.keyId).not.toBe(old.keyId);
    expect(TokenCipher.readKeyFile(`${keyFile()}.old-${old.keyId}`)?.keyId).toBe(old.keyId);
    expect(fs.existsSync(staged())).toBe(false);
    expect((await storedRows()).map((r) => current?.decrypt(r.sealed))).toEqual(TOKENS);
    expect(lines.out.join('\n')).toMatch(/Re-encrypted 3 stored tokens with key .*without NOTION_SYNC_SECRET.*kept as/s);
    const restarted = await createAppContext({ ...ctx.config, secret: undefined }, new LiveFeed());
    restarted.database.close();
  });

  it('secret to secret, key file to secret, and secret to a new key file', async () => {
    await storeTokens(ctx.cipher);
    expect(await rotateKeyCommand([], env({ NOTION_SYNC_OLD_SECRET: OLD_SECRET, NOTION_SYNC_SECRET: NEW_SECRET }), output)).toBe(0);
    const second = TokenCipher.fromSecret(NEW_SECRET);
    expect((await storedRows()).map((r) => second.decrypt(r.sealed))).toEqual(TOKENS);
    expect(fs.existsSync(keyFile())).toBe(false);

    // To a key file: written where the dashboard looks for it.
    expect(await rotateKeyCommand([], env({ NOTION_SYNC_OLD_SECRET: NEW_SECRET }), output)).toBe(0);
    const third = TokenCipher.readKeyFile(keyFile());
    expect((await storedRows()).map((r) => third?.decrypt(r.sealed))).toEqual(TOKENS);

    // From that key file to a secret: the key file is retired, so it cannot be picked up later.
    expect(await rotateKeyCommand([], env({ NOTION_SYNC_SECRET: OLD_SECRET }), output)).toBe(0);
    expect((await storedRows()).map((r) => ctx.cipher.decrypt(r.sealed))).toEqual(TOKENS);
    expect(fs.existsSync(keyFile())).toBe(false);
    expect(fs.existsSync(`${keyFile()}.old-${third?.keyId}`)).toBe(true);
    expect(lines.err).toEqual([]);
  });

  it('a wrong old key changes nothing: rows, key file, no staged key left', async () => {
    const old = await tokensUnderKeyFile();
    const before = await storedRows();
    const keyText = fs.readFileSync(keyFile(), 'utf8');
    expect(await rotateKeyCommand([], env({ NOTION_SYNC_OLD_SECRET: 'a-wrong-old-secret-value', NOTION_SYNC_SECRET: NEW_SECRET }), output)).toBe(1);
    expect(lines.err.join('\n')).toMatch(/cannot decrypt the tokens of 3 of 3 connections.*Nothing was changed/);
    fs.rmSync(keyFile());
    expect(await rotateKeyCommand([], env({ NOTION_SYNC_OLD_SECRET: 'a-wrong-old-secret-value' }), output)).toBe(1);
    expect(fs.existsSync(staged())).toBe(false);
    expect(fs.existsSync(keyFile())).toBe(false);
    fs.writeFileSync(keyFile(), keyText);
    expect(await storedRows()).toEqual(before);
    expect(TokenCipher.readKeyFile(keyFile())?.keyId).toBe(old.keyId);
  });

  it('finishes a rotation that stopped after the database changed', async () => {
    const old = await tokensUnderKeyFile();
    const next = TokenCipher.createKeyFile(staged());
    await rotateKey(ctx, { from: old, to: next }); // …and the process stopped before the key files moved
    await expect(createAppContext({ ...ctx.config, secret: undefined }, new LiveFeed())).rejects.toThrow(/unfinished `rotate-key`/);

    expect(await rotateKeyCommand([], env(), output)).toBe(0);
    expect(lines.out.join('\n')).toMatch(/Finishing the rotation.*\(3 already were\)/s);
    expect(TokenCipher.readKeyFile(keyFile())?.keyId).toBe(next.keyId);
    expect(fs.existsSync(staged())).toBe(false);
  });

  it('refuses without an old key, over a key file it would replace, and with bad usage', async () => {
    await storeTokens(ctx.cipher);
    expect(await rotateKeyCommand([], env(), output)).toBe(1);
    expect(lines.err.at(-1)).toMatch(/No old key: NOTION_SYNC_OLD_SECRET is not set/);
    expect(await rotateKeyCommand([], env({ NOTION_SYNC_OLD_SECRET: 'short' }), output)).toBe(1);
    expect(lines.err.at(-1)).toMatch(/NOTION_SYNC_OLD_SECRET: must be at least 16/);
    expect(await rotateKeyCommand([], env({ NOTION_SYNC_OLD_SECRET: OLD_SECRET, PORT: 'x' }), output)).toBe(1);
    expect(lines.err.at(-1)).toMatch(/PORT/);

    const unrelated = TokenCipher.createKeyFile(keyFile());
    expect(await rotateKeyCommand([], env({ NOTION_SYNC_OLD_SECRET: OLD_SECRET }), output)).toBe(1);
    expect(lines.err.at(-1)).toMatch(/exists but is not the key being replaced/);
    expect(TokenCipher.readKeyFile(keyFile())?.keyId).toBe(unrelated.keyId);
    expect(fs.existsSync(staged())).toBe(false);

    expect(await rotateKeyCommand(['--nope'], env(), output)).toBe(1);
    expect(lines.err.at(-1)).toMatch(/Unknown option.*Usage: npm run notion-sync -- rotate-key/s);
    expect(await rotateKeyCommand(['--help'], env(), output)).toBe(0);
    expect(lines.out.at(-1)).toMatch(/NOTION_SYNC_OLD_SECRET/);
    expect((await storedRows()).map((r) => ctx.cipher.decrypt(r.sealed))).toEqual(TOKENS);
  });
});

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}
