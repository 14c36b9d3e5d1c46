/**
 * `node --import tsx bench/zip-client.ts <url> <file>`: downloads `url` into `file` the way a browser
 * saves a download, in a process of its own (as the browser is), so the bench process's own work
 * (the disk read pass, sampling) and its garbage do not slow the download. Prints
 * `{"bytes":N,"sec":S}`, timed from the request to the last byte written.
 */
import { createWriteStream } from 'node:fs';
import http from 'node:http';
import { pipeline } from 'node:stream/promises';

async function main(): Promise<void> {
  const [url, file] = process.argv.slice(2);
  if (!url || !file) throw new Error('usage: zip-client.ts <url> <file>');
  const started = performance.now();
  const res = await new Promise<http.IncomingMessage>((resolve, reject) => http.get(url, resolve).once('error', reject));
  if (res.statusCode !== 200) throw new Error(`GET ${url}: ${res.statusCode}`);
  let bytes = 0;
  res.on('data', (chunk: Buffer) => {
    bytes += chunk.length;
  });
  await pipeline(res, createWriteStream(file));
  process.stdout.write(`${JSON.stringify({ bytes, sec: (performance.now() - started) / 1000 })}\n`);
}

main().catch((error: unknown) => {
  process.stderr.write(`${error instanceof Error ? error.message : String(error)}\n`);
  process.exit(1);
});
