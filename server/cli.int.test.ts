import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTwin, type Twin } from '@/e2e/notion-twin';
import { verifyManifest } from '@/server/export/files/manifest';
import { isArchivePage } from '@/server/export/archive/index-page';
import { cliEnv, doneAtLeast, isProgress, listFiles, messagesOf, parseRecords, spawnCli } from '@/server/testing/export-checks';

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

/** Each test has a state database (and export folders) of its own, named after it. */
function place(name: string) {
  const state = path.join(dir, `${name}.db`);
  return {
    out: path.join(dir, name),
    cli: (args: string[], env: Record<string, string> = {}) => spawnCli(args, { ...cliEnv(twin, state), ...env }),
  };
}

const hex = (id: string) => id.replace(/-/g, '');

function expectEveryPageOnce(root: string, ext: string) {
  const all = listFiles(root);
  for (const page of twin.workspace.allPages()) {
    expect(all.filter((f) => f.endsWith(`${hex(page.id)}${ext}`)), page.title).toHaveLength(1);
  }
}

describe('notion-sync export (CLI)', () => {
  it('exports the workspace into --out with a manifest, reporting progress as JSON lines, exit 0', async () => {
    const { out, cli } = place('full');
    const { code, stderr } = await cli(['export', '--out', out, '--progress', 'json']).done;
    expect(code).toBe(0);
    expectEveryPageOnce(out, '.md');
    expectEveryPageOnce(out, '.json');
    expect(await verifyManifest(out)).toMatchObject({ missing: [], changed: [], extra: [] });

    // Every line is a record of its schema: a message, progress as it is recorded, the result last.
    const { records, other } = parseRecords(stderr);
    expect(other).toEqual([]);
    const [started] = messagesOf(records);
    expect(started).toMatch(new RegExp(`^Export \\S+ of "Twin Workspace" into ${out}$`));
    const progress = records.filter(isProgress);
    expect(progress.map((p) => p.phase)).toEqual(expect.arrayContaining(['discovering', 'exporting', 'finishing', 'done']));
    const exportId = progress[0]?.exportId;
    expect(progress.every((p) => p.exportId === exportId)).toBe(true);
    for (const [a, b] of progress.slice(1).map((p, i) => [progress[i]!, p] as const)) {
      expect(b.pagesDone).toBeGreaterThanOrEqual(a.pagesDone);
      expect(b.requests).toBeGreaterThanOrEqual(a.requests);
    }
    const items = twin.workspace.allPages().length + twin.workspace.allDatabases().length + twin.workspace.linkedDatabases().length;
    expect(progress.at(-1)).toMatchObject({ status: 'completed', phase: 'done', pagesDone: items, pagesDiscovered: items, pagesFailed: 0 });

    // The result counts what report.json counts: the content (report.json and manifest.json, and
    // the archive's own pages written after the report, not among the files).
    const report = JSON.parse(fs.readFileSync(path.join(out, 'report.json'), 'utf8'));
    const manifest = JSON.parse(fs.readFileSync(path.join(out, 'manifest.json'), 'utf8')) as { files: { path: string }[] };
    const archivePages = manifest.files.filter((f) => isArchivePage(f.path)).map((f) => f.path);
    expect(archivePages).toEqual(expect.arrayContaining(['index.html', 'index.md', 'report.html', 'search/index-1.js']));
    expect(report.files.count).toBe(manifest.files.length - 1 - archivePages.length);
    const result = records.at(-1);
    expect(result).toMatchObject({
      type: 'result',
      exitCode: 0,
      exportId,
      status: 'completed',
      pages: report.pages.exported,
      databases: report.databases.exported,
      files: report.files.count,
      bytes: report.files.bytes,
      failed: 0,
      failures: [],
      reason: null,
      runningTimeMs: expect.any(Number),
    });

    // The list says the same.
    const list = cli(['exports']);
    expect((await list.done).code).toBe(0);
    expect(list.stdout()).toMatch(/Completed {13}/);
    expect(list.stdout()).toContain(`${out}\n    ${report.pages.exported} pages, ${report.databases.exported} databases, ${report.files.count} files`);
  });

  it('writes only the formats asked for, reporting for people by default: a progress line, then the summary', async () => {
    const { out, cli } = place('md-only');
    const { code, stderr } = await cli(['export', '--out', out, '--format', 'markdown']).done;
    expect(code).toBe(0);
    expectEveryPageOnce(out, '.md');
    // Besides Markdown: the reports, and the archive's front door (index.html, report.html), which a browser opens.
    const others = listFiles(out).filter((f) => /\.(json|html|csv)$/.test(f) && !/(manifest|report)\.json$/.test(f));
    expect(others.map((f) => path.relative(out, f)).sort()).toEqual(['index.html', 'report.html']);
    // Not a terminal: one progress line per update.
    expect(stderr).toMatch(/^\[exporting\] \d+\/\d+ \(\d+%\) · \d+ s · \d+ requests · \d+ rate-limit waits$/m);
    expect(parseRecords(stderr).records).toEqual([]);
    const report = JSON.parse(fs.readFileSync(path.join(out, 'report.json'), 'utf8'));
    expect(stderr).toContain(
      `Completed: ${report.pages.exported} pages, ${report.databases.exported} databases, ${report.files.count} files`,
    );
    expect(stderr).toMatch(/; \d+ API requests; running time \d+ s\.\n$/);
    // --progress human says the same.
    const again = await cli(['export', '--out', `${out}-again`, '--format', 'markdown', '--progress', 'human']).done;
    expect(again.code).toBe(0);
    expect(again.stderr).toMatch(/^\[done\] \d+\/\d+ \(100%\)/m);
  });

  it('verifies an export against its manifest and names what changed', async () => {
    const { out, cli } = place('verified');
    expect((await cli(['export', '--out', out, '--format', 'markdown,json', '--progress', 'json']).done).code).toBe(0);
    const ok = await cli(['verify', out]).done;
    expect(ok.code).toBe(0);
    const some = listFiles(out).find((f) => f.endsWith('.md'))!;
    fs.appendFileSync(some, 'tampered');
    fs.writeFileSync(path.join(out, 'stray.txt'), 'x');
    const removed = listFiles(out).find((f) => f.endsWith('.json') && !f.endsWith('manifest.json'))!;
    fs.rmSync(removed);
    const bad = await cli(['verify', out]).done;
    expect(bad.code).toBe(3);
    expect(bad.stdout).toContain(`changed: ${path.relative(out, some).split(path.sep).join('/')}`);
    expect(bad.stdout).toContain('extra:   stray.txt');
    expect(bad.stdout).toContain(`missing: ${path.relative(out, removed).split(path.sep).join('/')}`);
    expect((await cli(['verify', path.join(dir, 'nowhere')]).done).code).toBe(1);
  });

  it('names files without ids with --naming clean, numbering duplicate titles', async () => {
    const { out, cli } = place('clean');
    const { code } = await cli(['export', '--out', out, '--format', 'markdown', '--naming', 'clean', '--progress', 'json']).done;
    expect(code).toBe(0);
    const md = listFiles(out).filter((f) => f.endsWith('.md') && path.relative(out, f) !== 'index.md');
    expect(md.filter((f) => /[0-9a-f]{32}/.test(path.basename(f)))).toEqual([]);
    const expected = twin.workspace.allPages().length + twin.workspace.allDatabases().length;
    expect(md).toHaveLength(expected);
    expect(new Set(md.map((f) => f.toLowerCase().normalize('NFC'))).size).toBe(md.length);
    expect(md.some((f) => / \(2\)\.md$/.test(f))).toBe(true);
    expect(await verifyManifest(out)).toMatchObject({ missing: [], changed: [], extra: [] });
  });

  it('resumes the unfinished export for the same folder after being killed', async () => {
    const { out, cli } = place('resumed');
    const args = ['export', '--out', out, '--format', 'json', '--progress', 'json'];
    twin.setLatency([5, 15]);
    try {
      const first = cli(args);
      await first.record(doneAtLeast(40), 'the first run to export 40 pages');
      first.child.kill('SIGKILL');
      await first.done;
    } finally {
      twin.setLatency(null);
    }
    const second = await cli(args).done;
    expect(second.code).toBe(0);
    const { records } = parseRecords(second.stderr);
    expect(messagesOf(records)[0]).toMatch(/^Resuming export \S+ into /);
    expect(records.filter(isProgress)[0]?.pagesDone).toBeGreaterThanOrEqual(40);
    expectEveryPageOnce(out, '.json');
    expect(listFiles(out).filter((f) => f.endsWith('.tmp'))).toEqual([]);
    expect(await verifyManifest(out)).toMatchObject({ missing: [], changed: [], extra: [] });
  });

  it('says what is wrong with a bad token, a bad format or a missing --out, exit 1', async () => {
    const { out, cli } = place('refused');
    const badToken = await cli(['export', '--out', out], { NOTION_TOKEN: 'secret_nope' }).done;
    expect(badToken.code).toBe(1);
    expect(badToken.stderr).toMatch(/token/i);
    const noToken = await cli(['export', '--out', out], { NOTION_TOKEN: '' }).done;
    expect(noToken.stderr).toMatch(/Set NOTION_TOKEN/);
    const badFormat = await cli(['export', '--out', out, '--format', 'pdf']).done;
    expect(badFormat.code).toBe(1);
    expect(badFormat.stderr).toMatch(/Unknown format "pdf"/);
    const noOut = await cli(['export']).done;
    expect(noOut.stderr).toMatch(/Missing --out/);
    const badDb = await cli(['export', '--out', out], { DATABASE_URL: 'mysql://x' }).done;
    expect(badDb.code).toBe(1);
    expect(badDb.stderr).toMatch(/DATABASE_URL/);
    const badMode = await cli(['export', '--out', out, '--progress', 'xml']).done;
    expect(badMode.code).toBe(1);
    expect(badMode.stderr).toMatch(/Unknown progress mode "xml"/);
  });

  it('says it in JSON lines too with --progress json, ending with a result', async () => {
    const { out, cli } = place('refused-json');
    const badToken = await cli(['export', '--out', out, '--progress', 'json'], { NOTION_TOKEN: 'secret_nope' }).done;
    expect(badToken.code).toBe(1);
    const refused = parseRecords(badToken.stderr);
    expect(refused.other).toEqual([]);
    expect(messagesOf(refused.records).join('\n')).toMatch(/token/i);
    expect(refused.records.at(-1)).toMatchObject({ type: 'result', exitCode: 1, exportId: null });
    const badFormat = await cli(['export', '--out', out, '--format', 'pdf', '--progress', 'json']).done;
    expect(badFormat.code).toBe(1);
    const usage = parseRecords(badFormat.stderr);
    expect(usage.other).toEqual([]);
    expect(usage.records).toEqual([
      { type: 'message', text: expect.stringMatching(/^Unknown format "pdf"[\s\S]*Usage: /) },
      { type: 'result', exitCode: 1, exportId: null, reason: expect.stringMatching(/^Unknown format "pdf"/) },
    ]);
  });
});
