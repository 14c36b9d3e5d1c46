/**
 * Failpoints: named places at the commit boundaries of an export where a test can make the
 * process die, to prove that a crash at any of them loses nothing. Off unless the environment
 * variable NOTION_SYNC_FAILPOINTS names them (tests only): a comma-separated list of
 * `name` (die the first time it is reached) or `name:N` (die the N-th time). When one fires, a
 * line `failpoint <name> reached` goes to stderr (and to the file NOTION_SYNC_FAILPOINT_LOG if
 * set), then the process kills itself with SIGKILL — no cleanup, as in a power cut.
 */
import fs from 'node:fs';

export const FAILPOINTS = [
  'after-temp-write',
  'after-rename',
  'after-commit',
  'before-manifest',
  'after-manifest',
  'mid-zip',
  'after-completion',
  // A sync's commit boundaries: its folder linked from the baseline, the unchanged items recorded, a removal half done.
  'sync-after-linking',
  'sync-after-carry-over',
  'sync-mid-removal',
] as const;
export type Failpoint = (typeof FAILPOINTS)[number];

function parse(spec: string | undefined): Map<string, number> {
  const out = new Map<string, number>();
  for (const part of (spec ?? '').split(',').map((p) => p.trim()).filter(Boolean)) {
    const [name, count] = part.split(':');
    if (name) out.set(name, Math.max(1, Number(count ?? 1) || 1));
  }
  return out;
}

const armed = parse(process.env.NOTION_SYNC_FAILPOINTS);
const hits = new Map<string, number>();

/** Dies here if a test armed this failpoint; otherwise does nothing (one map lookup). */
export function failpoint(name: Failpoint): void {
  if (armed.size === 0) return;
  const at = armed.get(name);
  if (at === undefined) return;
  const n = (hits.get(name) ?? 0) + 1;
  hits.set(name, n);
  if (n < at) return;
  const line = `failpoint ${name} reached\n`;
  process.stderr.write(line);
  const log = process.env.NOTION_SYNC_FAILPOINT_LOG;
  if (log) fs.appendFileSync(log, line);
  process.kill(process.pid, 'SIGKILL');
}
