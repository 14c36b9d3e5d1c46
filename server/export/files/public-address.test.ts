import { describe, expect, it } from 'vitest';
import { isPublicAddress, nonPublicReason } from './public-address';

describe('isPublicAddress', () => {
  it('refuses private, loopback, link-local, shared, reserved and multicast addresses', () => {
    for (const address of [
      '10.1.2.3',
      '127.0.0.1',
      '169.254.169.254',
      '172.16.0.1',
      '172.31.255.255',
      '192.168.1.1',
      '100.64.0.1',
      '0.0.0.0',
      '224.0.0.1',
      '255.255.255.255',
      '::1',
      '::',
      'fe80::1',
      'fd00::1',
      'ff02::1',
      '::ffff:127.0.0.1',
      '::ffff:a00:1',
      'not an address',
    ]) {
      expect(isPublicAddress(address), address).toBe(false);
    }
  });

  it('accepts public addresses of both families', () => {
    for (const address of ['93.184.216.34', '8.8.8.8', '172.32.0.1', '2606:4700:4700::1111', '::ffff:8.8.8.8']) {
      expect(isPublicAddress(address), address).toBe(true);
    }
  });
});

describe('nonPublicReason', () => {
  const resolvesTo =
    (...addresses: string[]) =>
    async () =>
      addresses.map((address) => ({ address }));

  it('judges literal hosts without asking DNS, and every address a name resolves to', async () => {
    const never = async () => {
      throw new Error('DNS asked');
    };
    expect(await nonPublicReason(new URL('http://127.0.0.1:8080/a.pdf'), never)).toMatch(/private or local address \(127\.0\.0\.1\)/);
    expect(await nonPublicReason(new URL('http://[::1]/a.pdf'), never)).toMatch(/\(::1\)/);
    expect(await nonPublicReason(new URL('https://files.example.com/a.pdf'), resolvesTo('93.184.216.34'))).toBeUndefined();
    // One internal answer among public ones is enough to refuse.
    expect(await nonPublicReason(new URL('https://files.example.com/a.pdf'), resolvesTo('93.184.216.34', '10.0.0.5'))).toMatch(/10\.0\.0\.5/);
  });

  it('leaves a name that does not resolve to the request, which fails as an unreachable host', async () => {
    const fails = async () => {
      throw Object.assign(new Error('getaddrinfo ENOTFOUND'), { code: 'ENOTFOUND' });
    };
    expect(await nonPublicReason(new URL('https://nowhere.invalid/a.pdf'), fails)).toBeUndefined();
  });
});
