import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { Readable } from 'node:stream';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import yauzl from 'yauzl';
import { createZipStream, zipToWebStream } from './zip';

let root: string;

beforeEach(async () => {
  root = await mkdtemp(path.join(tmpdir(), 'zip-'));
});

afterEach(async () => {
  await rm(root, { recursive: true, force: true });
});

async function collect(stream: Readable): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of stream) chunks.push(Buffer.from(chunk as Uint8Array));
  return Buffer.concat(chunks);
}

/** Reads a zip back into { name → content } (directories map to null). */
function unzip(buffer: Buffer): Promise<Map<string, string | null>> {
  return new Promise((resolve, reject) => {
    yauzl.fromBuffer(buffer, { lazyEntries: true }, (err, zip) => {
      if (err) return reject(err);
      const files = new Map<string, string | null>();
      zip.on('error', reject);
      zip.on('end', () => resolve(files));
      zip.on('entry', (entry: yauzl.Entry) => {
        if (entry.fileName.endsWith('/')) {
          files.set(entry.fileName, null);
          zip.readEntry();
          return;
        }
        zip.openReadStream(entry, (streamErr, stream) => {
          if (streamErr) return reject(streamErr);
          collect(stream)
            .then((data) => {
              files.set(entry.fileName, data.toString('utf8'));
              zip.readEntry();
            })
            .catch(reject);
        });
      });
      zip.readEntry();
    });
  });
}

async function seed(files: Record<string, string>) {
  for (const [rel, content] of Object.entries(files)) {
    const abs = path.join(root, ...rel.split('/'));
    await mkdir(path.dirname(abs), { recursive: true });
    await writeFile(abs, content);
  }
}

const tree = {
  'manifest.json': '{"version":1}\n',
  'Home 393abc1eedcd81f5ae94ec2d55fe98ed.md': '# Home\n',
  'Home 393abc1eedcd81f5ae94ec2d55fe98ed/Child é 393abc1eedcd81e297eafad78f8ecc3a.md': '# Child é\n'.repeat(1000),
  'Home 393abc1eedcd81f5ae94ec2d55fe98ed/deep/deeper/data.json': JSON.stringify({ a: [1, 2, 3] }),
  'empty.txt': '',
};

describe('createZipStream', () => {
  it('streams a folder with nested files that unzip to the same contents', async () => {
    await seed({ ...tree, 'Home 393abc1eedcd81f5ae94ec2d55fe98ed/.Child.md.0123456789ab.tmp': 'half a file' });
    const zip = await collect(createZipStream(root));
    expect(zip.subarray(0, 2).toString()).toBe('PK');
    const entries = await unzip(zip);
    const files = new Map([...entries].filter(([, content]) => content !== null));
    expect(Object.fromEntries(files)).toEqual(tree);
  });

  it('can store without compression', async () => {
    await seed({ 'a.txt': 'a'.repeat(10_000) });
    const stored = await collect(createZipStream(root, { level: 0 }));
    const compressed = await collect(createZipStream(root, { level: 9 }));
    expect(stored.length).toBeGreaterThan(10_000);
    expect(compressed.length).toBeLessThan(1000);
    expect((await unzip(stored)).get('a.txt')).toBe('a'.repeat(10_000));
  });

  it('refuses a folder that does not exist', async () => {
    expect(() => createZipStream(path.join(root, 'missing'))).toThrow(/export folder does not exist/);
    await writeFile(path.join(root, 'file'), '');
    expect(() => zipToWebStream(path.join(root, 'file'))).toThrow(/export folder does not exist/);
  });

  it('turns archiver warnings (a file vanished mid-zip) into stream errors', async () => {
    await seed(tree);
    const stream = createZipStream(root);
    const failed = collect(stream);
    stream.emit('warning', Object.assign(new Error('ENOENT: file vanished'), { code: 'ENOENT' }));
    await expect(failed).rejects.toThrow('file vanished');
  });
});

describe('zipToWebStream', () => {
  it('gives a web ReadableStream usable as a Response body', async () => {
    await seed(tree);
    const response = new Response(zipToWebStream(root));
    const entries = await unzip(Buffer.from(await response.arrayBuffer()));
    expect(entries.get('Home 393abc1eedcd81f5ae94ec2d55fe98ed.md')).toBe('# Home\n');
  });
});
