import fs from 'node:fs';
import path from 'node:path';
import { expect } from 'vitest';
import { CONFIG_VARIABLES, PLATFORM_VARIABLES, SECRET_VARIABLES } from '@/server/config';

/** What the deploy/ tests share: the repository's files, and the rules every deployment keeps. */
export const root = path.resolve(import.meta.dirname, '..');
export const readRepoFile = (file: string) => fs.readFileSync(path.join(root, file), 'utf8');

/** Variables a deployment may set: the configuration's (secrets' `_FILE` forms included) and the platform's. */
export const KNOWN_VARIABLES = new Set([...CONFIG_VARIABLES, ...PLATFORM_VARIABLES]);

/** Every variable is one the configuration knows; every `<NAME>_FILE` is a secret's. */
export function expectKnownVariables(names: string[], where: string): void {
  expect(names.length, where).toBeGreaterThan(0);
  for (const name of names) {
    expect(KNOWN_VARIABLES.has(name), `${where}: ${name} is not a variable server/config.ts knows`).toBe(true);
    if (name.endsWith('_FILE')) expect(SECRET_VARIABLES as readonly string[], `${where}: ${name}`).toContain(name.slice(0, -'_FILE'.length));
  }
}

/**
 * How long a process may take to stop on SIGTERM: the server gives its runner 10 s to finish the
 * pages in flight and exits after at most this long (server/boot.ts; the worker's runner.stop()
 * has the same 10 s grace).
 */
export function gracefulStopMs(): number {
  const forced = /setTimeout\(\(\) => process\.exit\(1\), ([\d_]+)\)/.exec(readRepoFile('server/boot.ts'))?.[1];
  expect(forced, 'server/boot.ts: the forced exit of a graceful stop').toBeDefined();
  const grace = /async stop\(graceMs = ([\d_]+)\)/.exec(readRepoFile('server/runner/runner.ts'))?.[1];
  expect(grace, 'server/runner/runner.ts: the grace of runner.stop()').toBeDefined();
  return Math.max(Number(forced?.replaceAll('_', '')), Number(grace?.replaceAll('_', '')));
}

/** Every route path under app/ (`/api/health/ready` for app/api/health/ready/route.ts). */
export function routeExists(urlPath: string): boolean {
  const file = path.join(root, 'app', ...urlPath.split('/').filter(Boolean), 'route.ts');
  return fs.existsSync(file) && /export (async )?function GET\b/.test(fs.readFileSync(file, 'utf8'));
}
