import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { ConfigError, loadConfig } from './config';

describe('configuration', () => {
  it('has working defaults: an embedded database and a local exports folder', () => {
    const c = loadConfig({});
    expect(c.databaseUrl).toBe('file:./data/notion-sync.db');
    expect(c.exportsDir).toBe(path.resolve('data/exports'));
    expect(c.dataDir).toBe(path.resolve('data'));
    expect(c.port).toBe(3000);
    expect(c.requestsPerSecond).toBe(3);
    expect(c.runnerEnabled).toBe(true);
    expect(c.notionBaseUrl).toBeUndefined();
  });

  it('reads every variable, empty strings meaning unset', () => {
    const c = loadConfig({
      DATABASE_URL: 'libsql://db.example:8080',
      DATABASE_AUTH_TOKEN: 'tok',
      EXPORTS_DIR: '/srv/exports',
      NOTION_BASE_URL: 'http://127.0.0.1:4100',
      NOTION_SYNC_SECRET: '',
      PORT: '4000',
      NOTION_RATE_LIMIT: '2.5',
      RUNNER_ENABLED: 'false',
    });
    expect(c).toMatchObject({
      databaseUrl: 'libsql://db.example:8080',
      databaseAuthToken: 'tok',
      exportsDir: path.resolve('/srv/exports'),
      notionBaseUrl: 'http://127.0.0.1:4100',
      secret: undefined,
      port: 4000,
      requestsPerSecond: 2.5,
      runnerEnabled: false,
    });
  });

  it('names every bad value with what it expects', () => {
    let error: unknown;
    try {
      loadConfig({ DATABASE_URL: 'postgres://x', PORT: 'abc', NOTION_BASE_URL: 'not a url', NOTION_SYNC_SECRET: 'short' });
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(ConfigError);
    const problems = (error as ConfigError).problems.join('\n');
    expect(problems).toMatch(/DATABASE_URL: must start with file:/);
    expect(problems).toMatch(/PORT/);
    expect(problems).toMatch(/NOTION_BASE_URL: must be an http\(s\) URL/);
    expect(problems).toMatch(/NOTION_SYNC_SECRET: must be at least 16/);
  });
});
