import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { callerAs } from '@/server/testing/call-as';
import { spawnScript } from '@/server/testing/export-checks';
import { createTestContext } from '@/server/testing/test-context';

/**
 * No secret in a log line, an error or the settings view. The entry points are started as
 * processes with secrets given directly and through files, and with every kind of configuration
 * error there is; all they print is searched for each secret's text.
 */

const SECRETS = {
  NOTION_SYNC_SECRET: 'sync-secret-4f9Qp2LxT7vB',
  fileSecret: 'file-secret-Hc8Wm3Zr6Kd1',
  METRICS_TOKEN: 'mt-Zq9', // too short: its own error
  OIDC_CLIENT_SECRET: 'oidc-client-secret-V5nJ',
  ADMIN_PASSWORD: 'pw-R2d', // too short
  DATABASE_AUTH_TOKEN: 'db-token-Yx7Tk4Ns0Ep',
  NOTION_TOKEN: 'secret_cli-token-Gq3Lm8Bv',
} as const;

let dir: string;
let secretFile: string;
beforeAll(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'notion-sync-secrets-'));
  secretFile = path.join(dir, 'secret');
  fs.writeFileSync(secretFile, `${SECRETS.fileSecret}\n`);
});
afterAll(() => {
  fs.rmSync(dir, { recursive: true, force: true });
});

function expectNoSecret(text: string): void {
  for (const [name, secret] of Object.entries(SECRETS)) expect(text, name).not.toContain(secret);
}

describe('secrets stay out of what the processes print', () => {
  it('the worker refusing a configuration with every kind of problem names each variable, and no secret', async () => {
    const run = spawnScript('server/worker.ts', [], {
      NOTION_SYNC_ENV: 'production',
      PUBLIC_URL: 'http://exports.example.com',
      // Both forms of one secret; the file exists and is readable.
      NOTION_SYNC_SECRET: SECRETS.NOTION_SYNC_SECRET,
      NOTION_SYNC_SECRET_FILE: secretFile,
      METRICS_TOKEN: SECRETS.METRICS_TOKEN,
      OIDC_CLIENT_SECRET: SECRETS.OIDC_CLIENT_SECRET,
      ADMIN_PASSWORD: SECRETS.ADMIN_PASSWORD,
      DATABASE_URL: `libsql://reader:${SECRETS.DATABASE_AUTH_TOKEN}@db.example:8080`,
      DATABASE_AUTH_TOKEN_FILE: path.join(dir, 'missing'),
      OIDC_ROLE_MAP: 'admins=root',
      PORT: 'abc',
      RUNNER_ID: 'two words',
      OTEL_EXPORTER_OTLP_ENDPOINT: 'http://127.0.0.1:4318',
      OTEL_EXPORTER_OTLP_PROTOCOL: 'grpc',
      LOG_FORMAT: 'json',
    });
    const exit = await run.done;
    expect(exit.code).toBe(1);
    const printed = exit.stdout + exit.stderr;
    for (const variable of [
      'NOTION_SYNC_SECRET and NOTION_SYNC_SECRET_FILE',
      'DATABASE_AUTH_TOKEN_FILE',
      'METRICS_TOKEN',
      'ADMIN_PASSWORD',
      'ADMIN_EMAIL',
      'OIDC_ISSUER',
      'OIDC_CLIENT_ID',
      'OIDC_ROLE_MAP',
      'PUBLIC_URL',
      'PORT',
      'RUNNER_ID',
      'OTEL_EXPORTER_OTLP_PROTOCOL',
    ]) {
      expect(printed, variable).toContain(`${variable}:`);
    }
    // One message with every problem.
    expect(printed.match(/Invalid configuration/g)).toHaveLength(1);
    expectNoSecret(printed);
  }, 60_000);

  it('a worker started with its secrets in files runs, named by RUNNER_ID, and logs none of them', async () => {
    const run = spawnScript('server/worker.ts', [], {
      DATABASE_URL: `file:${path.join(dir, 'worker.db')}`,
      NOTION_SYNC_SECRET_FILE: secretFile,
      METRICS_TOKEN_FILE: secretFile,
      METRICS_PORT: '0',
      RUNNER_ID: 'worker-secrets',
      LOG_FORMAT: 'json',
      LOG_LEVEL: 'debug',
    });
    try {
      const started = await run.line((line) => line.includes('running on'), 'the worker running', { stream: 'stdout', timeoutMs: 60_000 });
      expect(started).toMatch(/worker-secrets:[0-9a-f]{8}/);
    } finally {
      run.child.kill('SIGTERM');
    }
    const exit = await run.done;
    expect(exit.code).toBe(0);
    expectNoSecret(exit.stdout + exit.stderr);
  }, 60_000);

  it('the CLI names NOTION_TOKEN and its file when both are set, and NOTION_SYNC_OLD_SECRET_FILE it cannot read, never their text', async () => {
    const tokenFile = path.join(dir, 'token');
    fs.writeFileSync(tokenFile, `${SECRETS.NOTION_TOKEN}\n`);
    const common = { DATABASE_URL: `file:${path.join(dir, 'cli.db')}`, NOTION_SYNC_SECRET_FILE: secretFile };
    const both = await spawnScript('server/cli.ts', ['export', '--out', path.join(dir, 'out')], {
      ...common,
      NOTION_TOKEN: SECRETS.NOTION_TOKEN,
      NOTION_TOKEN_FILE: tokenFile,
    }).done;
    expect(both.code).not.toBe(0);
    expect(both.stderr).toContain('NOTION_TOKEN and NOTION_TOKEN_FILE: both are set; set one of them');
    expectNoSecret(both.stdout + both.stderr);

    const oldSecret = await spawnScript('server/cli.ts', ['rotate-key'], {
      ...common,
      NOTION_SYNC_OLD_SECRET_FILE: path.join(dir, 'no-such-file'),
    }).done;
    expect(oldSecret.code).not.toBe(0);
    expect(oldSecret.stdout + oldSecret.stderr).toMatch(/NOTION_SYNC_OLD_SECRET_FILE: cannot read .*no-such-file \(ENOENT\)/);
    expectNoSecret(oldSecret.stdout + oldSecret.stderr);
  }, 60_000);

  it('the settings view shows no secret of the configuration', async () => {
    const ctx = await createTestContext({
      secret: SECRETS.NOTION_SYNC_SECRET,
      metricsToken: SECRETS.fileSecret,
      databaseAuthToken: SECRETS.DATABASE_AUTH_TOKEN,
    });
    try {
      const admin = callerAs(ctx, 'admin');
      const shown = JSON.stringify([await admin.settings.get(), await admin.settings.flags()]);
      expect(shown).toContain('downloadExternalFiles');
      expectNoSecret(shown);
    } finally {
      await ctx.cleanup();
    }
  });
});
