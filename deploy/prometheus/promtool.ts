import { spawn } from 'node:child_process';
import fs from 'node:fs';

/** Where Debian's `prometheus` package puts promtool; PROMTOOL overrides. */
export const PROMTOOL = process.env.PROMTOOL ?? '/usr/bin/promtool';

export interface PromtoolResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

/**
 * Runs promtool (for the tests: `check metrics`, `check rules`, `test rules`). Missing, it throws
 * saying how to install it: the checks are part of the test suite, never skipped.
 */
export async function promtool(args: string[], stdin?: string, executable: string = PROMTOOL): Promise<PromtoolResult> {
  if (!fs.existsSync(executable)) {
    throw new Error(
      `promtool is not installed at ${executable}: install Debian's prometheus package (apt-get install --no-install-recommends prometheus), or set PROMTOOL to its path`,
    );
  }
  return new Promise((resolve, reject) => {
    const child = spawn(executable, args, { stdio: ['pipe', 'pipe', 'pipe'], cwd: import.meta.dirname });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk) => {
      stdout += String(chunk);
    });
    child.stderr.on('data', (chunk) => {
      stderr += String(chunk);
    });
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stdout, stderr }));
    child.stdin.end(stdin ?? '');
  });
}
