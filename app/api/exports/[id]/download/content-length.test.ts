import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { NodeNextResponse } from 'next/dist/server/base-http/node';
import { sendResponse } from 'next/dist/server/send-response';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

/**
 * Next's server drops a route handler's Content-Length (and Content-Encoding, Transfer-Encoding),
 * for answers of fetch() whose bodies were decoded. patches/next+16.4.6.patch keeps the route's
 * own Content-Length when the body is not encoded, so a zip whose size is known before it is
 * streamed arrives with it (a browser shows the download's progress). This runs Next's own
 * sendResponse on a real HTTP server: without the patch the first test fails.
 */
let server: http.Server;
let url: string;
/** What the next request answers with. */
let answer: () => Response;

beforeAll(async () => {
  server = http.createServer((req, res) => {
    void sendResponse(req as never, new NodeNextResponse(res) as never, answer());
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/`;
});

afterAll(async () => {
  await new Promise((resolve) => server.close(resolve));
});

/** The raw answer's headers, read without fetch (which would not show a dropped length any differently). */
function rawHeaders(): Promise<http.IncomingHttpHeaders & { body: string }> {
  return new Promise((resolve, reject) => {
    http
      .get(url, (res) => {
        let body = '';
        res.setEncoding('utf8').on('data', (chunk: string) => {
          body += chunk;
        });
        res.on('end', () => resolve({ ...res.headers, body }));
      })
      .on('error', reject);
  });
}

describe("Next's sendResponse, as patched", () => {
  it("keeps a streamed answer's own Content-Length, so the client knows the size up front", async () => {
    const bytes = new TextEncoder().encode('PK zip bytes of a known size');
    answer = () =>
      new Response(
        new ReadableStream({
          start(controller) {
            controller.enqueue(bytes);
            controller.close();
          },
        }),
        { headers: { 'Content-Type': 'application/zip', 'Content-Length': String(bytes.length) } },
      );
    const headers = await rawHeaders();
    expect(headers['content-length']).toBe(String(bytes.length));
    expect(headers['transfer-encoding']).toBeUndefined();
    expect(headers.body).toBe('PK zip bytes of a known size');
  });

  it('still drops the length of an encoded body (a decoded fetch answer), as Next means to', async () => {
    answer = () => new Response('decoded text', { headers: { 'Content-Encoding': 'gzip', 'Content-Length': '5' } });
    const headers = await rawHeaders();
    expect(headers['content-length']).toBeUndefined();
    expect(headers['content-encoding']).toBeUndefined();
    expect(headers.body).toBe('decoded text');
  });
});
