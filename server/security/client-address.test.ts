import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { ConfigError, loadConfig } from '@/server/config';
import { CLIENT_ADDRESS_HEADER, clientAddressOf, recordClientAddresses, resolveClientAddress } from './client-address';

describe('resolveClientAddress', () => {
  it('is the connection address unless a proxy is trusted, whatever X-Forwarded-For says', () => {
    expect(resolveClientAddress('192.0.2.10', '203.0.113.9', false)).toBe('192.0.2.10');
    expect(resolveClientAddress('192.0.2.10', ['203.0.113.9', '198.51.100.1'], false)).toBe('192.0.2.10');
    expect(resolveClientAddress('::ffff:192.0.2.10', undefined, false)).toBe('192.0.2.10');
    expect(resolveClientAddress('2001:db8::1', undefined, false)).toBe('2001:db8::1');
    expect(resolveClientAddress(undefined, '203.0.113.9', false)).toBeUndefined();
  });

  it('behind a trusted proxy is the last X-Forwarded-For entry (the one the proxy appended)', () => {
    expect(resolveClientAddress('10.0.0.2', '6.6.6.6, 203.0.113.9', true)).toBe('203.0.113.9');
    expect(resolveClientAddress('10.0.0.2', ['6.6.6.6', '203.0.113.9'], true)).toBe('203.0.113.9');
    expect(resolveClientAddress('10.0.0.2', '::ffff:203.0.113.9', true)).toBe('203.0.113.9');
    // Nothing forwarded, or an entry that is no address: the proxy's own connection.
    expect(resolveClientAddress('10.0.0.2', undefined, true)).toBe('10.0.0.2');
    expect(resolveClientAddress('10.0.0.2', '203.0.113.9, not-an-address', true)).toBe('10.0.0.2');
    expect(resolveClientAddress('10.0.0.2', '203.0.113.9,', true)).toBe('10.0.0.2');
  });
});

describe('clientAddressOf', () => {
  it('reads the recorded address, and nothing else', () => {
    expect(clientAddressOf(new Headers({ [CLIENT_ADDRESS_HEADER]: ' 192.0.2.10 ' }))).toBe('192.0.2.10');
    expect(clientAddressOf(new Headers({ 'x-forwarded-for': '203.0.113.9', 'x-real-ip': '203.0.113.9' }))).toBeUndefined();
    expect(clientAddressOf(new Headers({ [CLIENT_ADDRESS_HEADER]: '' }))).toBeUndefined();
    expect(clientAddressOf(undefined)).toBeUndefined();
  });
});

describe('TRUST_PROXY', () => {
  it('is off unless set to true', () => {
    expect(loadConfig({}).trustProxy).toBe(false);
    expect(loadConfig({ TRUST_PROXY: '' }).trustProxy).toBe(false);
    expect(loadConfig({ TRUST_PROXY: 'true' }).trustProxy).toBe(true);
    expect(() => loadConfig({ TRUST_PROXY: 'yes' })).toThrow(ConfigError);
  });
});

describe('recordClientAddresses, on a real HTTP server', () => {
  let server: http.Server;
  let url: string;
  let stop: (() => void) | undefined;

  beforeAll(async () => {
    // Answers with the address the app would see, read the way route handlers read it.
    server = http.createServer((req, res) => {
      const headers = new Headers();
      for (const [name, value] of Object.entries(req.headers)) if (typeof value === 'string') headers.set(name, value);
      res.end(JSON.stringify({ address: clientAddressOf(headers) ?? null }));
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/`;
  });
  afterEach(() => {
    stop?.();
    stop = undefined;
  });
  afterAll(async () => {
    await new Promise((resolve) => server.close(resolve));
  });

  const seen = async (headers: Record<string, string> = {}) => ((await (await fetch(url, { headers })).json()) as { address: string | null }).address;

  it('gives the connection address; a client cannot choose another with X-Forwarded-For or the header itself', async () => {
    stop = recordClientAddresses({ trustProxy: false });
    expect(await seen()).toBe('127.0.0.1');
    expect(await seen({ 'x-forwarded-for': '203.0.113.9' })).toBe('127.0.0.1');
    expect(await seen({ [CLIENT_ADDRESS_HEADER]: '203.0.113.9', 'x-forwarded-for': '203.0.113.9, 198.51.100.1' })).toBe('127.0.0.1');
  });

  it('behind a trusted proxy takes the address the proxy appended', async () => {
    stop = recordClientAddresses({ trustProxy: true });
    expect(await seen({ 'x-forwarded-for': '6.6.6.6, 203.0.113.9' })).toBe('203.0.113.9');
    expect(await seen({ [CLIENT_ADDRESS_HEADER]: '6.6.6.6' })).toBe('127.0.0.1');
  });

  it('a second call replaces the first rule; once stopped, nothing is recorded', async () => {
    recordClientAddresses({ trustProxy: true });
    stop = recordClientAddresses({ trustProxy: false });
    expect(await seen({ 'x-forwarded-for': '203.0.113.9' })).toBe('127.0.0.1');
    stop();
    stop = undefined;
    expect(await seen({ 'x-forwarded-for': '203.0.113.9' })).toBeNull();
    expect(await seen({ [CLIENT_ADDRESS_HEADER]: '203.0.113.9' })).toBe('203.0.113.9');
  });
});
