// Builds the dashboard when needed and serves it (`npm start`). Next leaves SIGTERM/SIGINT to
// the app (NEXT_MANUAL_SIG_HANDLE), so the runner can give its exports back before exiting.
import { spawn, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';

const next = path.join('node_modules', 'next', 'dist', 'bin', 'next');
const skipBuild = process.argv.includes('--no-build') && fs.existsSync(path.join('.next', 'BUILD_ID'));
if (!skipBuild) {
  const build = spawnSync(process.execPath, [next, 'build'], { stdio: 'inherit' });
  if (build.status !== 0) process.exit(build.status ?? 1);
}
const args = [next, 'start', ...process.argv.slice(2).filter((a) => a !== '--no-build')];
const server = spawn(process.execPath, args, {
  stdio: 'inherit',
  env: { NEXT_TELEMETRY_DISABLED: '1', ...process.env, NEXT_MANUAL_SIG_HANDLE: '1' },
});
for (const signal of ['SIGINT', 'SIGTERM']) process.on(signal, () => server.kill(signal));
server.on('exit', (code, signal) => process.exit(code ?? (signal ? 1 : 0)));
