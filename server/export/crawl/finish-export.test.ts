import { createHash } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { WrittenFile } from '@/server/export/domain/export';
import { handle } from '@/server/export/domain/handle';
import { requestTestExport, seedConnections } from '@/server/testing/seed';
import { createTestContext, type TestContext } from '@/server/testing/test-context';
import { resolveLinks } from './finish-export';
import { linkPlaceholder } from './page-links';

let ctx: TestContext;
beforeEach(async () => {
  ctx = await createTestContext();
  await seedConnections(ctx, ['c1']);
});
afterEach(async () => {
  await ctx.cleanup();
});

const A = '11111111-1111-4111-8111-111111111111';
const B = '22222222-2222-4222-8222-222222222222';
const sha = (text: string) => createHash('sha256').update(text).digest('hex');
const file = (name: string, text: string, sourceId: string): WrittenFile => ({ path: name, bytes: Buffer.byteLength(text), sha256: sha(text), sourceId });

/** Page A, and page B written before A had its place: B links to A through a placeholder. */
async function exportWithPlaceholder(root: string): Promise<{ written: string; resolved: string }> {
  await requestTestExport(ctx, 'e1');
  await handle(ctx.store, 'e1', { type: 'StartExport', data: { attempt: 1, runner: 'r' } });
  const written = `# B\n\nSee [A](${linkPlaceholder(A)}).\n`;
  fs.mkdirSync(root, { recursive: true });
  fs.writeFileSync(path.join(root, 'A.md'), '# A\n');
  fs.writeFileSync(path.join(root, 'B.md'), written);
  await handle(ctx.store, 'e1', {
    type: 'RecordProgress',
    data: {
      discovered: [
        { id: A, kind: 'page', title: 'A', parentId: null, dir: '', stem: 'A', status: 'pending' },
        { id: B, kind: 'page', title: 'B', parentId: null, dir: '', stem: 'B', status: 'pending' },
      ],
      exported: [
        { id: A, files: [file('A.md', '# A\n', A)] },
        { id: B, files: [file('B.md', written, B)], unresolvedLinks: true },
      ],
      failed: [],
      stats: { requests: 0, rateLimited: 0, retries: 0 },
    },
  });
  return { written, resolved: '# B\n\nSee [A](A.md).\n' };
}

describe('resolveLinks', () => {
  it('rewrites a placeholder into a relative link and records the new checksum', async () => {
    const root = path.join(ctx.dir, 'out');
    const { resolved } = await exportWithPlaceholder(root);
    const recorded: WrittenFile[] = [];
    expect(await resolveLinks(ctx.database.db, 'e1', root, async (files) => void recorded.push(...files))).toBe(1);
    expect(fs.readFileSync(path.join(root, 'B.md'), 'utf8')).toBe(resolved);
    expect(recorded).toEqual([file('B.md', resolved, B)]);
  });

  it('records the file as it is when a run rewrote it and died before recording that', async () => {
    const root = path.join(ctx.dir, 'out');
    const { written, resolved } = await exportWithPlaceholder(root);
    // The rename happened, the append of its checksum did not: the record still has the old one.
    fs.writeFileSync(path.join(root, 'B.md'), resolved);
    const recorded: WrittenFile[] = [];
    await resolveLinks(ctx.database.db, 'e1', root, async (files) => void recorded.push(...files));
    expect(fs.readFileSync(path.join(root, 'B.md'), 'utf8')).toBe(resolved);
    expect(recorded).toEqual([file('B.md', resolved, B)]);
    expect(recorded[0]?.sha256).not.toBe(sha(written));
  });
});
