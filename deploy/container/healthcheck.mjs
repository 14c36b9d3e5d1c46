// The image's HEALTHCHECK, with node itself (the image has no curl). It looks at what the
// container runs (its processes: tini is process 1, the app its child):
//   - the dashboard: GET /api/health/ready on PORT (the database answers with every migration
//     applied, the exports folder is writable with room, the runner's heartbeat is fresh); healthy
//     on 200 only. The probe never calls Notion.
//   - a worker: it serves no pages; with METRICS_PORT set, GET /health/ready on that port (the same
//     checks as the dashboard's, its runner's heartbeat included; no METRICS_TOKEN needed); healthy
//     on 200 only. Without it, there is nothing to ask: the process running is all Docker can know.
//   - anything else (a CLI command, a shell): healthy.
// Usage: node healthcheck.mjs [--cmdline <file>]   (default: every /proc/<pid>/cmdline; tests pass one)
import fs from 'node:fs';

const TIMEOUT_MS = 4000;

function argsOf(file) {
  try {
    return fs.readFileSync(file, 'utf8').split('\0').filter((arg) => arg !== '');
  } catch {
    return []; // a process that ended meanwhile
  }
}

/** The command lines of the container's processes. */
function commandLines() {
  const at = process.argv.indexOf('--cmdline');
  if (at > 0) return [argsOf(process.argv[at + 1])];
  return fs
    .readdirSync('/proc')
    .filter((name) => /^\d+$/.test(name) && Number(name) !== process.pid)
    .map((pid) => argsOf(`/proc/${pid}/cmdline`));
}

/** What the container runs: `dashboard`, `worker` or `other`. */
function roleOf(lines) {
  const runs = (test) => lines.some((args) => args[0] !== undefined && /(^|\/)node$/.test(args[0]) && args.slice(1).some(test));
  if (runs((arg) => arg === 'server.js' || arg.endsWith('/server.js'))) return 'dashboard';
  if (runs((arg) => arg.endsWith('dist/worker.cjs'))) return 'worker';
  return 'other';
}

async function answerOf(url) {
  const response = await fetch(url, { signal: AbortSignal.timeout(TIMEOUT_MS), redirect: 'manual' });
  const text = await response.text();
  return { status: response.status, text };
}

async function main() {
  const role = roleOf(commandLines());
  if (role === 'dashboard') {
    const port = Number(process.env.PORT) || 3000;
    const { status, text } = await answerOf(`http://127.0.0.1:${port}/api/health/ready`);
    process.stdout.write(`ready: ${status} ${text.slice(0, 300)}\n`);
    return status === 200 ? 0 : 1;
  }
  if (role === 'worker' && process.env.METRICS_PORT) {
    const { status, text } = await answerOf(`http://127.0.0.1:${Number(process.env.METRICS_PORT)}/health/ready`);
    process.stdout.write(`worker ready: ${status} ${text.slice(0, 300)}\n`);
    return status === 200 ? 0 : 1;
  }
  process.stdout.write(`${role}: nothing to ask\n`);
  return 0;
}

main().then(
  (code) => process.exit(code),
  (error) => {
    process.stdout.write(`unhealthy: ${error instanceof Error ? error.message : String(error)}\n`);
    process.exit(1);
  },
);
