import { afterEach, describe, expect, it, vi } from 'vitest';
import { postJson } from './post-json';

afterEach(() => {
  vi.unstubAllGlobals();
});

describe('postJson', () => {
  it('sends the body as JSON and gives back the status and the JSON object answered', async () => {
    const fetch = vi.fn(async () => Response.json({ message: 'Invalid password' }, { status: 401 }));
    vi.stubGlobal('fetch', fetch);
    expect(await postJson('/api/auth/sign-in/email', { email: 'a@example.test' })).toEqual({
      ok: false,
      status: 401,
      body: { message: 'Invalid password' },
    });
    expect(fetch).toHaveBeenCalledWith('/api/auth/sign-in/email', {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: '{"email":"a@example.test"}',
    });
  });

  it('answers an empty body for an answer that is no JSON object', async () => {
    vi.stubGlobal('fetch', async () => new Response('<html>Bad gateway</html>', { status: 502 }));
    expect(await postJson('/api/setup', {})).toEqual({ ok: false, status: 502, body: {} });
    vi.stubGlobal('fetch', async () => Response.json(['a list']));
    expect(await postJson('/api/setup', {})).toEqual({ ok: true, status: 200, body: {} });
    vi.stubGlobal('fetch', async () => new Response(null, { status: 200 }));
    expect(await postJson('/api/auth/sign-out', {})).toEqual({ ok: true, status: 200, body: {} });
  });

  it('says status 0 when the server does not answer, without throwing', async () => {
    vi.stubGlobal('fetch', async () => {
      throw new TypeError('fetch failed');
    });
    expect(await postJson('/api/auth/sign-out', {})).toEqual({ ok: false, status: 0, body: {} });
  });
});
