import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { type AttachmentRef, AttachmentStore } from './attachments';

/**
 * A running export follows the settings (server/settings.ts followSettings): its attachment store
 * is tuned while downloads are under way. Downloads here are held by the test's fetch until
 * released, so what runs at once is counted exactly.
 */

let root: string;
beforeEach(async () => {
  root = await mkdtemp(path.join(tmpdir(), 'attachments-tune-'));
});
afterEach(async () => {
  await rm(root, { recursive: true, force: true });
});

/** A fetch whose answers wait until the test releases them, one at a time, in the order asked. */
function heldFetch() {
  const held: (() => void)[] = [];
  let running = 0;
  let most = 0;
  const fetchImpl = async (input: string | URL | Request) => {
    running += 1;
    most = Math.max(most, running);
    await new Promise<void>((resolve) => held.push(resolve));
    running -= 1;
    return new Response(`body of ${String(input)}`, { status: 200 });
  };
  return {
    fetch: fetchImpl as unknown as typeof fetch,
    running: () => running,
    most: () => most,
    resetMost: () => {
      most = running;
    },
    releaseOne: () => held.shift()?.(),
    heldCount: () => held.length,
  };
}

const file = (n: number, kind: AttachmentRef['kind'] = 'file'): AttachmentRef => ({ url: `https://files.example/f${n}.bin`, kind, sourceId: `block-${n}` });

describe('AttachmentStore.tune', () => {
  it('more downloads start at once when the pool grows; fewer run as the running ones end when it shrinks', async () => {
    const host = heldFetch();
    const store = new AttachmentStore({ root, fetch: host.fetch, concurrency: 2 });
    const saves = Array.from({ length: 12 }, (_, i) => store.save(file(i)));
    await vi.waitFor(() => expect(host.running()).toBe(2));

    store.tune({ concurrency: 5 });
    await vi.waitFor(() => expect(host.running()).toBe(5));
    expect(host.most()).toBe(5);

    store.tune({ concurrency: 1 });
    // The five already running finish; no new one starts until one is left running.
    for (let i = 0; i < 4; i++) {
      host.releaseOne();
      await vi.waitFor(() => expect(host.running()).toBe(4 - i));
    }
    // Then one at a time to the end.
    host.resetMost();
    let settled = 0;
    for (const save of saves) void save.then(() => (settled += 1));
    while (settled < 12) {
      await vi.waitFor(() => expect(host.heldCount() > 0 || settled === 12).toBe(true));
      expect(host.running()).toBeLessThanOrEqual(1);
      host.releaseOne();
      await new Promise((resolve) => setImmediate(resolve));
    }
    await Promise.all(saves);
    expect(host.most()).toBe(1);
    expect(store.stats().saved).toBe(12);
  });

  it('stops downloading external links when told to, and takes them up again', async () => {
    const host = heldFetch();
    const store = new AttachmentStore({ root, fetch: host.fetch, downloadExternal: true });
    store.tune({ downloadExternal: false });
    expect(await store.save(file(1, 'external'))).toBeUndefined();
    store.tune({ downloadExternal: true });
    const saved = store.save(file(2, 'external'));
    await vi.waitFor(() => expect(host.running()).toBe(1));
    host.releaseOne();
    expect((await saved)?.path).toMatch(/^attachments\//);
  });
});
