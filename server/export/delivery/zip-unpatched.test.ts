import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, expect, it, vi } from 'vitest';

// yazl as an install that skipped scripts leaves it: without the fields the patch adds.
vi.mock('yazl', async (importOriginal) => {
  const yazl = await importOriginal<typeof import('yazl')>();
  class UnpatchedZipFile extends yazl.ZipFile {
    constructor() {
      super();
      delete (this as { firstNotDoneEntryIndex?: number }).firstNotDoneEntryIndex;
    }
  }
  return { ...yazl, ZipFile: UnpatchedZipFile };
});

let root: string;
beforeEach(async () => {
  root = await mkdtemp(path.join(tmpdir(), 'zip-unpatched-'));
});
afterEach(async () => {
  await rm(root, { recursive: true, force: true });
});

it('refuses to zip, saying how to fix it, when yazl lacks the patch', async () => {
  const { createZipStream, zipToWebStream } = await import('./zip');
  expect(() => createZipStream(root)).toThrow(/without patches\/yazl\+3\.3\.1\.patch: run `npm install`/);
  expect(() => zipToWebStream(root)).toThrow(/without patches\/yazl/);
});
