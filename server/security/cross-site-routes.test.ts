import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { AppContext } from '@/server/context';
import { FEATURE_FLAG_NAMES, setFlag } from '@/server/feature-flags';
import { signedInHeaders } from '@/server/testing/sessions';
import { createTestContext, type TestContext } from '@/server/testing/test-context';

/**
 * Every state-changing route handler of ours under app/api (better-auth's own, under
 * app/api/auth, has its origin check: server/auth/auth.int.test.ts) refuses a request from
 * another site before anything else, even an admin's: a handler added without
 * `refuseCrossSiteRequest` fails here.
 */
const ROOT = path.resolve(__dirname, '../..');
const API = path.join(ROOT, 'app', 'api');
const STATE_CHANGING = ['POST', 'PUT', 'PATCH', 'DELETE'] as const;

function routeModules(dir: string): string[] {
  return fs.readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const full = path.join(dir, entry.name);
    if (entry.isDirectory()) return full === path.join(API, 'auth') ? [] : routeModules(full);
    return entry.name === 'route.ts' ? [full] : [];
  });
}

/**
 * Routes that browsers do not call, with why the Origin rule does not fit: they read no cookie,
 * and their own check refuses a request made from a page (each is still called below, and must
 * refuse this one).
 */
const NOT_FROM_BROWSERS: Record<string, string> = {
  [path.join('app', 'api', 'webhooks', 'notion', 'route.ts')]:
    "Notion's servers post here with no Origin; the X-Notion-Signature is the check (app/api/webhooks/notion/route.int.test.ts)",
};

const modules = routeModules(API).map((file) => path.relative(ROOT, file));

type Handler = (request: Request, context: { params: Promise<Record<string, string>> }) => Promise<Response>;

let ctx: TestContext;
let admin: Headers;
const g = globalThis as typeof globalThis & { __notionSyncContext?: Promise<AppContext> };

beforeAll(async () => {
  ctx = await createTestContext({ publicUrl: 'https://exports.example.test' });
  g.__notionSyncContext = Promise.resolve(ctx);
  admin = await signedInHeaders(ctx, 'admin');
  // Every flagged route on, so that its own check answers, not a 404.
  for (const name of FEATURE_FLAG_NAMES) await setFlag(ctx.database.db, name, true);
});
afterAll(async () => {
  g.__notionSyncContext = undefined;
  await ctx.cleanup();
});

describe('state-changing route handlers under app/api', () => {
  it('are found (the tRPC API and the setup form at least)', () => {
    expect(modules).toEqual(expect.arrayContaining([path.join('app', 'api', 'trpc', '[trpc]', 'route.ts'), path.join('app', 'api', 'setup', 'route.ts')]));
  });

  it.each(modules)('%s refuses a cross-site POST, PUT, PATCH or DELETE with 403, even with an admin’s session', async (file) => {
    const route = (await import(path.join(ROOT, file))) as Partial<Record<(typeof STATE_CHANGING)[number], Handler>>;
    for (const method of STATE_CHANGING) {
      const handler = route[method];
      if (!handler) continue;
      const request = new Request('https://exports.example.test/api/x', {
        method,
        headers: { cookie: admin.get('cookie') ?? '', origin: 'https://evil.example', 'content-type': 'application/json' },
        body: '{}',
      });
      const response = await handler(request, { params: Promise.resolve({}) });
      if (file in NOT_FROM_BROWSERS) {
        // Refused by its own check (a cookie is worth nothing there), whatever it answers.
        expect(response.status, `${method} ${file}: ${NOT_FROM_BROWSERS[file]}`).toBeGreaterThanOrEqual(400);
        continue;
      }
      expect(response.status, `${method} ${file}`).toBe(403);
      expect(await response.json()).toEqual({ error: 'This request comes from another site; the dashboard accepts changes only from its own pages.' });
    }
  });
});
