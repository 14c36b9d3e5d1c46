import { describe, expect, it } from 'vitest';
import { publicOriginOf, refuseCrossSiteRequest, trustedOriginsOf } from './request-origin';

const intranet = { publicUrl: 'https://exports.example.test', port: 3000 };
const local = { publicUrl: 'http://localhost:3211', port: 3211 };

const request = (method: string, headers: Record<string, string> = {}) =>
  new Request('http://localhost:3211/api/anything', { method, headers, body: method === 'GET' || method === 'HEAD' ? undefined : '{}' });

describe('trustedOriginsOf', () => {
  it('is PUBLIC_URL’s origin alone for a real host', () => {
    expect(trustedOriginsOf(intranet)).toEqual(['https://exports.example.test']);
    expect(trustedOriginsOf({ publicUrl: 'http://notion-sync.intranet:8080/dashboard', port: 3000 })).toEqual(['http://notion-sync.intranet:8080']);
  });

  it('names every loopback spelling with the same scheme and port for a loopback PUBLIC_URL', () => {
    const expected = ['http://localhost:3211', 'http://127.0.0.1:3211', 'http://[::1]:3211'];
    expect(trustedOriginsOf(local)).toEqual(expected);
    expect(trustedOriginsOf({ publicUrl: 'http://127.0.0.1:3211', port: 1 })).toEqual(expected);
    expect(trustedOriginsOf({ publicUrl: 'http://[::1]:3211', port: 1 })).toEqual(expected);
    expect(trustedOriginsOf({ publicUrl: 'https://localhost', port: 1 })).toEqual(['https://localhost', 'https://127.0.0.1', 'https://[::1]']);
  });

  it('defaults to http://localhost:PORT', () => {
    expect(publicOriginOf({ port: 4000 })).toBe('http://localhost:4000');
    expect(trustedOriginsOf({ port: 4000 })).toContain('http://127.0.0.1:4000');
  });
});

describe('refuseCrossSiteRequest', () => {
  it('lets reads through, whatever they say', () => {
    for (const method of ['GET', 'HEAD', 'OPTIONS']) {
      expect(refuseCrossSiteRequest(request(method, { origin: 'https://evil.example' }), intranet)).toBeUndefined();
      expect(refuseCrossSiteRequest(request(method), intranet)).toBeUndefined();
    }
  });

  it('lets a change through from PUBLIC_URL’s origin, by Origin or, without it, by Referer', () => {
    for (const method of ['POST', 'PUT', 'PATCH', 'DELETE']) {
      expect(refuseCrossSiteRequest(request(method, { origin: 'https://exports.example.test' }), intranet)).toBeUndefined();
    }
    expect(refuseCrossSiteRequest(request('POST', { referer: 'https://exports.example.test/exports/e1?tab=files' }), intranet)).toBeUndefined();
    expect(refuseCrossSiteRequest(request('POST', { origin: 'http://127.0.0.1:3211' }), local)).toBeUndefined();
    expect(refuseCrossSiteRequest(request('POST', { origin: 'http://[::1]:3211' }), local)).toBeUndefined();
  });

  it('refuses a change from another origin with 403 and a JSON error', async () => {
    const refusals = [
      request('POST', { origin: 'https://evil.example' }),
      request('DELETE', { origin: 'http://exports.example.test' }), // another scheme
      request('PUT', { origin: 'https://exports.example.test:8443' }), // another port
      request('PATCH', { origin: 'https://exports.example.test.evil.example' }),
      request('POST', { origin: 'null' }), // a sandboxed frame or a redirect across sites
      // Origin wins over Referer: a cross-site page cannot borrow ours.
      request('POST', { origin: 'https://evil.example', referer: 'https://exports.example.test/' }),
      request('POST', { referer: 'https://evil.example/page' }),
    ];
    for (const refused of refusals) {
      const response = refuseCrossSiteRequest(refused, intranet);
      expect(response?.status).toBe(403);
      expect(response?.headers.get('cache-control')).toBe('no-store');
      expect(await response?.json()).toEqual({ error: 'This request comes from another site; the dashboard accepts changes only from its own pages.' });
    }
    expect(refuseCrossSiteRequest(request('POST', { origin: 'http://localhost:3212' }), local)?.status).toBe(403);
    expect(refuseCrossSiteRequest(request('POST', { origin: 'https://localhost:3211' }), local)?.status).toBe(403);
  });

  it('refuses a change that says neither Origin nor Referer (or a Referer that is no URL), and says to send Origin', async () => {
    for (const headers of [{}, { referer: 'not a url' }, { referer: '' }] as Record<string, string>[]) {
      const response = refuseCrossSiteRequest(request('POST', headers), intranet);
      expect(response?.status).toBe(403);
      expect(((await response?.json()) as { error?: string } | undefined)?.error).toMatch(/send Origin: <PUBLIC_URL>/);
    }
  });
});
