// Copies the packages the bundled entry points load at run time (what scripts/build-bundles.mjs
// leaves outside: libsql with its native binary for this platform, @libsql/client, the
// OpenTelemetry SDK, pino-pretty) from node_modules into <out>/node_modules, found by the same
// file tracer Next uses for its standalone output. The image merges them into the standalone
// folder's node_modules, so the worker and the CLI need no `npm install` in the image.
// Then it checks that libsql's native binary loads from <out> alone and opens a database.
//
// Usage: node deploy/container/trace-modules.mjs <out> <bundle.cjs>...
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';

const root = path.resolve(import.meta.dirname, '..', '..');
const require = createRequire(path.join(root, 'package.json'));
const { nodeFileTrace } = require('next/dist/compiled/@vercel/nft');

const [out, ...entries] = process.argv.slice(2);
if (!out || entries.length === 0) {
  process.stderr.write('Usage: node deploy/container/trace-modules.mjs <out> <bundle.cjs>...\n');
  process.exit(2);
}
const missing = entries.filter((entry) => !fs.existsSync(path.resolve(root, entry)));
if (missing.length > 0) {
  process.stderr.write(`Not built: ${missing.join(', ')} (run node scripts/build-bundles.mjs first)\n`);
  process.exit(1);
}

const { fileList } = await nodeFileTrace(
  entries.map((entry) => path.resolve(root, entry)),
  { base: root },
);
const packages = [...fileList].filter((file) => file.startsWith(`node_modules${path.sep}`));
for (const file of packages) {
  const target = path.join(path.resolve(out), file);
  fs.mkdirSync(path.dirname(target), { recursive: true });
  fs.copyFileSync(path.join(root, file), target);
}
const names = new Set(packages.map((file) => file.split(path.sep).slice(1, file.split(path.sep)[1].startsWith('@') ? 3 : 2).join('/')));
process.stdout.write(`${packages.length} files of ${names.size} packages into ${path.join(out, 'node_modules')}\n`);

// The native binary must be there for this platform, and load from <out> itself: <out> must not
// sit inside a folder whose node_modules would answer instead (the check says so if it does).
if (!packages.some((file) => file.startsWith(path.join('node_modules', '@libsql')) && file.endsWith('.node'))) {
  process.stderr.write(`No native binary of libsql for ${process.platform}-${process.arch} was traced\n`);
  process.exit(1);
}
const check = spawnSync(
  process.execPath,
  [
    '-e',
    "const where = require.resolve('libsql'); const Database = require('libsql'); const db = new Database(':memory:'); db.prepare('select 1').get(); db.close(); process.stdout.write(where);",
  ],
  { cwd: path.resolve(out), env: { ...process.env, NODE_PATH: '' }, encoding: 'utf8' },
);
if (check.status !== 0 || !check.stdout.startsWith(path.resolve(out) + path.sep)) {
  process.stderr.write(`libsql does not load from ${out} alone: ${check.stderr || check.stdout}\n`);
  process.exit(1);
}
process.stdout.write(`libsql loads with its native binary from ${out}\n`);
