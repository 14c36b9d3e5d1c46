// Compiles the long-running entry points that run outside Next.js — the standalone worker
// (server/worker.ts → dist/worker.cjs) and the CLI (server/cli.ts → dist/cli.cjs) — each with the
// packages it uses into one minified CommonJS file that plain node runs (`npm run worker` and
// `npm run notion-sync` build first). No TypeScript loader in the process and less source for V8
// to keep: the worker is ~67 MB resident at start instead of ~80 MB with the packages loaded from
// node_modules, or ~130 MB under tsx. libsql and its client stay outside: libsql loads its native
// binary for the platform at run time, and db/statement-cache.ts patches the very module instance
// the client loads. A source map sits next to each bundle (`node --enable-source-maps
// dist/cli.cjs …` for readable stack traces). What loads only when asked — the OpenTelemetry SDK
// (OTEL_EXPORTER_OTLP_ENDPOINT) and pino-pretty (LOG_FORMAT=pretty) — stays outside too: bundled,
// its source alone costs a process about 3.5 MB resident.
//
// The bundle node starts is a program beside a small starter: dist/worker.cjs is
// scripts/bundle-starter.cjs, which runs dist/worker-program.cjs from V8's code cache (made here,
// for the node flags of the package.json script that starts it) instead of compiling its source:
// ~10 MB less resident at rest, ~3 MB less while exporting (see bundle-starter.cjs).
//
// Usage: node scripts/build-bundles.mjs [worker] [cli] [--if-stale] [--out-dir <dir>]
//   worker, cli   the bundles to build (default: both)
//   --if-stale    build a bundle only when one of its inputs (as its last build recorded them in
//                 <name>.inputs.json beside it), package-lock.json, tsconfig.json or this script is
//                 newer than it: running the CLI again costs no build
//   --out-dir     where the bundles go (default: dist/)
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { build } from 'esbuild';

const root = path.resolve(import.meta.dirname, '..');
const STARTER = path.join(import.meta.dirname, 'bundle-starter.cjs');

/**
 * Each bundle: its files, one per entry point. The CLI's `users` command is a file of its own,
 * loaded only by that command: it brings better-auth (with kysely, jose…), whose source alone
 * would cost every export ~8 MB resident. The CLI's file imports it by its name beside it.
 * KaTeX, loaded at an export's first equation, is a file of its own too: its 270 KB would be
 * source every process keeps, and its characters beyond Latin-1 would make V8 keep the whole
 * bundle's source at two bytes a character (+1.5 MB).
 * `script`: the package.json script that starts the file; such a file is a starter and its
 * program (see the top of this file), with a code cache for that script's node flags.
 */
const KATEX = { entry: createRequire(path.join(root, 'package.json')).resolve('katex'), file: 'katex.cjs' };
const BUNDLES = {
  worker: [{ entry: 'server/worker.ts', file: 'worker.cjs', script: 'worker', apart: { katex: './katex.cjs' } }, KATEX],
  cli: [
    { entry: 'server/cli.ts', file: 'cli.cjs', script: 'notion-sync', apart: { './auth/users-command': './cli-users.cjs', katex: './katex.cjs' } },
    { entry: 'server/auth/users-command.ts', file: 'cli-users.cjs' },
    KATEX,
  ],
};

const EXTERNAL = [
  'libsql',
  '@libsql/client',
  '@opentelemetry/sdk-trace-node',
  '@opentelemetry/sdk-trace-base',
  '@opentelemetry/exporter-trace-otlp-http',
  '@opentelemetry/resources',
  'pino-pretty',
];

const inputsFile = (outfile) => outfile.replace(/\.cjs$/, '.inputs.json');
/** The bundle a starter runs: dist/worker.cjs → dist/worker-program.cjs (the name bundle-starter.cjs derives). */
const programFile = (outfile) => outfile.replace(/\.cjs$/, '-program.cjs');

const mtimeOf = (file) => {
  try {
    return fs.statSync(file).mtimeMs;
  } catch {
    return Number.POSITIVE_INFINITY; // gone: counts as changed
  }
};

/**
 * Whether a file of the bundle is missing or older than anything it was built from. Packages
 * count through package-lock.json: npm extracts their files with the dates of the published
 * tarball, not the day of the install.
 */
function isStale(name, outDir) {
  return BUNDLES[name].some(({ file, script }) => {
    const outfile = path.join(outDir, file);
    const builtAt = mtimeOf(outfile);
    if (!Number.isFinite(builtAt)) return true;
    if (script && !fs.existsSync(programFile(outfile))) return true;
    let inputs;
    try {
      inputs = JSON.parse(fs.readFileSync(inputsFile(outfile), 'utf8'));
    } catch {
      return true;
    }
    const watched = [...inputs, 'package-lock.json', 'tsconfig.json', path.relative(root, import.meta.filename), path.relative(root, STARTER)];
    return watched.some((input) => mtimeOf(path.join(root, input)) > builtAt);
  });
}

/** Leaves the imports named in `apart` (as the source writes them) to a file of their own beside the bundle. */
const importsApart = (apart) => ({
  name: 'imports-apart',
  setup(builder) {
    builder.onResolve({ filter: /.*/ }, (args) => (Object.hasOwn(apart, args.path) ? { path: apart[args.path], external: true } : undefined));
  },
});

/** The node flags a package.json script starts its file with (`node <flags> dist/<file>`). */
function nodeFlagsOf(script) {
  const scripts = JSON.parse(fs.readFileSync(path.join(root, 'package.json'), 'utf8')).scripts;
  const [command, ...words] = (scripts[script] ?? '').split(' ').filter(Boolean);
  if (command !== 'node') throw new Error(`package.json script "${script}" is not a plain node command`);
  return words.slice(0, -1);
}

/**
 * The starter for `outfile` (scripts/bundle-starter.cjs with the program's hash), and the program's
 * code cache for the node flags of `script`, made by the starter itself in a node started with them.
 */
function writeStarter(outfile, script) {
  const program = programFile(outfile);
  const hash = createHash('sha256').update(fs.readFileSync(program)).digest('hex').slice(0, 16);
  const stem = path.basename(program, '.cjs');
  for (const old of fs.readdirSync(path.dirname(program))) {
    if (old.startsWith(`${stem}.`) && old.endsWith('.code-cache')) fs.rmSync(path.join(path.dirname(program), old));
  }
  const starter = fs.readFileSync(STARTER, 'utf8').replace("const PROGRAM_HASH = 'unbuilt';", `const PROGRAM_HASH = '${hash}';`);
  if (!starter.includes(hash)) throw new Error(`${STARTER} has no PROGRAM_HASH line to fill in`);
  fs.writeFileSync(outfile, starter);
  // The map of the bundle this file was before it became a starter.
  fs.rmSync(`${outfile}.map`, { force: true });
  const made = spawnSync(process.execPath, [...nodeFlagsOf(script), '-e', `require(${JSON.stringify(outfile)}).writeCodeCache()`], { cwd: root, encoding: 'utf8' });
  if (made.status !== 0) throw new Error(`Could not make the code cache of ${path.basename(program)}: ${made.stderr}`);
}

async function buildFile({ entry, file, script, apart }, outDir) {
  const outfile = path.join(outDir, file);
  const result = await build({
    absWorkingDir: root,
    entryPoints: [entry],
    outfile: script ? programFile(outfile) : outfile,
    bundle: true,
    platform: 'node',
    format: 'cjs',
    target: 'node20',
    external: EXTERNAL,
    minify: true,
    sourcemap: 'linked',
    tsconfig: 'tsconfig.json',
    metafile: true,
    plugins: apart ? [importsApart(apart)] : [],
    // import() of what stays outside (the OpenTelemetry SDK, the users command's file) as require():
    // V8 loses a function's import() callback when it comes from a code cache (node 20).
    supported: { 'dynamic-import': false },
    logLevel: 'warning',
  });
  if (script) writeStarter(outfile, script);
  // What the file was made of, for --if-stale (paths relative to the project).
  fs.writeFileSync(inputsFile(outfile), `${JSON.stringify(Object.keys(result.metafile.inputs).sort())}\n`);
}

const { values, positionals } = parseArgs({
  allowPositionals: true,
  options: { 'if-stale': { type: 'boolean', default: false }, 'out-dir': { type: 'string', default: path.join(root, 'dist') } },
});
const unknown = positionals.filter((name) => !Object.hasOwn(BUNDLES, name));
if (unknown.length > 0) {
  process.stderr.write(`Unknown bundle ${unknown.join(', ')}: choose from ${Object.keys(BUNDLES).join(', ')}\n`);
  process.exit(1);
}
const outDir = path.resolve(values['out-dir']);
for (const name of positionals.length > 0 ? positionals : Object.keys(BUNDLES)) {
  if (values['if-stale'] && !isStale(name, outDir)) continue;
  for (const file of BUNDLES[name]) await buildFile(file, outDir);
}
