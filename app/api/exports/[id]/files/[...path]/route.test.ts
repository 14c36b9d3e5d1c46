import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { authOf } from '@/server/auth/auth';
import type { AppContext } from '@/server/context';
import { handle } from '@/server/export/domain/handle';
import { writeFiles } from '@/server/testing/files';
import { completeTestExport, requestTestExport, seedConnections } from '@/server/testing/seed';
import { signedInHeaders } from '@/server/testing/sessions';
import { createTestContext, type TestContext } from '@/server/testing/test-context';
import { GET } from './route';

/** The route as Next calls it: the path's segments decoded once, as the router hands them over. */
let ctx: TestContext;
let viewer: Headers;
const g = globalThis as typeof globalThis & { __notionSyncContext?: Promise<AppContext> };

const SANDBOX = "sandbox; default-src 'none'; img-src 'self' data:; style-src 'unsafe-inline'; frame-ancestors 'self'";

const dashboardDir = () => path.join(ctx.config.exportsDir, 'dash');
const outside = () => path.join(ctx.dir, 'outside');

beforeAll(async () => {
  ctx = await createTestContext();
  g.__notionSyncContext = Promise.resolve(ctx);
  await seedConnections(ctx, ['c1']);
  viewer = await signedInHeaders(ctx, 'viewer');
  writeFiles(outside(), { 'secret.txt': 'secret', 'Page.md': '# outside' });
  writeFiles(dashboardDir(), {
    'Page 393abc1eedcd81f5ae94ec2d55fe98ed.md': [
      '---',
      'title: Page',
      'tags:',
      '  - a',
      '  - b',
      '---',
      '',
      '# Page',
      '',
      '| Name | Done |',
      '| --- | --- |',
      '| Write | yes |',
      '',
      '<script>alert(1)</script><img src=x onerror=alert(1)>',
      '',
      '[child](Page%20393abc1eedcd81f5ae94ec2d55fe98ed/Child.md#part) [bad](javascript:alert(1)) [web](https://example.com/a.md)',
      '',
      '$$',
      'e = mc^2',
      '$$',
    ].join('\n'),
    'Page 393abc1eedcd81f5ae94ec2d55fe98ed/Child.md': '# Child\n',
    'Page 393abc1eedcd81f5ae94ec2d55fe98ed.html': '<!doctype html><title>Page</title><h1>Page</h1>',
    'attachments/0123456789abcdef/photo.png': Buffer.from([0x89, 0x50, 0x4e, 0x47]),
    'attachments/0123456789abcdef/report.pdf': '%PDF-1.4',
    'attachments/0123456789abcdef/archive.bin': Buffer.alloc(10, 1),
    'attachments/0123456789abcdef/clip.mp4': Buffer.alloc(10, 2),
    'Tasks.csv': 'a,b\n1,2\n',
    'report.json': '{}',
    '100% done.md': '# Done',
    '%2e%2e/secret.txt': 'a file called %2e%2e, inside',
    '.Page.md.0123456789ab.tmp': 'half written',
  });
  fs.symlinkSync(path.join(outside(), 'secret.txt'), path.join(dashboardDir(), 'secret.txt'));
  fs.symlinkSync(outside(), path.join(dashboardDir(), 'linked'));
  fs.symlinkSync('Tasks.csv', path.join(dashboardDir(), 'Again.csv'));
  await requestTestExport(ctx, 'dash', 'c1', dashboardDir());
  await completeTestExport(ctx, 'dash');
});
afterAll(async () => {
  g.__notionSyncContext = undefined;
  await ctx.cleanup();
});

const get = (id: string, segments: string[], query = '', headers: HeadersInit = viewer) =>
  GET(new Request(`http://localhost/api/exports/${encodeURIComponent(id)}/files/${segments.map(encodeURIComponent).join('/')}${query}`, { headers }), {
    params: Promise.resolve({ id, path: segments }),
  });

const expectSandboxed = (response: Response) => {
  expect(response.headers.get('content-security-policy')).toBe(SANDBOX);
  expect(response.headers.get('x-content-type-options')).toBe('nosniff');
};

describe('GET /api/exports/[id]/files/[...path]', () => {
  it('answers 401 without a session, before reading anything, sandboxed like every answer', async () => {
    const refused: HeadersInit[] = [{}, { cookie: 'better-auth.session_token=forged.value' }];
    for (const headers of refused) {
      const response = await get('dash', ['report.json'], '', headers);
      expect(response.status).toBe(401);
      expectSandboxed(response);
    }
  });

  it('refuses traversal, encoded and double-encoded, absolute paths, NUL and hidden or temp files, and never serves what lies outside', async () => {
    const refused: string[][] = [
      ['..', 'outside', 'secret.txt'],
      ['..', '..', 'etc', 'passwd'],
      ['../outside/secret.txt'], // %2F decoded by the router into the segment
      ['..%2Foutside%2Fsecret.txt'], // not decoded: a name starting with a dot
      ['..\\outside\\secret.txt'],
      ['.', 'report.json'],
      ['', 'etc', 'passwd'],
      ['/etc/passwd'],
      ['C:\\Windows', 'win.ini'],
      ['C:', 'Windows'],
      ['report.json\0.png'],
      ['\0'],
      ['.Page.md.0123456789ab.tmp'],
      ['.env'],
      [],
      Array.from({ length: 65 }, () => 'a'),
    ];
    for (const segments of refused) {
      const response = await get('dash', segments);
      expect(response.status, JSON.stringify(segments)).toBe(400);
      expect(await response.json()).toEqual({ error: 'This is not a file of an export' });
      expectSandboxed(response);
    }
    // Decoded once and never again: `%2e%2e` and `..%2F…` are plain names, looked up inside the folder.
    expect(await (await get('dash', ['%2e%2e', 'secret.txt'])).text()).toBe('a file called %2e%2e, inside');
    for (const segments of [['%2e%2e%2fsecret.txt'], ['%2e%2e%2f..%2foutside', 'secret.txt'], ['%252e%252e', 'secret.txt']]) {
      const response = await get('dash', segments);
      expect(response.status, JSON.stringify(segments)).toBe(404);
      expect(await response.text()).not.toContain('secret');
    }
    for (const id of ['..', '%2e%2e', '../dash', 'dash\0']) {
      const response = await get(id, ['report.json']);
      expect(response.status, id).toBe(400);
      expect(await response.json()).toEqual({ error: 'This is not an export id' });
    }
  });

  it('never follows a link: to a file outside, to a folder outside, or to a file inside', async () => {
    for (const segments of [['secret.txt'], ['linked', 'secret.txt'], ['linked', 'Page.md'], ['Again.csv']]) {
      const response = await get('dash', segments, '?view=preview');
      expect(response.status, JSON.stringify(segments)).toBe(404);
      expect(await response.json()).toEqual({ error: 'This file is not part of export dash' });
    }
    // Nor a folder in place of the file, nor a file that is not there.
    expect((await get('dash', ['attachments'])).status).toBe(404);
    expect((await get('dash', ['missing.md'])).status).toBe(404);
    expect((await get('dash', ['report.json', 'x'])).status).toBe(404);
  });

  it("refuses an export folder that is a link, the files of a cancelled export, and a CLI folder's other files", async () => {
    fs.symlinkSync(outside(), path.join(ctx.config.exportsDir, 'linkdir'));
    await requestTestExport(ctx, 'linkdir', 'c1', path.join(ctx.config.exportsDir, 'linkdir'));
    await completeTestExport(ctx, 'linkdir');
    expect((await get('linkdir', ['secret.txt'])).status).toBe(404);

    writeFiles(path.join(ctx.config.exportsDir, 'gone'), { 'a.md': 'a' });
    await requestTestExport(ctx, 'gone', 'c1', path.join(ctx.config.exportsDir, 'gone'));
    await handle(ctx.store, 'gone', { type: 'CancelExport', data: { reason: 'test' } });
    expect((await get('gone', ['a.md'])).status).toBe(404);

    const cliDir = path.join(ctx.dir, 'cli-out');
    writeFiles(cliDir, { 'Page.md': '# Page', 'manifest.json': '{}', 'data/secret.key': 'k', 'notes.txt': 'mine' });
    await requestTestExport(ctx, 'cli', 'c1', cliDir);
    await completeTestExport(ctx, 'cli', ['Page.md']);
    expect((await get('cli', ['Page.md'])).status).toBe(200);
    expect((await get('cli', ['manifest.json'])).status).toBe(200);
    expect((await get('cli', ['data', 'secret.key'])).status).toBe(404);
    expect((await get('cli', ['notes.txt'])).status).toBe(404);
    expect((await get('nope', ['a.md'])).status).toBe(404);
  });

  it('renders Markdown as a sanitised page: front matter as a table, GFM tables, math, links to other pages previewed, no script', async () => {
    const response = await get('dash', ['Page 393abc1eedcd81f5ae94ec2d55fe98ed.md'], '?view=preview');
    expect(response.status).toBe(200);
    expectSandboxed(response);
    expect(response.headers.get('content-type')).toBe('text/html; charset=utf-8');
    const html = await response.text();
    expect(Number(response.headers.get('content-length'))).toBe(Buffer.byteLength(html));
    expect(html).toMatch(/^<!doctype html>/);
    expect(html).toContain('<table class="properties front-matter"><tbody><tr><th scope="row">title</th><td>Page</td></tr><tr><th scope="row">tags</th><td>a, b</td></tr>');
    expect(html).toContain('<th>Name</th>');
    expect(html).toContain('<td>Write</td>');
    expect(html).toContain('e = mc^2');
    expect(html).toContain('href="Page%20393abc1eedcd81f5ae94ec2d55fe98ed/Child.md?view=preview#part"');
    expect(html).toContain('href="https://example.com/a.md"');
    expect(html).not.toMatch(/<script|onerror|javascript:/i);
    expect(html).not.toContain('---');
  });

  it('sends the Markdown file itself without ?view=preview, and the export\'s HTML pages as they are', async () => {
    const raw = await get('dash', ['Page 393abc1eedcd81f5ae94ec2d55fe98ed', 'Child.md']);
    expect(raw.headers.get('content-type')).toBe('text/markdown; charset=utf-8');
    expect(await raw.text()).toBe('# Child\n');
    const page = await get('dash', ['Page 393abc1eedcd81f5ae94ec2d55fe98ed.html'], '?view=preview');
    expect(page.headers.get('content-type')).toBe('text/html; charset=utf-8');
    expectSandboxed(page);
    expect(await page.text()).toBe('<!doctype html><title>Page</title><h1>Page</h1>');
    expect((await get('dash', ['100% done.md'], '?view=preview')).status).toBe(200);
    // CSV and JSON show as text in the preview pane.
    const csv = await get('dash', ['Tasks.csv'], '?view=preview');
    expect(csv.headers.get('content-type')).toBe('text/plain; charset=utf-8');
    expect(await csv.text()).toBe('a,b\n1,2\n');
    expect((await get('dash', ['attachments', '0123456789abcdef', 'photo.png'], '?view=preview')).headers.get('content-type')).toBe('image/png');
  });

  it('shows images, PDF and text in the browser, and has anything else saved, each with its length', async () => {
    const cases: [string[], string, string][] = [
      [['attachments', '0123456789abcdef', 'photo.png'], 'image/png', 'inline'],
      [['attachments', '0123456789abcdef', 'report.pdf'], 'application/pdf', 'inline'],
      [['Tasks.csv'], 'text/csv; charset=utf-8', 'inline'],
      [['report.json'], 'application/json; charset=utf-8', 'inline'],
      [['attachments', '0123456789abcdef', 'archive.bin'], 'application/octet-stream', 'attachment'],
      [['attachments', '0123456789abcdef', 'clip.mp4'], 'application/octet-stream', 'attachment'],
    ];
    for (const [segments, type, disposition] of cases) {
      const response = await get('dash', segments);
      expect(response.status, segments.join('/')).toBe(200);
      expect(response.headers.get('content-type'), segments.join('/')).toBe(type);
      expect(response.headers.get('content-disposition')).toMatch(new RegExp(`^${disposition}; filename="${segments.at(-1)}"`));
      expectSandboxed(response);
      const body = Buffer.from(await response.arrayBuffer());
      expect(Number(response.headers.get('content-length'))).toBe(body.length);
      expect(body.equals(fs.readFileSync(path.join(dashboardDir(), ...segments)))).toBe(true);
    }
  });

  it('says a Markdown file is too large to preview rather than rendering it', async () => {
    writeFiles(dashboardDir(), { 'Huge.md': `# Huge\n${'x'.repeat(2 * 1024 * 1024)}` });
    const response = await get('dash', ['Huge.md'], '?view=preview');
    const html = await response.text();
    expect(html).toContain('Huge.md is 2.0 MB, too large to preview here.');
    expect(html).toContain('href="Huge.md"');
  });

  it('answers 403 to a signed-in person without a role', async () => {
    const headers = await signedInHeaders(ctx, 'viewer', 'norole@example.test');
    await ctx.database.client.execute("update user set role = 'nobody' where email = 'norole@example.test'");
    const response = await get('dash', ['report.json'], '', headers);
    expect(response.status).toBe(403);
    expectSandboxed(response);
    await authOf(ctx).api.signOut({ headers });
  });
});
