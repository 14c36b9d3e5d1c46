/**
 * `node --import tsx bench/zip-server.ts <export folder>`: the download route's zip, served over
 * node:http for bench/zip.ts. It mirrors `app/api/exports/[id]/download/route.ts` (a `Response`
 * whose body is `zipToWebStream(dir)`) and the way Next writes a `Response` to the socket (read
 * the web body, write, wait for 'drain'), without Next, the database or the export lookup.
 * Prints `{"port":N}` on stdout once it listens; serves `GET /zip` until killed.
 */
import http from 'node:http';
import { zipToWebStream } from '@/server/export/delivery/zip';

async function send(response: Response, res: http.ServerResponse): Promise<void> {
  res.writeHead(response.status, Object.fromEntries(response.headers));
  if (!response.body) return void res.end();
  const reader = response.body.getReader();
  res.on('close', () => {
    if (!res.writableFinished) reader.cancel().catch(() => {});
  });
  try {
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      if (!res.write(value)) await new Promise((resolve) => res.once('drain', resolve));
    }
    res.end();
  } catch (error) {
    res.destroy(error as Error);
  }
}

function main(): void {
  const dir = process.argv[2];
  if (!dir) throw new Error('usage: zip-server.ts <export folder>');
  const server = http.createServer((req, res) => {
    if (req.url !== '/zip') return void res.writeHead(404).end();
    const response = new Response(zipToWebStream(dir), {
      headers: {
        'Content-Type': 'application/zip',
        'Content-Disposition': 'attachment; filename="notion-export-bench.zip"',
        'Cache-Control': 'no-store',
      },
    });
    void send(response, res);
  });
  server.listen(0, '127.0.0.1', () => {
    const address = server.address();
    if (address && typeof address === 'object') process.stdout.write(`${JSON.stringify({ port: address.port })}\n`);
  });
}

main();
