import { describe, expect, it } from 'vitest';
import { loadConfig } from '@/server/config';
import { DomainError } from '@/server/errors';
import { assertApiBaseUrlAllowed, isApiBaseUrlAllowed } from './api-base-url';

describe('which API base URLs a connection may use', () => {
  const production = loadConfig({});
  const allowed = (url: string | null | undefined, config = production) => isApiBaseUrlAllowed(config, url);

  it('in production: https on an allowed host only', () => {
    expect(allowed(undefined)).toBe(true);
    expect(allowed(null)).toBe(true);
    expect(allowed('https://api.notion.com')).toBe(true);
    expect(allowed('https://API.Notion.com/v1/')).toBe(true);
    expect(allowed('https://api.notion.com:443')).toBe(true);
    for (const url of [
      'http://api.notion.com',
      'https://api.notion.com:8443',
      'https://api.notion.com.attacker.test',
      'https://api.notion.com.',
      'https://user:pass@api.notion.com',
      'https://attacker.test@evil.test',
      'https://127.0.0.1',
      'http://127.0.0.1:4100',
      'http://[::1]:4100',
      'https://169.254.169.254/latest/meta-data',
      'file:///etc/passwd',
      'ftp://api.notion.com',
      'not a url',
      '',
    ]) {
      expect(allowed(url), url).toBe(false);
    }
  });

  it('NOTION_API_HOSTS names the hosts, with a port when it is not 443', () => {
    const config = loadConfig({ NOTION_API_HOSTS: 'notion-proxy.internal, Other.Example:8443' });
    expect(config.notionApiHosts).toEqual(['notion-proxy.internal', 'other.example:8443']);
    expect(allowed('https://notion-proxy.internal/v1', config)).toBe(true);
    expect(allowed('https://other.example:8443', config)).toBe(true);
    expect(allowed('https://other.example', config)).toBe(false);
    expect(allowed('https://api.notion.com', config)).toBe(false);
    expect(allowed('http://notion-proxy.internal', config)).toBe(false);
  });

  it('in development and demo: any http(s) URL, such as the twin; never another scheme', () => {
    for (const deployment of ['development', 'demo'] as const) {
      const config = loadConfig({ NOTION_SYNC_ENV: deployment });
      expect(allowed('http://127.0.0.1:4100', config)).toBe(true);
      expect(allowed('https://localhost:1', config)).toBe(true);
      expect(allowed('file:///etc/passwd', config)).toBe(false);
    }
    expect(loadConfig({ NODE_ENV: 'development' }).deployment).toBe('development');
    expect(loadConfig({ NODE_ENV: 'production' }).deployment).toBe('production');
    expect(loadConfig({ NODE_ENV: 'test' }).deployment).toBe('production');
    // A named profile wins over NODE_ENV (production's asks for PUBLIC_URL and the secret).
    const named = { NOTION_SYNC_ENV: 'production', PUBLIC_URL: 'https://exports.example.com', NOTION_SYNC_SECRET: 'sixteen chars ok' };
    expect(loadConfig({ NODE_ENV: 'development', ...named }).deployment).toBe('production');
  });

  it("the operator's own NOTION_BASE_URL is allowed as it is", () => {
    const config = loadConfig({ NOTION_BASE_URL: 'http://127.0.0.1:4100' });
    expect(allowed('http://127.0.0.1:4100', config)).toBe(true);
    expect(allowed('http://127.0.0.1:4101', config)).toBe(false);
  });

  it('refuses with one message for every refused URL, naming the setting', () => {
    const messages = new Set<string>();
    for (const url of ['http://127.0.0.1:1', 'http://127.0.0.1:65535', 'https://10.0.0.1', 'nonsense']) {
      let error: unknown;
      try {
        assertApiBaseUrlAllowed(production, url);
      } catch (e) {
        error = e;
      }
      expect(error).toBeInstanceOf(DomainError);
      expect(error).toMatchObject({ code: 'BAD_INPUT' });
      messages.add((error as Error).message);
    }
    expect([...messages]).toHaveLength(1);
    expect([...messages][0]).toMatch(/https:\/\/ address on an allowed host \(api\.notion\.com; NOTION_API_HOSTS/);
    expect(() => assertApiBaseUrlAllowed(production, 'https://api.notion.com')).not.toThrow();
  });
});
