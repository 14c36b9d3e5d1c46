import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { rotateKey } from '@/server/auth/key-rotation';
import { TokenCipher } from '@/server/auth/token-cipher';
import { createTestContext, type TestContext } from '@/server/testing/test-context';
import { listWebhookTokens, storeVerificationToken, WEBHOOK_TOKENS_SEALED } from './webhook-tokens';

const OLD_SECRET = 'the-old-secret-the-old-secret';
const NEW_SECRET = 'the-new-secret-the-new-secret';
const NOW = 1_800_000_000_000;

let ctx: TestContext;
beforeEach(async () => {
  ctx = await createTestContext({ secret: OLD_SECRET });
});
afterEach(async () => {
  await ctx.cleanup();
});

describe('webhook verification tokens and key rotation', () => {
  it('are sealed again with the new key in the rotation, and read with it afterwards', async () => {
    const from = TokenCipher.fromSecret(OLD_SECRET);
    const to = TokenCipher.fromSecret(NEW_SECRET);
    await storeVerificationToken(ctx, 'secret_verification_one', NOW);
    await storeVerificationToken(ctx, 'secret_verification_two', NOW);
    // One sealed with a key nobody has any more: left as it is (it already verifies nothing).
    await storeVerificationToken({ ...ctx, cipher: TokenCipher.fromSecret('a-lost-secret-a-lost-secret') }, 'secret_lost', NOW);

    expect(await rotateKey(ctx, { from, to }, () => NOW, [WEBHOOK_TOKENS_SEALED])).toEqual({
      rotated: 0,
      alreadyCurrent: 0,
      others: { 'webhook verification tokens': 2 },
    });
    const after = await listWebhookTokens({ ...ctx, cipher: to }, NOW);
    expect(after.map((t) => t.token ?? '(unreadable)').sort()).toEqual(['(unreadable)', 'secret_verification_one', 'secret_verification_two']);
    // Run again: nothing left to seal.
    expect((await rotateKey(ctx, { from, to }, () => NOW, [WEBHOOK_TOKENS_SEALED])).others).toEqual({ 'webhook verification tokens': 0 });
  });
});
