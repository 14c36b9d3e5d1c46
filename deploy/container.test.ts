import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { DockerfileParser } from 'dockerfile-ast';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { copyOf, stagesOf } from '@/deploy/container/dockerfile-rules';

const root = path.resolve(import.meta.dirname, '..');
const entrypoint = path.join(root, 'deploy/container/entrypoint.sh');
const healthcheck = path.join(root, 'deploy/container/healthcheck.mjs');
const scripts = JSON.parse(fs.readFileSync(path.join(root, 'package.json'), 'utf8')).scripts as Record<string, string>;
/** Only these variables (Next's types make NODE_ENV required in a process's environment). */
const only = (vars: Record<string, string | undefined>) => vars as NodeJS.ProcessEnv;
const temps: string[] = [];
const temp = () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'notion-sync-container-'));
  temps.push(dir);
  return dir;
};
afterAll(() => {
  for (const dir of temps) fs.rmSync(dir, { recursive: true, force: true });
});

/** A `node` on PATH that only says how it was started: where, with what, with which of the variables. */
function fakeNode(): string {
  const bin = temp();
  fs.writeFileSync(
    path.join(bin, 'node'),
    // biome-ignore lint/suspicious/noTemplateCurlyInString: a shell script's ${NAME:-}
    '#!/bin/sh\nprintf \'%s\\n\' "cwd=$PWD" "HOSTNAME=${HOSTNAME:-}" "NEXT_MANUAL_SIG_HANDLE=${NEXT_MANUAL_SIG_HANDLE:-}" "$@"\n',
    { mode: 0o755 },
  );
  return bin;
}

describe('the entry script (deploy/container/entrypoint.sh)', () => {
  const bin = fakeNode();
  const run = (...args: string[]) => {
    const result = spawnSync('sh', [entrypoint, ...args], {
      cwd: os.tmpdir(),
      env: only({ PATH: `${bin}:${process.env.PATH}`, HOSTNAME: 'container-4f2a' }),
      encoding: 'utf8',
    });
    expect(result.stderr).toBe('');
    expect(result.status).toBe(0);
    return result.stdout.trim().split('\n');
  };

  it('runs the standalone server by default, from the app folder, on every interface, leaving SIGTERM to the app', () => {
    expect(run()).toEqual([`cwd=${root}`, 'HOSTNAME=0.0.0.0', 'NEXT_MANUAL_SIG_HANDLE=1', 'server.js']);
    expect(run('dashboard')).toEqual(run());
  });

  it('runs the worker and the CLI bundles with the memory flags npm run worker and npm run notion-sync use', () => {
    const flags = (script: string, bundle: string) => {
      const words = script.split(' ');
      expect(words[0]).toBe('node');
      expect(words.at(-1)).toBe(bundle);
      return words.slice(1, -1);
    };
    const worker = run('worker');
    expect(worker.slice(0, 3)).toEqual([`cwd=${root}`, 'HOSTNAME=container-4f2a', 'NEXT_MANUAL_SIG_HANDLE=']);
    expect(worker.slice(3)).toEqual([...flags(scripts.worker, 'dist/worker.cjs'), 'dist/worker.cjs']);
    const cli = run('cli', 'export', '--out', '/data/exports/one');
    expect(cli.slice(3)).toEqual([...flags(scripts['notion-sync'], 'dist/cli.cjs'), 'dist/cli.cjs', 'export', '--out', '/data/exports/one']);
  });

  it('runs any other command as given', () => {
    expect(spawnSync('sh', [entrypoint, 'echo', 'as', 'given'], { encoding: 'utf8' }).stdout).toBe('as given\n');
    const failing = spawnSync('sh', [entrypoint, 'sh', '-c', 'exit 7'], { encoding: 'utf8' });
    expect(failing.status).toBe(7);
  });
});

describe('the health check (deploy/container/healthcheck.mjs)', () => {
  let server: http.Server;
  let port = 0;
  let readyStatus = 200;
  const asked: string[] = [];
  beforeAll(async () => {
    server = http.createServer((req, res) => {
      asked.push(req.url ?? '');
      if (req.url === '/api/health/ready') res.writeHead(readyStatus).end(readyStatus === 200 ? '{"status":"ready"}' : '{"status":"not ready"}');
      else if (req.url === '/health/ready') res.writeHead(readyStatus).end(readyStatus === 200 ? '{"ok":true}' : '{"ok":false}');
      else res.writeHead(404).end();
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    port = (server.address() as AddressInfo).port;
  });
  afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));

  /** Runs the check as Docker would, with the container's process `args` (a /proc cmdline). */
  const check = (args: string[], env: Record<string, string>) =>
    new Promise<{ code: number | null; out: string }>((resolve) => {
      const cmdline = path.join(temp(), 'cmdline');
      fs.writeFileSync(cmdline, `${args.join('\0')}\0`);
      const child = spawn(process.execPath, [healthcheck, '--cmdline', cmdline], { env: only({ PATH: process.env.PATH, ...env }) });
      let out = '';
      child.stdout.on('data', (chunk) => {
        out += String(chunk);
      });
      child.on('close', (code) => resolve({ code, out }));
    });

  it('asks the dashboard its readiness on PORT: healthy on 200 only', async () => {
    readyStatus = 200;
    expect(await check(['node', 'server.js'], { PORT: String(port) })).toMatchObject({ code: 0 });
    readyStatus = 503;
    const notReady = await check(['node', 'server.js'], { PORT: String(port) });
    expect(notReady.code).toBe(1);
    expect(notReady.out).toContain('ready: 503');
    expect(asked.filter((url) => url === '/api/health/ready')).toHaveLength(2);
  });

  it('is unhealthy when the dashboard does not answer', async () => {
    const closed = http.createServer();
    await new Promise<void>((resolve) => closed.listen(0, '127.0.0.1', resolve));
    const closedPort = (closed.address() as AddressInfo).port;
    await new Promise<void>((resolve) => closed.close(() => resolve()));
    const result = await check(['node', 'server.js'], { PORT: String(closedPort) });
    expect(result.code).toBe(1);
    expect(result.out).toContain('unhealthy');
  });

  it('asks a worker its readiness on METRICS_PORT (healthy on 200 only), and takes no port as nothing to ask', async () => {
    const worker = ['node', '--max-semi-space-size=1', 'dist/worker.cjs'];
    readyStatus = 200;
    expect(await check(worker, { METRICS_PORT: String(port) })).toMatchObject({ code: 0, out: 'worker ready: 200 {"ok":true}\n' });
    readyStatus = 503;
    expect(await check(worker, { METRICS_PORT: String(port) })).toMatchObject({ code: 1, out: 'worker ready: 503 {"ok":false}\n' });
    expect(asked.filter((url) => url === '/health/ready')).toHaveLength(2);
    expect(await check(worker, {})).toMatchObject({ code: 0, out: 'worker: nothing to ask\n' });
    expect(await check(['node', 'dist/cli.cjs', 'exports'], { PORT: String(port) })).toMatchObject({ code: 0, out: 'other: nothing to ask\n' });
  });
});

/**
 * The worker and the CLI from the files the image holds: the bundles the build makes, the packages
 * trace-modules.mjs copies, the migrations and the entry script, in a folder with no node_modules
 * above it. (The dashboard's standalone server is tested as the image runs it elsewhere; images
 * cannot be built here.)
 */
describe('the worker and the CLI from the image’s files', () => {
  const dockerfile = fs.readFileSync(path.join(root, 'Dockerfile'), 'utf8');
  const runtime = stagesOf(DockerfileParser.parse(dockerfile)).at(-1);
  const copied = (runtime?.instructions ?? []).filter((i) => i.getKeyword() === 'COPY').map(copyOf);
  /** What the Dockerfile copies into dist/: the bundles by name, the code caches by a glob. */
  const fromDist = copied.flatMap((c) => c.sources).filter((s) => s.startsWith('/app/dist/')).map((s) => path.posix.basename(s));
  const bundles = fromDist.filter((name) => !name.includes('*'));
  /** A COPY source's name as Docker matches it (`*`: any characters). */
  const matches = (file: string) =>
    fromDist.some((name) => new RegExp(`^${name.replace(/[.+?^${}()|[\]\\]/g, '\\$&').replaceAll('*', '.*')}$`).test(file));
  /** The files of the build's dist/ those sources copy into the image. */
  let inImage: string[] = [];
  // Built inside node_modules so the bundles' packages resolve there (as in the image's build stage).
  const buildDir = path.join(root, 'node_modules', '.cache', `notion-sync-image-test-${process.pid}`);
  const app = path.join(temp(), 'app');
  const data = path.join(path.dirname(app), 'data');
  const env = only({
    PATH: process.env.PATH,
    DATABASE_URL: `file:${path.join(data, 'notion-sync.db')}`,
    EXPORTS_DIR: path.join(data, 'exports'),
    NOTION_SYNC_SECRET: 'image-test-secret-of-enough-length',
    NOTION_SYNC_ENV: 'development',
  });
  let worker: ChildProcess | undefined;

  beforeAll(() => {
    const built = spawnSync(process.execPath, ['scripts/build-bundles.mjs', '--out-dir', path.join(buildDir, 'dist')], { cwd: root, encoding: 'utf8' });
    expect(built.stderr).toBe('');
    expect(built.status).toBe(0);
    const traced = spawnSync(
      process.execPath,
      ['deploy/container/trace-modules.mjs', path.join(app, '..', 'runtime-modules'), ...bundles.map((b) => path.join(buildDir, 'dist', b))],
      { cwd: root, encoding: 'utf8' },
    );
    expect(traced.stderr).toBe('');
    expect(traced.stdout).toContain('libsql loads with its native binary');
    expect(traced.status).toBe(0);
    // As the Dockerfile's COPY lines lay them out.
    fs.mkdirSync(path.join(app, 'dist'), { recursive: true });
    inImage = fs.readdirSync(path.join(buildDir, 'dist')).filter(matches).sort();
    for (const file of inImage) fs.copyFileSync(path.join(buildDir, 'dist', file), path.join(app, 'dist', file));
    fs.cpSync(path.join(app, '..', 'runtime-modules', 'node_modules'), path.join(app, 'node_modules'), { recursive: true });
    fs.cpSync(path.join(root, 'db', 'migrations'), path.join(app, 'db', 'migrations'), { recursive: true });
    fs.mkdirSync(path.join(app, 'deploy', 'container'), { recursive: true });
    fs.copyFileSync(entrypoint, path.join(app, 'deploy', 'container', 'entrypoint.sh'));
    for (const script of ['healthcheck.mjs', 'backup.mjs']) fs.copyFileSync(path.join(root, 'deploy/container', script), path.join(app, 'deploy/container', script));
    fs.mkdirSync(data);
  }, 120_000);

  afterAll(() => {
    worker?.kill('SIGKILL');
    fs.rmSync(buildDir, { recursive: true, force: true });
  });

  it('copies every bundle and code cache the bundle script makes, and nothing it does not', () => {
    const made = fs.readdirSync(path.join(buildDir, 'dist')).filter((f) => f.endsWith('.cjs') || f.endsWith('.code-cache'));
    expect(inImage).toEqual(made.sort());
    expect([...bundles].sort()).toEqual(made.filter((f) => f.endsWith('.cjs')).sort());
    // One cache for each starter's program (worker.cjs runs worker-program.cjs).
    const programs = bundles.filter((b) => b.endsWith('-program.cjs'));
    expect(programs).toEqual(expect.arrayContaining(['worker-program.cjs', 'cli-program.cjs']));
    for (const program of programs) {
      expect(inImage.filter((f) => f.startsWith(`${path.basename(program, '.cjs')}.`) && f.endsWith('.code-cache')), program).toHaveLength(1);
    }
  });

  /**
   * The image's dist/ after a start through the entry script. Writable here (unlike in the image)
   * and the same as copied, it shows that the starter found the cache for the entry script's flags
   * and V8 took it: with none for those flags it would have written one, and it removes one V8 refuses.
   */
  const expectDistAsCopied = () => expect(fs.readdirSync(path.join(app, 'dist')).sort()).toEqual(inImage);

  it('runs a CLI command on a fresh database (migrations applied) with no node_modules but the traced ones', () => {
    const result = spawnSync('sh', [path.join(app, 'deploy/container/entrypoint.sh'), 'cli', 'exports'], { cwd: os.tmpdir(), env, encoding: 'utf8' });
    expect(result.stderr).not.toMatch(/Cannot find module|Error:/);
    expect(result.status).toBe(0);
    expect(fs.existsSync(path.join(data, 'notion-sync.db'))).toBe(true);
    expectDistAsCopied();
  });

  it('backs up the database into a consistent copy, refusing to overwrite one', () => {
    const copy = path.join(data, 'backups', 'first.db');
    const backup = () => spawnSync('sh', [path.join(app, 'deploy/container/entrypoint.sh'), 'backup', copy], { cwd: os.tmpdir(), env, encoding: 'utf8' });
    const first = backup();
    expect(first.stderr).toBe('');
    expect(first.stdout).toBe(`${copy}\n`);
    const tables = spawnSync(
      process.execPath,
      ['-e', `const D = require('libsql'); const db = new D(${JSON.stringify(copy)}, { readonly: true }); process.stdout.write(String(db.prepare("select count(*) as n from sqlite_master where type = 'table'").get().n));`],
      { cwd: app, encoding: 'utf8' },
    );
    expect(Number(tables.stdout)).toBeGreaterThan(5);
    const again = backup();
    expect(again.status).toBe(1);
    expect(again.stderr).toContain('exists');
  });

  it('runs the worker, which the health check finds ready on its metrics port, and which stops cleanly on SIGTERM', async () => {
    const child = spawn('sh', [path.join(app, 'deploy/container/entrypoint.sh'), 'worker'], { cwd: os.tmpdir(), env: only({ ...env, METRICS_PORT: '0' }) });
    worker = child;
    let out = '';
    const started = new Promise<void>((resolve, reject) => {
      child.stdout.on('data', (chunk) => {
        out += String(chunk);
        if (out.includes(' running on ')) resolve();
      });
      child.on('exit', (code) => reject(new Error(`the worker exited (${code}): ${out}`)));
    });
    child.stderr.on('data', (chunk) => {
      out += String(chunk);
    });
    await started;
    const metricsPort = /metrics on port (\d+)/.exec(out)?.[1];
    expect(metricsPort).toBeDefined();
    // The entry script exec'd node: the worker is the process we started, as it is under tini.
    const pid = child.pid as number;
    const args = fs.readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0');
    expect(args).toContain('dist/worker.cjs');
    const health = spawnSync(process.execPath, [healthcheck, '--cmdline', `/proc/${pid}/cmdline`], {
      env: only({ PATH: process.env.PATH, METRICS_PORT: metricsPort }),
      encoding: 'utf8',
    });
    expect(health.stdout).toMatch(/^worker ready: 200 \{"ok":true,/);
    expect(health.status).toBe(0);
    const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
    child.kill('SIGTERM');
    expect(await exited).toBe(0);
    worker = undefined;
    expectDistAsCopied();
  });
});
