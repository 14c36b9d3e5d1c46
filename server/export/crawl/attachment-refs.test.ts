import { describe, expect, it } from 'vitest';
import { AttachmentError, type AttachmentRef, AttachmentSkippedError, type AttachmentStore, type SavedAttachment } from '@/server/export/files/attachments';
import { saveAttachments } from './attachment-refs';
import type { ExportTarget } from './export-target';

const ref = (name: string): AttachmentRef => ({ url: `https://files.example/${name}?sig=1`, kind: 'file', name, sourceId: 'block-1' });
const saved = (name: string): SavedAttachment => ({ path: `attachments/0123456789abcdef/${name}`, bytes: 3, sha256: 'a'.repeat(64), sourceId: 'block-1' });

/** A target whose attachment store answers each file as the test says (a stub of the store only; its counters, for the metrics, stay at 0). */
function targetWith(answer: (ref: AttachmentRef) => Promise<SavedAttachment | undefined>): ExportTarget {
  const stats = () => ({ saved: 0, deduplicated: 0, bytes: 0, failed: 0, skipped: 0, refreshed: 0 });
  return { attachments: { save: answer, stats } as unknown as AttachmentStore } as ExportTarget;
}

describe('saveAttachments', () => {
  it('keeps the files it could save and records the others as issues of the page', async () => {
    const target = targetWith(async (r) => {
      if (r.name === 'gone.png') throw new AttachmentError('404 Not Found', { ref: r, status: 404 });
      return saved(r.name ?? '');
    });
    const result = await saveAttachments(target, [ref('a.png'), ref('gone.png')], 'page-1');
    expect(result.files.map((f) => [f.path, f.sourceId])).toEqual([['attachments/0123456789abcdef/a.png', 'page-1']]);
    expect(result.issues).toEqual([{ kind: 'attachment_failed', sourceId: 'block-1', message: 'gone.png: 404 Not Found' }]);
  });

  it('throws what is not a lost file (a full disk), so the export pauses instead of recording a gap', async () => {
    const full = Object.assign(new Error('ENOSPC: no space left on device'), { code: 'ENOSPC' });
    let settled = 0;
    const target = targetWith(async (r) => {
      settled++;
      if (r.name === 'big.mov') throw full;
      throw new AttachmentError('404 Not Found', { ref: r, status: 404 });
    });
    await expect(saveAttachments(target, [ref('gone.png'), ref('big.mov')], 'page-1')).rejects.toBe(full);
    expect(settled).toBe(2);
  });

  it('records an external link that is no file as skipped, and every external file it does not hold once per page', async () => {
    const external = (url: string, sourceId: string): AttachmentRef => ({ url, kind: 'external', sourceId });
    const watch = 'https://www.youtube.com/watch?v=1';
    const target = targetWith(async (r) => {
      if (r.url === watch) throw new AttachmentSkippedError(r, r.url, 'a page of youtube.com, not a file');
      if (r.url.endsWith('kept.png')) return undefined; // external downloads off
      return saved('photo.jpg');
    });
    const refs = [external(watch, 'block-1'), external(watch, 'block-2'), external('https://img.example/kept.png', 'page-1'), external('https://img.example/photo.jpg', 'block-3')];
    const result = await saveAttachments(target, refs, 'page-1');
    expect(result.issues).toEqual([
      { kind: 'attachment_skipped', sourceId: 'block-1', message: 'Not downloaded: https://www.youtube.com/watch is a page of youtube.com, not a file' },
      { kind: 'attachment_skipped', sourceId: 'block-2', message: 'Not downloaded: https://www.youtube.com/watch is a page of youtube.com, not a file' },
      { kind: 'external_link', sourceId: watch, message: '' },
      { kind: 'external_link', sourceId: 'https://img.example/kept.png', message: '' },
    ]);
    expect(result.files.map((f) => f.path)).toEqual(['attachments/0123456789abcdef/photo.jpg']);
  });
});
