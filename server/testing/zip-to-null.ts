/**
 * Streams an export folder as a zip (the download path, `createZipStream`) into a file, or into
 * nothing when no file is given, and prints the byte count. Usage:
 * `node --import tsx server/testing/zip-to-null.ts <export dir> [out.zip]`. The reliability tests
 * run it with the `mid-zip` failpoint armed to kill a zip half-way.
 */
import fs from 'node:fs';
import { Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { createZipStream } from '@/server/export/delivery/zip';

const [root, out] = process.argv.slice(2);
if (!root) {
  process.stderr.write('usage: zip-to-null.ts <export dir> [out.zip]\n');
  process.exit(1);
}
let bytes = 0;
const sink = out
  ? fs.createWriteStream(out)
  : new Writable({
      write(chunk: Buffer, _encoding, callback) {
        bytes += chunk.length;
        callback();
      },
    });
pipeline(createZipStream(root), sink).then(
  () => process.stdout.write(`${out ? fs.statSync(out).size : bytes} bytes\n`),
  (error: unknown) => {
    process.stderr.write(`zip failed: ${error instanceof Error ? error.message : String(error)}\n`);
    process.exitCode = 1;
  },
);
