import fs from 'node:fs';
import path from 'node:path';
import { DockerfileParser } from 'dockerfile-ast';
import { validate } from 'dockerfile-utils';
import { describe, expect, it } from 'vitest';
import { argumentsOf, copyOf, execForm, flagsOf, lintDockerfile, stagesOf } from '@/deploy/container/dockerfile-rules';
import { CONFIG_VARIABLES, loadConfig, PLATFORM_VARIABLES } from '@/server/config';

const root = path.resolve(import.meta.dirname, '..');
const read = (file: string) => fs.readFileSync(path.join(root, file), 'utf8');
const text = read('Dockerfile');
const dockerfile = DockerfileParser.parse(text);
const stages = stagesOf(dockerfile);
const runtime = stages.at(-1);
if (!runtime) throw new Error('the Dockerfile has no stage');
const only = (keyword: string) => {
  const found = runtime.instructions.filter((i) => i.getKeyword() === keyword);
  expect(found, keyword).toHaveLength(1);
  return found[0];
};
const workdir = argumentsOf(only('WORKDIR'));
const inApp = (destination: string) => path.posix.resolve(workdir, destination);

/** ENV of the last stage, as the processes in the container see it. */
const imageEnv: Record<string, string> = Object.fromEntries(
  runtime.instructions
    .filter((i) => i.getKeyword() === 'ENV')
    .flatMap((i) => [...argumentsOf(i).matchAll(/([A-Z_][A-Z0-9_]*)=(\S+)/g)].map((m) => [m[1], m[2]])),
);

/** Files of the runtime stage copied from the build context: source → where it lands. */
const fromContext = runtime.instructions
  .filter((i) => i.getKeyword() === 'COPY')
  .map(copyOf)
  .filter((c) => c.flags.from === undefined);

/** `.dockerignore`'s patterns (the simple ones used there: names, folders, `*` within a name). */
function ignored(file: string): boolean {
  const patterns = read('.dockerignore')
    .split('\n')
    .map((line) => line.trim())
    .filter((line) => line !== '' && !line.startsWith('#'));
  return patterns.some((pattern) => {
    const re = new RegExp(`^${pattern.replace(/[.+^${}()|[\]\\]/g, '\\$&').replaceAll('*', '[^/]*')}(/|$)`);
    return re.test(file);
  });
}

describe('Dockerfile', () => {
  it('has no problem hadolint would report (its rules for this kind of image) and parses cleanly', () => {
    expect(lintDockerfile(text)).toEqual([]);
    expect(validate(text)).toEqual([]);
  });

  it('builds on Debian slim with the Node.js major the project requires, in three named stages', () => {
    const major = /(\d+)/.exec(JSON.parse(read('package.json')).engines.node)?.[1];
    expect(stages.map((s) => s.name)).toEqual(['deps', 'build', 'runtime']);
    for (const stage of stages) expect(stage.image).toBe(`node:${major}-bookworm-slim`);
  });

  it('runs as a non-root numeric user (so Kubernetes can check runAsNonRoot) who owns only /data', () => {
    const user = argumentsOf(only('USER'));
    expect(user).toMatch(/^[1-9]\d*:[1-9]\d*$/);
    const [uid] = user.split(':');
    const volume = execForm(only('VOLUME'));
    expect(volume).toEqual(['/data']);
    const runs = runtime.instructions.filter((i) => i.getKeyword() === 'RUN').map(argumentsOf);
    expect(runs.some((r) => r.includes(`chown -R ${uid}:`) && r.includes('/data'))).toBe(true);
    expect(runtime.instructions.filter((i) => i.getKeyword() === 'COPY').map((i) => copyOf(i).flags.chown)).toEqual(
      runtime.instructions.filter((i) => i.getKeyword() === 'COPY').map(() => undefined),
    );
  });

  it('keeps the database, the key file and the exports on the /data volume, as the configuration reads them', () => {
    const config = loadConfig(imageEnv);
    expect(config.databaseUrl).toBe('file:/data/notion-sync.db');
    expect(config.dataDir).toBe('/data');
    expect(config.exportsDir).toBe('/data/exports');
    for (const name of Object.keys(imageEnv)) expect([...CONFIG_VARIABLES, ...PLATFORM_VARIABLES], name).toContain(name);
  });

  it('exposes the port the configuration listens on', () => {
    expect(argumentsOf(only('EXPOSE'))).toBe(String(loadConfig(imageEnv).port));
    expect(loadConfig({}).port).toBe(Number(argumentsOf(only('EXPOSE'))));
  });

  it('starts through tini and the entry script it copies, the dashboard by default', () => {
    const entrypoint = execForm(only('ENTRYPOINT'));
    expect(entrypoint?.slice(0, 2)).toEqual(['/usr/bin/tini', '--']);
    const script = entrypoint?.[2];
    const copied = fromContext.find((c) => inApp(c.destination) === script);
    expect(copied?.sources).toEqual(['deploy/container/entrypoint.sh']);
    expect(copied?.flags.chmod).toBe('0755');
    expect(runtime.instructions.some((i) => i.getKeyword() === 'RUN' && argumentsOf(i).includes('install -y --no-install-recommends tini'))).toBe(true);
    const commands = [...read('deploy/container/entrypoint.sh').matchAll(/^ {2}([a-z]+)\)$/gm)].map((m) => m[1]);
    expect(commands).toEqual(['dashboard', 'worker', 'cli', 'backup']);
    expect(execForm(only('CMD'))).toEqual(['dashboard']);
  });

  it('checks health with node against the readiness route, which exists, within the timeout it gives', () => {
    const healthcheck = only('HEALTHCHECK');
    const words = execForm(healthcheck);
    expect(words?.[0]).toBe('node');
    const copied = fromContext.find((c) => c.sources.some((s) => inApp(c.destination + path.posix.basename(s)) === words?.[1]));
    expect(copied?.sources).toContain('deploy/container/healthcheck.mjs');
    const script = read('deploy/container/healthcheck.mjs');
    const route = /\/api\/health\/ready/.exec(script)?.[0];
    expect(route).toBe('/api/health/ready');
    expect(read(`app${route}/route.ts`)).toMatch(/export (async )?function GET/);
    expect(script).not.toMatch(/child_process/);
    const timeout = Number(/^(\d+)s$/.exec(flagsOf(healthcheck).timeout)?.[1]) * 1000;
    expect(Number(/TIMEOUT_MS = (\d+)/.exec(script)?.[1])).toBeLessThan(timeout);
  });

  it('copies from the build only what the build makes, and every bundle and code cache the build makes', () => {
    const build = stages.find((s) => s.name === 'build');
    const runs = (build?.instructions ?? []).filter((i) => i.getKeyword() === 'RUN').map(argumentsOf).join(' && ');
    const scripts = JSON.parse(read('package.json')).scripts as Record<string, string>;
    const copied = runtime.instructions.filter((i) => i.getKeyword() === 'COPY').map(copyOf);
    // The bundles and the programs' code caches (deploy/container.test.ts checks these are exactly
    // the files the bundle script makes, and that the starters find the caches for the image's flags).
    const fromDist = copied.filter((c) => c.flags.from === 'build').flatMap((c) => c.sources.filter((source) => source.startsWith('/app/dist/')).map((source) => source.slice('/app/'.length)));
    const caches = fromDist.filter((source) => source.endsWith('.code-cache'));
    const bundles = fromDist.filter((source) => !caches.includes(source));
    expect(bundles).toEqual(expect.arrayContaining(['dist/worker.cjs', 'dist/cli.cjs']));
    for (const bundle of bundles) expect(bundle).toMatch(/^dist\/[a-z-]+\.cjs$/);
    // Every cache, whatever its program's hash and V8's tag: one glob, into the bundles' folder.
    expect(caches).toEqual(['dist/*.code-cache']);
    expect(copied.find((c) => c.sources.includes('/app/dist/*.code-cache'))?.destination).toBe('./dist/');
    expect(new Set(copied.filter((c) => c.sources.some((source) => source.startsWith('/app/dist/'))).map((c) => c.destination))).toEqual(new Set(['./dist/']));
    // What each source of the build stage is made by.
    const made: Record<string, () => void> = {
      '/app/.next/standalone': () => {
        expect(scripts.build).toBe('next build');
        expect(runs).toContain('npm run build');
        expect(read('next.config.js')).toMatch(/output: 'standalone'/);
      },
      '/app/.next/static': () => expect(runs).toContain('npm run build'),
      '/runtime-modules/node_modules': () => expect(runs).toContain(`node deploy/container/trace-modules.mjs /runtime-modules ${bundles.join(' ')}`),
      '/app/db/migrations': () => expect(fs.existsSync(path.join(root, 'db/migrations/meta/_journal.json'))).toBe(true),
      ...Object.fromEntries(
        fromDist.map((file) => [`/app/${file}`, () => expect(runs).toMatch(/node scripts\/build-bundles\.mjs( &&|$)/)]),
      ),
    };
    const copiedFromBuild = copied.filter((c) => c.flags.from === 'build');
    const sources = copiedFromBuild.flatMap((c) => c.sources);
    for (const source of sources) {
      expect(Object.keys(made), source).toContain(source);
      made[source]();
    }
    expect(sources).toEqual(expect.arrayContaining(fromDist.map((file) => `/app/${file}`)));
    // The migrations land where the code looks for them (process.cwd()/db/migrations, the app's folder).
    expect(copiedFromBuild.find((c) => c.sources[0] === '/app/db/migrations')?.destination).toBe('./db/migrations');
    expect(read('db/migrate.ts')).toContain("path.join(process.cwd(), 'db', 'migrations')");
  });

  it('copies from the build context only files that exist and that .dockerignore lets through', () => {
    const all = stages.flatMap((s) => s.instructions.filter((i) => i.getKeyword() === 'COPY').map(copyOf)).filter((c) => c.flags.from === undefined);
    for (const source of all.flatMap((c) => c.sources).filter((s) => s !== '.')) {
      expect(fs.existsSync(path.join(root, source)), source).toBe(true);
      expect(ignored(source), source).toBe(false);
    }
    for (const kept of ['package-lock.json', 'patches', 'scripts/build-bundles.mjs', 'deploy/container/trace-modules.mjs', 'db/migrations']) {
      expect(ignored(kept), kept).toBe(false);
    }
    for (const left of ['node_modules', '.next', 'data', 'dist', '.env.local', 'secrets', '.git']) expect(ignored(left), left).toBe(true);
  });
});

describe('the hadolint rules (deploy/container/dockerfile-rules.ts)', () => {
  const good = 'FROM node:20-bookworm-slim AS a\nWORKDIR /app\nUSER 1000\nCMD ["node"]\n';
  it.each([
    ['FROM node\nUSER 1000\n', 'DL3006'],
    ['FROM node:latest\nUSER 1000\n', 'DL3007'],
    ['FROM node:20\nWORKDIR app\nUSER 1000\n', 'DL3000'],
    ['FROM node:20\nRUN apt-get update && apt-get install -y tini && rm -rf /var/lib/apt/lists/*\nUSER 1000\n', 'DL3015'],
    ['FROM node:20\nRUN apt-get install --no-install-recommends tini && rm -rf /var/lib/apt/lists/*\nUSER 1000\n', 'DL3014'],
    ['FROM node:20\nRUN apt-get update && apt-get install -y --no-install-recommends tini\nUSER 1000\n', 'DL3009'],
    ['FROM node:20\nRUN cd /app && npm ci\nUSER 1000\n', 'DL3003'],
    ['FROM node:20\nRUN npm install\nUSER 1000\n', 'DL3016'],
    ['FROM node:20\nADD src /app/src\nUSER 1000\n', 'DL3020'],
    ['FROM node:20\nCOPY a b /app\nUSER 1000\n', 'DL3021'],
    ['FROM node:20\nCOPY --from=nowhere /a /b\nUSER 1000\n', 'DL3022'],
    ['FROM node:20\nUSER 1000\nCMD node server.js\n', 'DL3025'],
    ['FROM node:20\nCMD ["a"]\nCMD ["b"]\nUSER 1000\n', 'DL4003'],
    ['FROM node:20\nUSER root\n', 'DL3002'],
    ['FROM node:20\n', 'DL3002'],
  ])('finds %j (%s)', (dockerfileText, rule) => {
    expect(lintDockerfile(good)).toEqual([]);
    expect(lintDockerfile(dockerfileText).join('\n')).toContain(rule);
  });
});
