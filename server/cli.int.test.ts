import { type ChildProcess, spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTwin, type Twin } from '@/e2e/notion-twin';
import { verifyManifest } from '@/server/export/files/manifest';

let twin: Twin;
let dir: string;
beforeAll(async () => {
  twin = await startTwin({ workspace: { seed: 5, pages: 120, databases: 3, rowsPerDatabase: 10, depth: 3 } });
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'notion-sync-cli-'));
});
afterAll(async () => {
  await twin.close();
  fs.rmSync(dir, { recursive: true, force: true });
});

interface Run {
  child: ChildProcess;
  done: Promise<{ code: number | null; stderr: string }>;
  stderr: () => string;
}

function cli(args: string[], env: Record<string, string> = {}): Run {
  let stderr = '';
  const child = spawn(process.execPath, ['--import', 'tsx', 'server/cli.ts', ...args], {
    env: {
      ...process.env,
      DATABASE_URL: `file:${path.join(dir, 'state.db')}`,
      NOTION_SYNC_SECRET: 'cli-test-secret-value',
      NOTION_TOKEN: 'secret_twin',
      NOTION_BASE_URL: twin.url,
      NOTION_RATE_LIMIT: '1000',
      ...env,
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  child.stderr!.on('data', (d) => {
    stderr += String(d);
  });
  const done = new Promise<{ code: number | null; stderr: string }>((resolve) =>
    child.on('exit', (code) => resolve({ code, stderr })),
  );
  return { child, done, stderr: () => stderr };
}

function files(root: string): string[] {
  return fs
    .readdirSync(root, { recursive: true, withFileTypes: true })
    .filter((d) => d.isFile())
    .map((d) => path.join(d.parentPath, d.name));
}

const hex = (id: string) => id.replace(/-/g, '');

function expectEveryPageOnce(root: string, ext: string) {
  const all = files(root);
  for (const page of twin.workspace.allPages()) {
    expect(all.filter((f) => f.endsWith(`${hex(page.id)}${ext}`)), page.title).toHaveLength(1);
  }
}

describe('notion-sync export (CLI)', () => {
  it('exports the workspace into --out with a manifest, printing progress, exit 0', async () => {
    const out = path.join(dir, 'full');
    const { code, stderr } = await cli(['export', '--out', out]).done;
    expect(stderr).toMatch(/\[exporting\] \d+\/\d+/);
    expect(code).toBe(0);
    expectEveryPageOnce(out, '.md');
    expectEveryPageOnce(out, '.json');
    expect(await verifyManifest(out)).toMatchObject({ missing: [], changed: [], extra: [] });
    // The summary counts what report.json counts (report.json and manifest.json not among the files).
    const report = JSON.parse(fs.readFileSync(path.join(out, 'report.json'), 'utf8'));
    const counts = `${report.pages.exported} pages, ${report.databases.exported} databases, ${report.files.count} files`;
    expect(stderr).toContain(`Completed: ${counts}`);
    const manifest = JSON.parse(fs.readFileSync(path.join(out, 'manifest.json'), 'utf8'));
    expect(report.files.count).toBe(manifest.files.length - 1);
    expect(stderr).toMatch(/running time \d+/);
    // The list says the same.
    let stdout = '';
    const list = cli(['exports']);
    list.child.stdout!.on('data', (d) => {
      stdout += String(d);
    });
    expect((await list.done).code).toBe(0);
    expect(stdout).toMatch(/Completed {13}/);
    expect(stdout).toContain(`${out}\n    ${counts}`);
  });

  it('verifies an export against its manifest and names what changed', async () => {
    const out = path.join(dir, 'full');
    const ok = await cli(['verify', out]).done;
    expect(ok.code).toBe(0);
    const some = files(out).find((f) => f.endsWith('.md'))!;
    fs.appendFileSync(some, 'tampered');
    fs.writeFileSync(path.join(out, 'stray.txt'), 'x');
    const removed = files(out).find((f) => f.endsWith('.json') && !f.endsWith('manifest.json'))!;
    fs.rmSync(removed);
    let stdout = '';
    const run = cli(['verify', out]);
    run.child.stdout!.on('data', (d) => {
      stdout += String(d);
    });
    const bad = await run.done;
    expect(bad.code).toBe(3);
    expect(stdout).toContain(`changed: ${path.relative(out, some).split(path.sep).join('/')}`);
    expect(stdout).toContain('extra:   stray.txt');
    expect(stdout).toContain(`missing: ${path.relative(out, removed).split(path.sep).join('/')}`);
    expect((await cli(['verify', path.join(dir, 'nowhere')]).done).code).toBe(1);
  });

  it('writes only the formats asked for', async () => {
    const out = path.join(dir, 'md-only');
    const { code } = await cli(['export', '--out', out, '--format', 'markdown']).done;
    expect(code).toBe(0);
    expectEveryPageOnce(out, '.md');
    expect(
      files(out).filter((f) => /\.(json|html|csv)$/.test(f) && !/(manifest|report)\.json$/.test(f)),
    ).toEqual([]);
  });

  it('names files without ids with --naming clean, numbering duplicate titles', async () => {
    const out = path.join(dir, 'clean');
    const { code } = await cli(['export', '--out', out, '--format', 'markdown', '--naming', 'clean']).done;
    expect(code).toBe(0);
    const md = files(out).filter((f) => f.endsWith('.md'));
    expect(md.filter((f) => /[0-9a-f]{32}/.test(path.basename(f)))).toEqual([]);
    const expected = twin.workspace.allPages().length + twin.workspace.allDatabases().length;
    expect(md).toHaveLength(expected);
    expect(new Set(md.map((f) => f.toLowerCase().normalize('NFC'))).size).toBe(md.length);
    expect(md.some((f) => / \(2\)\.md$/.test(f))).toBe(true);
    expect(await verifyManifest(out)).toMatchObject({ missing: [], changed: [], extra: [] });
  });

  it('resumes the unfinished export for the same folder after being killed', async () => {
    const out = path.join(dir, 'resumed');
    twin.setLatency([5, 15]);
    const first = cli(['export', '--out', out, '--format', 'json']);
    await new Promise<void>((resolve) => {
      const timer = setInterval(() => {
        const m = [...first.stderr().matchAll(/\[exporting\] (\d+)\//g)].pop();
        if (m && Number(m[1]) >= 40) {
          clearInterval(timer);
          resolve();
        }
      }, 20);
    });
    first.child.kill('SIGKILL');
    await first.done;
    twin.setLatency(null);
    const second = await cli(['export', '--out', out, '--format', 'json']).done;
    expect(second.stderr).toMatch(/Resuming export/);
    expect(second.code).toBe(0);
    expectEveryPageOnce(out, '.json');
    expect(files(out).filter((f) => f.endsWith('.tmp'))).toEqual([]);
    expect(await verifyManifest(out)).toMatchObject({ missing: [], changed: [], extra: [] });
  });

  it('says what is wrong with a bad token, a bad format or a missing --out, exit 1', async () => {
    const badToken = await cli(['export', '--out', path.join(dir, 'x')], { NOTION_TOKEN: 'secret_nope' }).done;
    expect(badToken.code).toBe(1);
    expect(badToken.stderr).toMatch(/token/i);
    const noToken = await cli(['export', '--out', path.join(dir, 'x')], { NOTION_TOKEN: '' }).done;
    expect(noToken.stderr).toMatch(/Set NOTION_TOKEN/);
    const badFormat = await cli(['export', '--out', path.join(dir, 'x'), '--format', 'pdf']).done;
    expect(badFormat.code).toBe(1);
    expect(badFormat.stderr).toMatch(/Unknown format "pdf"/);
    const noOut = await cli(['export']).done;
    expect(noOut.stderr).toMatch(/Missing --out/);
    const badDb = await cli(['export', '--out', path.join(dir, 'x')], { DATABASE_URL: 'mysql://x' }).done;
    expect(badDb.code).toBe(1);
    expect(badDb.stderr).toMatch(/DATABASE_URL/);
  });
});
