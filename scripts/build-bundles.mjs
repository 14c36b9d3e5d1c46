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
// Usage: node scripts/build-bundles.mjs [worker] [cli] [--if-stale] [--out-dir <dir>]
//   worker, cli   the bundles to build (default: both)
//   --if-stale    build a bundle only when one of its inputs (as its last build recorded them in
//                 <name>.inputs.json beside it), package-lock.json, tsconfig.json or this script is
//                 newer than it: running the CLI again costs no build
//   --out-dir     where the bundles go (default: dist/)
import fs from 'node:fs';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { build } from 'esbuild';

const root = path.resolve(import.meta.dirname, '..');

/**
 * Each bundle: its files, one per entry point. The CLI's `users` command is a file of its own,
 * loaded only by that command: it brings better-auth (with kysely, jose…), whose source alone
 * would cost every export ~8 MB resident. The CLI's file imports it by its name beside it.
 */
const BUNDLES = {
  worker: [{ entry: 'server/worker.ts', file: 'worker.cjs' }],
  cli: [
    { entry: 'server/cli.ts', file: 'cli.cjs', apart: { './auth/users-command': './cli-users.cjs' } },
    { entry: 'server/auth/users-command.ts', file: 'cli-users.cjs' },
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
  return BUNDLES[name].some(({ file }) => {
    const outfile = path.join(outDir, file);
    const builtAt = mtimeOf(outfile);
    if (!Number.isFinite(builtAt)) return true;
    let inputs;
    try {
      inputs = JSON.parse(fs.readFileSync(inputsFile(outfile), 'utf8'));
    } catch {
      return true;
    }
    const watched = [...inputs, 'package-lock.json', 'tsconfig.json', path.relative(root, import.meta.filename)];
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

async function buildFile({ entry, file, apart }, outDir) {
  const outfile = path.join(outDir, file);
  const result = await build({
    absWorkingDir: root,
    entryPoints: [entry],
    outfile,
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
    logLevel: 'warning',
  });
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
