import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { requestSync } from '@/server/export/control/request-export';
import { type Clock, systemClock } from '@/server/retry/clock';
import { Runner } from '@/server/runner/runner';
import { sharedTwinConnection } from '@/server/testing/twin-connection';

/**
 * Notion's `last_edited_time` has minute precision: an edit made in the minute in which a sync
 * read a page leaves the time as it was. The twin and the runner share one injected clock.
 */

const START = Date.now();
/** Five seconds into a whole minute, some minutes ahead; moves with real time from there. */
let base = Math.floor(START / 60_000) * 60_000 + 5 * 60_000 + 5_000;
const now = () => base + (Date.now() - START);
const clock: Clock = { now, sleep: systemClock.sleep };

const conn = sharedTwinConnection({ workspace: { seed: 21, pages: 12, databases: 1, rowsPerDatabase: 3, depth: 2, largePages: 0 }, clock: now });

async function sync() {
  const { exportId } = await requestSync(conn.ctx, { connectionId: conn.connectionId, trigger: 'manual' });
  const runner = new Runner(conn.ctx, { concurrency: 4, clock });
  while ((await runner.runOnce()) !== undefined) {}
  return conn.exportRowOf(exportId);
}

const fileOf = (root: string, id: string) =>
  path.join(root, fs.readdirSync(root, { recursive: true }).map(String).find((f) => f.endsWith(`${id.replace(/-/g, '')}.md`))!);

describe('an edit in the minute a sync read the page', () => {
  it('is not lost: the next sync reads the page again; once that minute is well past, it does not', async () => {
    const page = conn.twin.workspace.allPages().find((p) => p.kind === 'page' && p.depth === 1)!;
    conn.twin.workspace.editPage(page.id, { atMs: base });
    const first = await sync();
    expect(fs.readFileSync(fileOf(first.outDir, page.id), 'utf8')).toContain('(edited 1)');

    // Edited again within the same minute, after the sync read it: Notion shows the same time.
    const shown = conn.twin.workspace.page(page.id)!.lastEditedTime;
    conn.twin.workspace.editPage(page.id, { atMs: base + 30_000 });
    expect(conn.twin.workspace.page(page.id)!.lastEditedTime).toBe(shown);
    const second = await sync();
    expect(second.changes?.updated.map((u) => u.id)).toContain(page.id);
    expect(fs.readFileSync(fileOf(second.outDir, page.id), 'utf8')).toContain('(edited 2)');

    // The second sync read it in that minute too: the third reads it once more (nothing new),
    // after which, read minutes later, it is carried over: the listing is the whole cost.
    base += 10 * 60_000;
    const third = await sync();
    expect(third.changes).toEqual({ added: [], updated: [], moved: [], removed: [] });
    expect(third.requests).toBeGreaterThan(1);
    const fourth = await sync();
    expect(fourth.changes).toEqual({ added: [], updated: [], moved: [], removed: [] });
    expect(conn.twin.workspace.allPages().length).toBeLessThan(100);
    expect(fourth.requests).toBe(1);
  });
});
