// Builds the dashboard when needed and serves it (`npm start`). Next leaves SIGTERM/SIGINT to
// the app (NEXT_MANUAL_SIG_HANDLE), so the runner can give its exports back before exiting.
// The build also makes the standalone server the container image runs (next.config.js `output:
// 'standalone'`); here `next start` serves the same build from the project, and Next's warning
// that it "does not work with output: standalone" (it does: it only is not what the image runs)
// is left out of its output.
import { spawn, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import readline from 'node:readline';

const next = path.join('node_modules', 'next', 'dist', 'bin', 'next');
const skipBuild = process.argv.includes('--no-build') && fs.existsSync(path.join('.next', 'BUILD_ID'));
if (!skipBuild) {
  const build = spawnSync(process.execPath, [next, 'build'], { stdio: 'inherit' });
  if (build.status !== 0) process.exit(build.status ?? 1);
}
const args = [next, 'start', ...process.argv.slice(2).filter((a) => a !== '--no-build')];
const server = spawn(process.execPath, args, {
  stdio: ['inherit', 'inherit', 'pipe'],
  env: { NEXT_TELEMETRY_DISABLED: '1', ...process.env, NEXT_MANUAL_SIG_HANDLE: '1' },
});
const STANDALONE_WARNING = /"next start" does not work with "output: standalone"/;
readline.createInterface({ input: server.stderr, crlfDelay: Number.POSITIVE_INFINITY }).on('line', (line) => {
  if (!STANDALONE_WARNING.test(line)) process.stderr.write(`${line}\n`);
});
for (const signal of ['SIGINT', 'SIGTERM']) process.on(signal, () => server.kill(signal));
// 'close': after the last of its output came through.
server.on('close', (code, signal) => process.exit(code ?? (signal ? 1 : 0)));
