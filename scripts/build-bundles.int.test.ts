/**
 * The CLI and the worker as `npm run notion-sync` and `npm run worker` run them: bundles built by
 * scripts/build-bundles.mjs, started with plain node and the flags of package.json (no TypeScript
 * loader). The bundles go to a folder of their own under dist/ (inside the project, so that the
 * packages left outside them, libsql and its client, resolve from node_modules as they do for dist/).
 */
import { spawn, spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { startTwin, type Twin } from '@/e2e/notion-twin';
import { cliEnv, expectCompleteExport } from '@/server/testing/export-checks';

const ROOT = path.resolve(import.meta.dirname, '..');
const SCRIPTS = (JSON.parse(fs.readFileSync(path.join(ROOT, 'package.json'), 'utf8')) as { scripts: Record<string, string> }).scripts;

let twin: Twin;
let outDir: string;
let dir: string;

function build(args: string[]) {
  const result = spawnSync(process.execPath, ['scripts/build-bundles.mjs', ...args, '--out-dir', outDir], { cwd: ROOT, encoding: 'utf8' });
  if (result.status !== 0) throw new Error(`build-bundles ${args.join(' ')} exited ${result.status}: ${result.stderr}`);
}

/** A package.json script's node arguments, its bundle in dist/ replaced by the one this test built. */
function nodeArgs(script: string): string[] {
  const [command, ...args] = SCRIPTS[script]?.split(' ') ?? [];
  expect(command).toBe('node');
  const bundle = args.at(-1) ?? '';
  expect(bundle).toMatch(/^dist\/[a-z-]+\.cjs$/);
  return [...args.slice(0, -1), path.join(outDir, path.basename(bundle))];
}

/** Runs the built CLI as `npm run notion-sync -- …` does, with `env` added and `input` on stdin. */
function cli(args: string[], env: Record<string, string | undefined>, input = '') {
  return new Promise<{ code: number | null; stdout: string; stderr: string }>((resolve) => {
    const child = spawn(process.execPath, [...nodeArgs('notion-sync'), ...args], { cwd: ROOT, env: { ...process.env, ...env } });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => {
      stdout += String(d);
    });
    child.stderr.on('data', (d) => {
      stderr += String(d);
    });
    child.stdin.end(input);
    child.on('close', (code) => resolve({ code, stdout, stderr }));
  });
}

const inputsOf = (file: string): string[] => JSON.parse(fs.readFileSync(path.join(outDir, file.replace(/\.cjs$/, '.inputs.json')), 'utf8'));

beforeAll(async () => {
  fs.mkdirSync(path.join(ROOT, 'dist'), { recursive: true });
  outDir = fs.mkdtempSync(path.join(ROOT, 'dist', 'test-'));
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'notion-sync-bundles-'));
  twin = await startTwin({ workspace: { seed: 3, pages: 30, databases: 2, rowsPerDatabase: 5, depth: 2 } });
  build(['cli', 'worker']);
}, 120_000);
afterAll(async () => {
  await twin?.close();
  if (outDir) fs.rmSync(outDir, { recursive: true, force: true });
  if (dir) fs.rmSync(dir, { recursive: true, force: true });
});

describe('npm scripts', () => {
  it('run the CLI and the worker from their bundles with plain node and the same memory flags, built first, without a shell', () => {
    expect(SCRIPTS['prenotion-sync']).toBe('node scripts/build-bundles.mjs cli --if-stale');
    expect(SCRIPTS.preworker).toBe('node scripts/build-bundles.mjs worker --if-stale');
    const cliArgs = SCRIPTS['notion-sync']?.split(' ') ?? [];
    const workerArgs = SCRIPTS.worker?.split(' ') ?? [];
    expect(cliArgs.at(-1)).toBe('dist/cli.cjs');
    expect(workerArgs.at(-1)).toBe('dist/worker.cjs');
    expect(cliArgs.slice(0, -1)).toEqual(workerArgs.slice(0, -1));
    expect(cliArgs).toEqual(expect.arrayContaining(['--max-old-space-size=256', '--max-semi-space-size=1']));
    // Windows' cmd runs these too: no shell operators, variables or Unix commands.
    for (const name of ['prenotion-sync', 'notion-sync', 'preworker', 'worker', 'start']) {
      expect(SCRIPTS[name], name).toMatch(/^node [^&|;$<>`'"]+$/);
    }
    // tsx is left to the development tools.
    expect(Object.entries(SCRIPTS).filter(([, command]) => command.includes('tsx')).map(([name]) => name).sort()).toEqual(['bench', 'demo', 'twin']);
  });
});

describe('the CLI bundle', () => {
  it('leaves better-auth to the users command’s own file, and TypeScript to the build', () => {
    const cliInputs = inputsOf('cli.cjs');
    expect(cliInputs).toContain('server/cli.ts');
    expect(cliInputs).toContain('server/runner/runner.ts');
    expect(cliInputs.filter((f) => /node_modules\/(better-auth|@better-auth|kysely|jose)\//.test(f))).toEqual([]);
    expect(cliInputs).not.toContain('server/auth/users-command.ts');
    expect(inputsOf('cli-users.cjs')).toEqual(expect.arrayContaining(['server/auth/users-command.ts', 'node_modules/better-auth/dist/index.mjs']));
    const source = fs.readFileSync(path.join(outDir, 'cli-program.cjs'), 'utf8');
    // import() as require(): V8 drops a function's import() callback when it comes from a code cache.
    expect(source).toContain('require("./cli-users.cjs")');
    expect(source).not.toMatch(/\bimport\(/);
    expect(source).not.toMatch(/require\("tsx/);
  });

  it('leaves KaTeX to a file of its own, so the program is Latin-1 (V8 keeps it at one byte a character)', () => {
    for (const name of ['cli', 'worker']) {
      expect(inputsOf(`${name}.cjs`).filter((f) => f.includes('node_modules/katex/'))).toEqual([]);
      const source = fs.readFileSync(path.join(outDir, `${name}-program.cjs`), 'utf8');
      expect(source).toContain('require("./katex.cjs")');
      expect([...source].filter((c) => (c.codePointAt(0) ?? 0) > 0xff)).toEqual([]);
    }
    expect(inputsOf('katex.cjs')).toEqual(['node_modules/katex/dist/katex.js']);
  });

  it('exports a workspace, verifies it and lists it, as npm run notion-sync does', { timeout: 120_000 }, async () => {
    const out = path.join(dir, 'export');
    const env = cliEnv(twin, path.join(dir, 'export.db'));
    const exported = await cli(['export', '--out', out, '--progress', 'json', '--format', 'markdown,json,csv'], env);
    expect(JSON.parse(exported.stderr.trim().split('\n').at(-1) ?? '{}'), exported.stderr).toMatchObject({ type: 'result', exitCode: 0, status: 'completed', failed: 0 });
    expect(exported.code).toBe(0);
    await expectCompleteExport(out, twin, ['markdown', 'json', 'csv']);

    const verified = await cli(['verify', out], {});
    expect(verified.code).toBe(0);
    expect(verified.stderr).toContain('OK: every file');

    const listed = await cli(['exports'], env);
    expect(listed.code).toBe(0);
    expect(listed.stdout).toMatch(/Completed\s+\d+\/\d+/);
  });

  it('runs the users command from its own file: adds, lists, and refuses in words (exit 1)', { timeout: 60_000 }, async () => {
    const env = cliEnv(twin, path.join(dir, 'users.db'));
    const added = await cli(['users', 'add', 'Ops@Example.test', '--role', 'operator', '--password-stdin'], env, 'a long enough password\n');
    expect(added.stderr).toBe('');
    expect(added.stdout).toBe('Added ops@example.test (operator).\n');
    expect(added.code).toBe(0);
    const listed = await cli(['users', 'list'], env);
    expect(listed.stdout).toMatch(/^ops@example\.test\toperator\t/);
    // A DomainError of the users command's file is the same refusal as under tsx: its message alone.
    const refused = await cli(['users', 'set-role', 'nobody@example.test', 'viewer'], env);
    expect(refused.code).toBe(1);
    expect(refused.stderr.trim()).toBe('There is no user with the email nobody@example.test');
  });
});

describe('the worker bundle', () => {
  it('starts on a fresh database as npm run worker does, and stops on SIGTERM', { timeout: 60_000 }, async () => {
    const worker = spawn(process.execPath, nodeArgs('worker'), {
      cwd: ROOT,
      env: { ...process.env, ...cliEnv(twin, path.join(dir, 'worker.db')), EXPORTS_DIR: path.join(dir, 'worker-exports'), LOG_FORMAT: 'json' },
    });
    let output = '';
    const running = new Promise<void>((resolve, reject) => {
      const look = (d: Buffer) => {
        output += String(d);
        if (output.includes('running on file:')) resolve();
      };
      worker.stdout.on('data', look);
      worker.stderr.on('data', look);
      worker.once('exit', (code) => reject(new Error(`the worker exited (${code}) before running:\n${output}`)));
    });
    await running;
    const exited = new Promise<string>((resolve) => worker.once('exit', (code, signal) => resolve(`${code ?? signal}`)));
    worker.kill('SIGTERM');
    expect(await exited, output).toBe('0');
  });
});

describe('the starters and their code caches', () => {
  const PARAMETERS = ['exports', 'require', 'module', '__filename', '__dirname'];
  const flagsOf = (script: string) => nodeArgs(script).slice(0, -1);
  /** V8's tag for these node flags, as bundle-starter.cjs reads it. */
  const tagOf = (flags: string[]) =>
    spawnSync(process.execPath, [...flags, '-p', "require('node:v8').cachedDataVersionTag().toString(16)"], { encoding: 'utf8' }).stdout.trim();
  const cachesOf = (program: string) => fs.readdirSync(outDir).filter((f) => f.startsWith(`${program}.`) && f.endsWith('.code-cache')).sort();
  const hashOf = (program: string) =>
    createHash('sha256')
      .update(fs.readFileSync(path.join(outDir, `${program}.cjs`)))
      .digest('hex')
      .slice(0, 16);

  it('are made by the build for the node flags of the script that starts each bundle, and V8 accepts them', () => {
    for (const [script, program] of [
      ['worker', 'worker-program'],
      ['notion-sync', 'cli-program'],
    ] as const) {
      const cache = `${program}.${hashOf(program)}.${tagOf(flagsOf(script))}.code-cache`;
      expect(cachesOf(program)).toEqual([cache]);
      // The check V8 makes when the starter hands it the cache, in a node with the same flags.
      const check = `const fs = require('node:fs'); const vm = require('node:vm');
        const f = vm.compileFunction(fs.readFileSync(${JSON.stringify(path.join(outDir, `${program}.cjs`))}, 'utf8'), ${JSON.stringify(PARAMETERS)},
          { cachedData: fs.readFileSync(${JSON.stringify(path.join(outDir, cache))}) });
        process.stdout.write(String(f.cachedDataRejected));`;
      expect(spawnSync(process.execPath, [...flagsOf(script), '-e', check], { encoding: 'utf8' }).stdout).toBe('false');
      // With other V8 flags, V8 would refuse it: the tag in the name differs.
      expect(tagOf([...flagsOf(script), '--max-lazy'])).not.toBe(tagOf(flagsOf(script)));
    }
  });

  it('start from the cache as npm run does, and make one for other flags at their first start', async () => {
    const env = cliEnv(twin, path.join(dir, 'cache.db'));
    const [made] = cachesOf('cli-program');
    const madeAt = fs.statSync(path.join(outDir, made ?? '')).mtimeMs;
    expect((await cli(['exports'], env)).code).toBe(0);
    // Used as it was: not written again.
    expect(cachesOf('cli-program')).toEqual([made]);
    expect(fs.statSync(path.join(outDir, made ?? '')).mtimeMs).toBe(madeAt);

    const other = spawnSync(process.execPath, [...flagsOf('notion-sync'), '--max-lazy', path.join(outDir, 'cli.cjs'), 'exports'], { cwd: ROOT, env: { ...process.env, ...env }, encoding: 'utf8' });
    expect(other.status, other.stderr).toBe(0);
    const forOther = `cli-program.${hashOf('cli-program')}.${tagOf([...flagsOf('notion-sync'), '--max-lazy'])}.code-cache`;
    expect(cachesOf('cli-program')).toEqual([made, forOther].sort());
    fs.rmSync(path.join(outDir, forOther));
  });

  it('compile the source when V8 refuses a damaged cache, and remove it', async () => {
    const [made] = cachesOf('cli-program');
    const file = path.join(outDir, made ?? '');
    const good = fs.readFileSync(file);
    try {
      fs.writeFileSync(file, Buffer.alloc(good.length, 7));
      const listed = await cli(['exports'], cliEnv(twin, path.join(dir, 'damaged.db')));
      expect(listed.stderr).toBe('');
      expect(listed.code).toBe(0);
      await vi.waitFor(() => expect(fs.existsSync(file)).toBe(false));
    } finally {
      fs.writeFileSync(file, good);
    }
  });

  it('leave the program to node itself with --enable-source-maps, so stack traces name the sources', () => {
    // A database file whose folder cannot be made fails at start-up with a stack trace.
    const failed = (flags: string[]) =>
      spawnSync(process.execPath, [...flagsOf('worker'), ...flags, path.join(outDir, 'worker.cjs')], {
        cwd: ROOT,
        env: { ...process.env, DATABASE_URL: 'file:/dev/null/state.db', EXPORTS_DIR: path.join(dir, 'maps'), NOTION_SYNC_SECRET: 'bench-secret-bench-secret', LOG_FORMAT: 'json' },
        encoding: 'utf8',
      });
    const mapped = failed(['--enable-source-maps']);
    expect(mapped.status).toBe(1);
    expect(mapped.stdout).toMatch(/at openDatabase \([^)]*db\/client\.ts:\d+:\d+\)/);
    // From the cache: the program's own lines.
    expect(failed([]).stdout).toMatch(/worker-program\.cjs:\d+:\d+/);
  });
});

describe('--if-stale', () => {
  it('keeps a bundle newer than its inputs and rebuilds one older than them', () => {
    const file = path.join(outDir, 'worker.cjs');
    const old = new Date('2001-01-01T00:00:00Z');
    const fresh = fs.statSync(file).mtimeMs;
    build(['worker', '--if-stale']);
    expect(fs.statSync(file).mtimeMs).toBe(fresh);

    // Older than its sources (as after an edit): built again.
    fs.utimesSync(file, old, old);
    build(['worker', '--if-stale']);
    expect(fs.statSync(file).mtimeMs).toBeGreaterThan(old.getTime());

    // A bundle whose record of inputs is gone is built again too.
    const rebuilt = fs.statSync(file).mtimeMs;
    fs.rmSync(path.join(outDir, 'worker.inputs.json'));
    build(['worker', '--if-stale']);
    expect(fs.existsSync(path.join(outDir, 'worker.inputs.json'))).toBe(true);
    expect(fs.statSync(file).mtimeMs).toBeGreaterThan(rebuilt);
  });

  it('refuses a bundle it does not know', () => {
    const result = spawnSync(process.execPath, ['scripts/build-bundles.mjs', 'server'], { cwd: ROOT, encoding: 'utf8' });
    expect(result.status).toBe(1);
    expect(result.stderr).toContain('Unknown bundle server: choose from worker, cli');
  });
});
