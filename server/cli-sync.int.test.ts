import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTwin, type Twin } from '@/e2e/notion-twin';
import { verifyManifest } from '@/server/export/files/manifest';
import { cliEnv, spawnCli } from '@/server/testing/export-checks';

let twin: Twin;
let dir: string;
beforeAll(async () => {
  twin = await startTwin({ workspace: { seed: 9, pages: 25, databases: 1, rowsPerDatabase: 4, depth: 2, largePages: 0 } });
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'notion-sync-cli-sync-'));
});
afterAll(async () => {
  await twin.close();
  fs.rmSync(dir, { recursive: true, force: true });
});

describe('notion-sync sync (CLI)', () => {
  it('exports in full the first time, then brings the folder up to date in place and says what changed', async () => {
    const out = path.join(dir, 'mirror');
    const env = cliEnv(twin, path.join(dir, 'state.db'));
    const first = await spawnCli(['sync', '--out', out, '--format', 'markdown'], env).done;
    expect(first.code).toBe(0);
    expect(first.stderr).toContain('no earlier export to sync from');
    const report = JSON.parse(fs.readFileSync(path.join(out, 'report.json'), 'utf8'));
    expect(report.changes).toBeUndefined();

    const all = twin.workspace.allPages().filter((p) => p.kind === 'page');
    const isParent = (id: string) => all.some((c) => c.parent.type === 'page_id' && c.parent.pageId === id);
    const [edited, trashed] = all.filter((p) => p.depth >= 1 && !isParent(p.id));
    twin.workspace.editPage(edited!.id);
    twin.workspace.trash(trashed!.id);
    const files = () =>
      new Map(
        fs
          .readdirSync(out, { recursive: true })
          .map(String)
          .filter((f) => f.endsWith('.md'))
          .map((f) => {
            const stat = fs.statSync(path.join(out, f));
            return [f, { ino: stat.ino, mtimeMs: stat.mtimeMs, text: fs.readFileSync(path.join(out, f), 'utf8') }] as const;
          }),
      );
    const before = files();

    const second = await spawnCli(['sync', '--out', out, '--format', 'markdown'], env).done;
    expect(second.code).toBe(0);
    expect(second.stderr).toMatch(/Sync \S+ \(from \S+\)/);
    expect(second.stderr).toContain(`updated ${edited!.title} (${edited!.id})`);
    expect(second.stderr).toContain(`removed ${trashed!.title} (${trashed!.id}): in trash`);
    expect(second.stderr).toMatch(/Changes: 0 added, \d+ updated, 0 moved, 1 removed\./);
    expect(await verifyManifest(out)).toEqual({ missing: [], changed: [], extra: [] });
    const synced = JSON.parse(fs.readFileSync(path.join(out, 'report.json'), 'utf8'));
    expect(synced.changes.removed).toEqual([expect.objectContaining({ id: trashed!.id, reason: 'in trash' })]);
    // Every file whose bytes did not change is left as it was: same inode, same time.
    const after = files();
    const same = [...before].filter(([f, b]) => after.get(f)?.text === b.text);
    expect(same.length).toBeGreaterThan(before.size - 6);
    for (const [f, b] of same) expect([after.get(f)?.ino, after.get(f)?.mtimeMs], f).toEqual([b.ino, b.mtimeMs]);
  });

  it('names the command in its usage', async () => {
    const { code, stdout } = await spawnCli(['--help'], cliEnv(twin, path.join(dir, 'help.db'))).done;
    expect(code).toBe(0);
    expect(stdout).toContain('npm run notion-sync -- sync --out <dir>');
  });
});
