import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { spawnScript } from '@/server/testing/export-checks';

let dir: string;
beforeAll(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'notion-sync-failpoints-'));
});
afterAll(() => {
  fs.rmSync(dir, { recursive: true, force: true });
});

/** Runs server/testing/failpoint-child.ts, which reaches `name` `times` times. */
function child(name: string, times: number, spec: string | undefined, log?: string) {
  return spawnScript('server/testing/failpoint-child.ts', [name, String(times)], {
    NOTION_SYNC_FAILPOINTS: spec,
    NOTION_SYNC_FAILPOINT_LOG: log,
  }).done;
}

describe('failpoints in a real process', () => {
  it('an armed failpoint kills the process with SIGKILL the first time, after logging it', async () => {
    const log = path.join(dir, 'first.log');
    const exit = await child('after-rename', 3, 'after-rename', log);
    expect(exit.signal).toBe('SIGKILL');
    expect(exit.code).toBeNull();
    expect(exit.stdout).toBe('');
    expect(exit.stderr).toContain('failpoint after-rename reached');
    expect(fs.readFileSync(log, 'utf8')).toBe('failpoint after-rename reached\n');
  });

  it('name:3 fires only the third time it is reached', async () => {
    const log = path.join(dir, 'third.log');
    const exit = await child('after-commit', 5, 'mid-zip, after-commit:3', log);
    expect(exit.signal).toBe('SIGKILL');
    expect(exit.stdout).toBe('passed 1\npassed 2\n');
    expect(fs.readFileSync(log, 'utf8')).toBe('failpoint after-commit reached\n');
  });

  it('does nothing when unarmed, or armed for another name', async () => {
    const log = path.join(dir, 'none.log');
    for (const spec of [undefined, 'before-manifest,after-manifest:2']) {
      const exit = await child('after-temp-write', 3, spec, log);
      expect(exit).toMatchObject({ code: 0, signal: null, stdout: 'passed 1\npassed 2\npassed 3\ndone\n' });
      expect(exit.stderr).not.toContain('failpoint');
    }
    expect(fs.existsSync(log)).toBe(false);
  });
});

describe('failpoints in process (SIGKILL stubbed)', () => {
  afterEach(() => {
    vi.unstubAllEnvs();
    vi.restoreAllMocks();
    vi.resetModules();
  });

  async function load(spec: string | undefined, log?: string) {
    vi.restoreAllMocks();
    vi.resetModules();
    vi.stubEnv('NOTION_SYNC_FAILPOINTS', spec);
    vi.stubEnv('NOTION_SYNC_FAILPOINT_LOG', log);
    const kill = vi.spyOn(process, 'kill').mockImplementation(() => true);
    const stderr = vi.spyOn(process.stderr, 'write').mockImplementation(() => true);
    const mod = await import('./failpoints');
    return { ...mod, kill, stderr };
  }

  it('counts hits per name and kills itself with SIGKILL from the N-th hit on', async () => {
    const log = path.join(dir, 'in-process.log');
    const { failpoint, kill, stderr } = await load(' after-temp-write:2 , after-completion ', log);
    failpoint('after-temp-write');
    expect(kill).not.toHaveBeenCalled();
    failpoint('after-rename');
    failpoint('after-temp-write');
    expect(kill).toHaveBeenCalledExactlyOnceWith(process.pid, 'SIGKILL');
    expect(stderr).toHaveBeenCalledWith('failpoint after-temp-write reached\n');
    failpoint('after-completion');
    expect(kill).toHaveBeenCalledTimes(2);
    expect(fs.readFileSync(log, 'utf8')).toBe('failpoint after-temp-write reached\nfailpoint after-completion reached\n');
  });

  it('treats a missing, zero or unreadable count as 1, and an empty spec as unarmed', async () => {
    const { failpoint, kill } = await load('mid-zip:0,after-commit:x,,before-manifest:');
    failpoint('mid-zip');
    failpoint('after-commit');
    failpoint('before-manifest');
    expect(kill).toHaveBeenCalledTimes(3);
    const unarmed = await load('');
    unarmed.failpoint('mid-zip');
    expect(unarmed.kill).not.toHaveBeenCalled();
  });

  it('lists every failpoint the product reaches', async () => {
    const { FAILPOINTS } = await load(undefined);
    expect([...FAILPOINTS].sort()).toEqual(
      [
        'after-commit',
        'after-completion',
        'after-manifest',
        'after-rename',
        'after-temp-write',
        'before-manifest',
        'mid-zip',
        'sync-after-linking',
        'sync-after-carry-over',
        'sync-mid-removal',
      ].sort(),
    );
  });
});
