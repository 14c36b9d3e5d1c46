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
    expect(c.deployment).toBe('production');
    expect(c.notionApiHosts).toEqual(['api.notion.com']);
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
      loadConfig({
        DATABASE_URL: 'postgres://x',
        PORT: 'abc',
        NOTION_BASE_URL: 'not a url',
        NOTION_SYNC_SECRET: 'short',
        NOTION_API_HOSTS: 'api.notion.com, https://evil.test/path',
        NOTION_SYNC_ENV: 'staging',
      });
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(ConfigError);
    const problems = (error as ConfigError).problems.join('\n');
    expect(problems).toMatch(/DATABASE_URL: must start with file:/);
    expect(problems).toMatch(/PORT/);
    expect(problems).toMatch(/NOTION_BASE_URL: must be an http\(s\) URL/);
    expect(problems).toMatch(/NOTION_SYNC_SECRET: must be at least 16/);
    expect(problems).toMatch(/NOTION_API_HOSTS\.1: is not a host name/);
    expect(problems).toMatch(/NOTION_SYNC_ENV: must be one of production, development, demo/);
    expect(() => loadConfig({ NOTION_API_HOSTS: ' , ' })).toThrow(/NOTION_API_HOSTS: must name at least one host/);
  });
});

describe('PUBLIC_URL, ADMIN_EMAIL and ADMIN_PASSWORD', () => {
  it('default to http://localhost:<PORT> and no first admin, and keep a given URL’s origin', () => {
    expect(loadConfig({ PORT: '3100' })).toMatchObject({ publicUrl: 'http://localhost:3100', firstAdmin: undefined });
    expect(loadConfig({ PUBLIC_URL: 'https://exports.example.com/' }).publicUrl).toBe('https://exports.example.com');
    expect(loadConfig({ ADMIN_EMAIL: 'a@example.com', ADMIN_PASSWORD: 'twelve chars!' }).firstAdmin).toEqual({
      email: 'a@example.com',
      password: 'twelve chars!',
    });
  });

  it('refuse a URL that is no http(s) URL, a short password, and one of the pair without the other', () => {
    expect(() => loadConfig({ PUBLIC_URL: 'exports.example.com' })).toThrow(/PUBLIC_URL/);
    expect(() => loadConfig({ PUBLIC_URL: 'ftp://exports.example.com' })).toThrow(/PUBLIC_URL/);
    expect(() => loadConfig({ ADMIN_EMAIL: 'a@example.com', ADMIN_PASSWORD: 'short' })).toThrow(/ADMIN_PASSWORD/);
    expect(() => loadConfig({ ADMIN_EMAIL: 'a@example.com' })).toThrow(/ADMIN_PASSWORD: must be set together with ADMIN_EMAIL/);
    expect(() => loadConfig({ ADMIN_PASSWORD: 'twelve chars!' })).toThrow(/ADMIN_EMAIL: must be set together with ADMIN_PASSWORD/);
  });
});
