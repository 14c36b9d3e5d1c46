/**
 * A sync killed (SIGKILL) at each of its commit boundaries, then run again, ends exactly where an
 * uninterrupted one would: the folder equals a fresh full export of the changed workspace, file
 * by file, its manifest verifies, and no move or removal is left half done.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTwin, type Twin } from '@/e2e/notion-twin';
import type { Failpoint } from '@/server/failpoints';
import { cliEnv, messagesOf, parseRecords, spawnCli } from '@/server/testing/export-checks';
import { withoutVolatileParts } from '@/server/export/files/volatile-parts';

const SCENARIOS: { failpoint: Failpoint; at: number }[] = [
  { failpoint: 'sync-after-linking', at: 1 },
  { failpoint: 'sync-after-carry-over', at: 1 },
  { failpoint: 'after-rename', at: 3 },
  { failpoint: 'sync-mid-removal', at: 1 },
  { failpoint: 'before-manifest', at: 1 },
];

let twin: Twin;
let dir: string;
let fresh: string;
const hex = (id: string) => id.replace(/-/g, '');

beforeAll(async () => {
  twin = await startTwin({ workspace: { seed: 13, pages: 30, databases: 1, rowsPerDatabase: 5, depth: 3, largePages: 0, linkedDatabases: 0 } });
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'notion-sync-sync-crash-'));
  // Every scenario's folder starts as a full export of the same workspace…
  for (const { failpoint } of SCENARIOS) {
    const first = await spawnCli(['sync', '--out', path.join(dir, failpoint)], cliEnv(twin, path.join(dir, `${failpoint}.db`))).done;
    expect(first.code, first.stderr).toBe(0);
  }
  // …which then changes: an edit, a move of a page with children, a page trashed, one added.
  const pages = twin.workspace.allPages().filter((p) => p.kind === 'page');
  const parentOf = (p: (typeof pages)[number]) => (p.parent.type === 'page_id' ? p.parent.pageId : null);
  const below = (id: string, ancestor: string): boolean => {
    for (let at = pages.find((p) => p.id === id); at; at = pages.find((p) => p.id === parentOf(at!))) if (at.id === ancestor) return true;
    return false;
  };
  const moving = pages.find((p) => p.depth === 2 && pages.some((c) => parentOf(c) === p.id))!;
  const to = pages.find((p) => p.depth === 1 && p.id !== parentOf(moving))!;
  twin.workspace.movePage(moving.id, { parentId: to.id });
  const leaves = pages.filter((p) => p.depth >= 1 && p.id !== to.id && p.id !== parentOf(moving) && !pages.some((c) => parentOf(c) === p.id) && !below(p.id, moving.id));
  twin.workspace.editPage(leaves[0]!.id);
  twin.workspace.trash(leaves[1]!.id);
  twin.workspace.addPage({ parentId: to.id, title: 'Added before the crash' });
  fresh = path.join(dir, 'fresh');
  const expected = await spawnCli(['export', '--out', fresh], cliEnv(twin, path.join(dir, 'fresh.db'))).done;
  expect(expected.code, expected.stderr).toBe(0);
  expect(fs.readdirSync(fresh, { recursive: true }).map(String).some((f) => f.includes(hex(moving.id)) && f.includes(hex(to.id)))).toBe(true);
}, 180_000);

afterAll(async () => {
  await twin?.close();
  if (dir) fs.rmSync(dir, { recursive: true, force: true });
});

function tree(root: string): Map<string, string> {
  const out = new Map<string, string>();
  for (const entry of fs.readdirSync(root, { recursive: true, withFileTypes: true })) {
    if (!entry.isFile()) continue;
    const rel = path.relative(root, path.join(entry.parentPath, entry.name)).split(path.sep).join('/');
    if (rel === 'report.json' || rel === 'manifest.json') continue;
    out.set(rel, withoutVolatileParts(fs.readFileSync(path.join(root, rel), 'utf8')));
  }
  return out;
}

function differences(actual: string, expected: string): string[] {
  const a = tree(actual);
  const b = tree(expected);
  const out = [...a].flatMap(([p, text]) => (!b.has(p) ? [`extra: ${p}`] : b.get(p) !== text ? [`differs: ${p}`] : []));
  for (const p of b.keys()) if (!a.has(p)) out.push(`missing: ${p}`);
  return out.sort();
}

describe('a sync killed at each of its commit boundaries, then run again', () => {
  for (const { failpoint, at } of SCENARIOS) {
    it(`${failpoint}:${at}`, { timeout: 120_000 }, async () => {
      const out = path.join(dir, failpoint);
      const state = path.join(dir, `${failpoint}.db`);
      const log = path.join(dir, `${failpoint}.log`);
      const args = ['sync', '--out', out, '--progress', 'json'];
      const killed = await spawnCli(args, cliEnv(twin, state, { NOTION_SYNC_FAILPOINTS: `${failpoint}:${at}`, NOTION_SYNC_FAILPOINT_LOG: log })).done;
      expect(killed.signal, killed.stderr).toBe('SIGKILL');
      expect(fs.readFileSync(log, 'utf8')).toBe(`failpoint ${failpoint} reached\n`);

      const again = await spawnCli(args, cliEnv(twin, state)).done;
      expect(again.code, again.stderr).toBe(0);
      const { records } = parseRecords(again.stderr);
      expect(messagesOf(records)[0]).toMatch(/^Resuming export /);
      expect(differences(out, fresh)).toEqual([]);
      const verify = await spawnCli(['verify', out], {}).done;
      expect(verify.code, verify.stdout).toBe(0);
      const report = JSON.parse(fs.readFileSync(path.join(out, 'report.json'), 'utf8'));
      expect(report.changes.added).toHaveLength(1);
      expect(report.changes.removed).toEqual([expect.objectContaining({ reason: 'in trash' })]);
    });
  }
});
