import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import yauzl from 'yauzl';
import type { AppContext } from '@/server/context';
import { writeFiles } from '@/server/testing/files';
import { completeTestExport, requestTestExport, seedConnections } from '@/server/testing/seed';
import { signedInHeaders } from '@/server/testing/sessions';
import { createTestContext, type TestContext } from '@/server/testing/test-context';
import { GET } from './route';
import { authOf } from '@/server/auth/auth';
import { CLIENT_ADDRESS_HEADER } from '@/server/security/client-address';
import { metricsState } from '@/server/observability/metrics';

/**
 * The route as Next calls it, with ids as they arrive from a URL: who asks is checked first, then
 * refused ids are answered before the export or the disk is read.
 */
let ctx: TestContext;
let contextRequests = 0;
const g = globalThis as typeof globalThis & { __notionSyncContext?: Promise<AppContext> };

beforeAll(async () => {
  ctx = await createTestContext();
  await seedConnections(ctx, ['c1']);
  viewer = await signedInHeaders(ctx, 'viewer');
  // The process-wide context, counted each time the route asks for it.
  g.__notionSyncContext = {
    // biome-ignore lint/suspicious/noThenProperty: a promise-like that counts who awaits it
    then(resolve: (value: AppContext) => unknown) {
      contextRequests += 1;
      return Promise.resolve(resolve(ctx));
    },
  } as unknown as Promise<AppContext>;
});
afterAll(async () => {
  g.__notionSyncContext = undefined;
  await ctx.cleanup();
});
beforeEach(() => {
  contextRequests = 0;
});

let viewer: Headers;
const get = (id: string, headers: HeadersInit = viewer) =>
  GET(new Request(`http://localhost/api/exports/${encodeURIComponent(id)}/download`, { headers }), { params: Promise.resolve({ id }) });

async function auditCount(): Promise<number> {
  return Number((await ctx.database.client.execute('select count(*) as n from audit_events')).rows[0]?.n);
}

async function completedExport(id: string, outDir: string, recorded: string[] = []): Promise<void> {
  await requestTestExport(ctx, id, 'c1', outDir);
  await completeTestExport(ctx, id, recorded);
}

async function zipEntryNames(response: Response): Promise<string[]> {
  const body = Buffer.from(await response.arrayBuffer());
  const zip = await yauzl.fromBufferPromise(body, { lazyEntries: true });
  const names: string[] = [];
  await new Promise<void>((resolve, reject) => {
    zip.on('entry', (entry: yauzl.Entry) => {
      names.push(entry.fileName);
      zip.readEntry();
    });
    zip.once('end', resolve);
    zip.once('error', reject);
    zip.readEntry();
  });
  return names;
}

const zipDownloadsCompleted = async () =>
  (await metricsState().process.zipDownloads.get()).values.find((v) => v.labels.outcome === 'completed')?.value ?? 0;
const zipBytesSent = async () => (await metricsState().process.zipBytes.get()).values[0]?.value ?? 0;

describe('GET /api/exports/[id]/download', () => {
  it('refuses traversal, encoded and double-encoded, absolute paths and NUL with 400 (401 without a session), reading no export', async () => {
    const crafted = [
      '..',
      '../..',
      '../../etc/passwd',
      '..%2F..%2Fetc%2Fpasswd',
      '%2e%2e%2f%2e%2e%2fetc%2fpasswd',
      '%252e%252e%252fetc',
      '..\\..\\windows',
      '/etc/passwd',
      'C:\\Windows',
      'e1\0',
      '%00',
      'e1/../e2',
      '.',
      '',
    ];
    const audited = await auditCount();
    for (const id of crafted) {
      const response = await get(id);
      expect(response.status, JSON.stringify(id)).toBe(400);
      expect(await response.json()).toEqual({ error: 'This is not an export id' });
      expect((await get(id, {})).status, JSON.stringify(id)).toBe(401);
    }
    // The context was asked for once per request, for the session check; nothing was downloaded.
    expect(contextRequests).toBe(crafted.length * 2);
    expect(await auditCount()).toBe(audited);
  });

  it('answers 401 without a session and with a forged or signed-out cookie, before reading the export', async () => {
    const root = path.join(ctx.config.exportsDir, 'private1');
    writeFiles(root, { 'report.json': '{}', 'Page.md': '# Page\n' });
    await completedExport('private1', root);
    const signedOut = await signedInHeaders(ctx, 'viewer', 'gone@example.test');
    await authOf(ctx).api.signOut({ headers: signedOut });
    const refused: HeadersInit[] = [{}, { cookie: 'better-auth.session_token=forged.value' }, signedOut];
    for (const headers of refused) {
      const response = await get('private1', headers);
      expect(response.status).toBe(401);
      expect(response.headers.get('content-type')).toContain('application/json');
    }
    expect((await get('private1')).status).toBe(200);
  });

  it('answers 404 for an id that is no export', async () => {
    const response = await get('0b6a3c3e-4f7e-4d1b-9a55-8d0f7c3b2a10');
    expect(response.status).toBe(404);
    expect(contextRequests).toBe(1);
  });

  it('zips a dashboard export without the links inside it, wherever they point', async () => {
    const root = path.join(ctx.config.exportsDir, 'dash1');
    writeFiles(root, { 'report.json': '{}', 'Page.md': '# Page\n', 'Page/Child.md': '# Child\n' });
    writeFiles(ctx.dir, { 'outside/secret.txt': 'secret' });
    fs.symlinkSync(path.join(ctx.dir, 'outside', 'secret.txt'), path.join(root, 'secret.txt'));
    fs.symlinkSync(path.join(ctx.dir, 'outside'), path.join(root, 'Page', 'outside'));
    fs.symlinkSync(ctx.database.url.replace(/^file:/, ''), path.join(root, 'state.db'));
    fs.symlinkSync('Page.md', path.join(root, 'Again.md'));
    await completedExport('dash1', root);
    const response = await get('dash1');
    expect(response.status).toBe(200);
    expect(await zipEntryNames(response)).toEqual(['Page/', 'Page/Child.md', 'Page.md', 'report.json']);
  });

  it("names the zip after the workspace and the day it finished (RFC 6266), sends its length when known, and records the download", async () => {
    await ctx.database.client.execute("update connections set workspace_name = 'Équipe R&D: \"Q3\" / 2026' where id = 'c1'");
    try {
      const root = path.join(ctx.config.exportsDir, 'named1');
      writeFiles(root, { 'report.json': '{}', 'a.png': 'x'.repeat(5000), 'Page.md': '# Page\n' });
      await completedExport('named1', root);
      const [row] = (await ctx.database.client.execute("select finished_at from exports where id = 'named1'")).rows;
      const day = new Date(Number(row?.finished_at)).toISOString().slice(0, 10);
      const headers = await signedInHeaders(ctx, 'viewer', 'downloader@example.test');
      // As recordClientAddresses writes it when the request arrives.
      headers.set(CLIENT_ADDRESS_HEADER, '203.0.113.9');
      const [downloadsBefore, bytesBefore] = [await zipDownloadsCompleted(), await zipBytesSent()];
      const response = await get('named1', headers);
      expect(response.status).toBe(200);
      expect(response.headers.get('content-disposition')).toBe(
        `attachment; filename="Equipe R&D Q3 2026-${day}.zip"; filename*=UTF-8''%C3%89quipe%20R&D%20Q3%202026-${day}.zip`,
      );
      // Mostly an image, stored anyway: the whole zip is stored and its length known.
      const body = Buffer.from(await response.clone().arrayBuffer());
      expect(Number(response.headers.get('content-length'))).toBe(body.length);
      // Counted once it was all sent: one download, its bytes.
      expect(await zipDownloadsCompleted()).toBe(downloadsBefore + 1);
      expect(await zipBytesSent()).toBe(bytesBefore + body.length);
      expect(await zipEntryNames(response)).toEqual(['Page.md', 'a.png', 'report.json']);
      const [entry] = (await ctx.database.client.execute("select * from audit_events where action = 'export.downloaded' and target_id = 'named1'")).rows;
      expect(entry).toMatchObject({ actor_email: 'downloader@example.test', address: '203.0.113.9', target_type: 'export', outcome: 'ok' });
      expect(JSON.parse(String(entry?.detail))).toEqual({ fileName: `Équipe R&D Q3 2026-${day}.zip`, bytes: body.length });
    } finally {
      await ctx.database.client.execute("update connections set workspace_name = null where id = 'c1'");
    }
  });

  it('sends a zip of mostly text deflated, without a length, and falls back to notion-export-<day> without a usable name', async () => {
    const root = path.join(ctx.config.exportsDir, 'text1');
    writeFiles(root, { 'Page.md': '# Page\n'.repeat(300_000) });
    await ctx.database.client.execute("update connections set name = '...', workspace_name = null where id = 'c1'");
    try {
      await completedExport('text1', root);
      const response = await get('text1');
      expect(response.headers.get('content-length')).toBeNull();
      expect(response.headers.get('content-disposition')).toMatch(/^attachment; filename="notion-export-\d{4}-\d{2}-\d{2}\.zip"; filename\*=UTF-8''notion-export-/);
      expect(await zipEntryNames(response)).toEqual(['Page.md']);
    } finally {
      await ctx.database.client.execute("update connections set name = 'n' where id = 'c1'");
    }
  });

  it("zips only the export's own files from a folder chosen with the CLI", async () => {
    const root = path.join(ctx.dir, 'cli-out');
    writeFiles(root, { 'report.json': '{}', 'manifest.json': '{}', 'Page.md': '# Page\n', '.env': 'NOTION_SYNC_SECRET=x', 'data/secret.key': 'k' });
    await completedExport('cli1', root, ['report.json', 'Page.md']);
    const response = await get('cli1');
    expect(response.status).toBe(200);
    expect(await zipEntryNames(response)).toEqual(['Page.md', 'manifest.json', 'report.json']);
  });
});
