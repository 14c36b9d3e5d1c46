/**
 * The product's processes as the benchmarks start them: the node arguments of a package.json
 * script (`npm run worker`, `npm run notion-sync`), the bundles built first as their pre-scripts
 * do, and waiting for and stopping a child.
 */
import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import path from 'node:path';

export const ROOT = path.resolve(import.meta.dirname, '..');

/** A package.json script's node arguments (`node --flag file` → [`--flag`, `file`]). */
export function nodeArgsOfScript(name: string): string[] {
  const pkg = JSON.parse(readFileSync(path.join(ROOT, 'package.json'), 'utf8')) as { scripts: Record<string, string> };
  const [command, ...args] = (pkg.scripts[name] ?? '').split(/\s+/).filter(Boolean);
  if (command !== 'node') throw new Error(`package.json script "${name}" is not a plain node command: ${pkg.scripts[name]}`);
  return args;
}

/** Runs `npm run <name>`'s pre-script (`pre<name>`: builds the bundle when its sources changed). */
export async function runPreScript(name: string): Promise<void> {
  const child = spawn(process.execPath, nodeArgsOfScript(`pre${name}`), { cwd: ROOT, stdio: ['ignore', 'inherit', 'inherit'] });
  const code = await new Promise<number | null>((resolve) => child.once('exit', resolve));
  if (code !== 0) throw new Error(`pre${name} exited with ${code}`);
}

/**
 * Makes the V8 code cache of a bundle's program for exactly these node arguments (`[...flags,
 * 'dist/worker.cjs']`), as the build does for the flags of package.json (scripts/build-bundles.mjs,
 * scripts/bundle-starter.cjs): a run with flags of the bench's own (`--trace-gc`, `--worker-flags`)
 * then starts as `npm run worker` does, from the cache, instead of compiling the program's source.
 */
export function prepareCodeCache(args: string[]): void {
  const script = path.resolve(ROOT, args.at(-1) ?? '');
  const made = spawnSync(process.execPath, [...args.slice(0, -1), '-e', `require(${JSON.stringify(script)}).writeCodeCache()`], { cwd: ROOT, encoding: 'utf8' });
  if (made.status !== 0) throw new Error(`could not make the code cache of ${script} for ${args.slice(0, -1).join(' ')}: ${made.stderr}`);
}

export function waitForExit(child: ChildProcess, ms: number): Promise<boolean> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve(true);
  return new Promise((resolve) => {
    const timer = setTimeout(() => resolve(false), ms);
    child.once('exit', () => {
      clearTimeout(timer);
      resolve(true);
    });
  });
}

/** SIGTERM (a graceful stop), then SIGKILL after 15 s. */
export async function stopChild(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  child.kill('SIGTERM');
  if (!(await waitForExit(child, 15_000))) {
    child.kill('SIGKILL');
    await waitForExit(child, 5_000);
  }
}

export const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

export function log(message: string): void {
  process.stderr.write(`[bench ${new Date().toISOString().slice(11, 19)}] ${message}\n`);
}

/** Resolves when `test` holds (checked every `everyMs`), or rejects after `timeoutMs` saying `what`. */
export async function waitFor<T>(what: string, test: () => Promise<T | undefined> | T | undefined, timeoutMs: number, everyMs = 50): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await test();
    if (value !== undefined && value !== false) return value;
    if (Date.now() > deadline) throw new Error(`${what}: not within ${Math.round(timeoutMs / 1000)} s`);
    await sleep(everyMs);
  }
}
