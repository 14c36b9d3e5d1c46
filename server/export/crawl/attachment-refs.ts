import type { DatabaseObjectResponse, PageObjectResponse } from '@notionhq/client/build/src/api-endpoints';
import type { ExportIssue, WrittenFile } from '@/server/export/domain/export';
import { AttachmentError, type AttachmentRef, AttachmentSkippedError, type SavedAttachment } from '@/server/export/files/attachments';
import type { BlockNode } from '@/server/export/render/block-node';
import { recordAttachments } from '@/server/observability/export-metrics';
import type { ExportTarget } from './export-target';

type FileSource = { type: 'file'; file: { url: string; expiry_time?: string } } | { type: 'external'; external: { url: string } };

function refOf(source: FileSource | null | undefined, sourceId: string, name?: string): AttachmentRef | undefined {
  if (!source) return undefined;
  if (source.type === 'file') return { url: source.file.url, kind: 'file', name, sourceId, expiryTime: source.file.expiry_time };
  if (source.type === 'external') return { url: source.external.url, kind: 'external', name, sourceId };
  return undefined;
}

const MEDIA = new Set(['image', 'video', 'audio', 'file', 'pdf']);

/** The files a page shows: media blocks, its icon and cover, `files` properties. */
export function attachmentRefs(page: PageObjectResponse | undefined, blocks: readonly BlockNode[]): AttachmentRef[] {
  const refs: AttachmentRef[] = [];
  const push = (ref: AttachmentRef | undefined) => {
    if (ref) refs.push(ref);
  };
  if (page) {
    push(refOf(page.icon as FileSource | null, page.id));
    push(refOf(page.cover as FileSource | null, page.id));
    for (const prop of Object.values(page.properties)) {
      if (prop.type !== 'files') continue;
      for (const f of prop.files) push(refOf(f as FileSource, page.id, f.name));
    }
  }
  const walk = (list: readonly BlockNode[]) => {
    for (const block of list) {
      const payload = (block as unknown as Record<string, unknown>)[block.type] as
        | (FileSource & { name?: string; icon?: FileSource | null })
        | undefined;
      if (MEDIA.has(block.type) && payload) push(refOf(payload, block.id, payload.name || undefined));
      if (block.type === 'callout' && payload?.icon) push(refOf(payload.icon, block.id));
      if (block.children) walk(block.children);
    }
  };
  walk(blocks);
  return refs;
}

/** A database's own files: its icon and cover. */
export function databaseAttachmentRefs(database: DatabaseObjectResponse): AttachmentRef[] {
  return [refOf(database.icon as FileSource | null, database.id), refOf(database.cover as FileSource | null, database.id)].filter(
    (r): r is AttachmentRef => r !== undefined,
  );
}

/**
 * Saves every attachment; a file that cannot be had becomes an issue of the page, never a lost
 * page, and an external link that is no file (a web page, too large) an `attachment_skipped` one.
 * Every external file the export does not hold is recorded once per page as `external_link`
 * (report.json lists each URL once with its pages). Other errors (a full disk, a lost lease) are
 * thrown once every save has settled.
 */
export async function saveAttachments(
  target: ExportTarget,
  refs: AttachmentRef[],
  itemId: string,
): Promise<{ saved: Map<string, SavedAttachment>; files: WrittenFile[]; issues: ExportIssue[] }> {
  const saved = new Map<string, SavedAttachment>();
  const issues: ExportIssue[] = [];
  const results = await Promise.allSettled(refs.map((ref) => target.attachments.save(ref)));
  if (refs.length > 0) recordAttachments(target.attachments);
  // A file that cannot be had (gone, refused, too many failures) is an issue of the page; anything
  // else — a full disk, a lost lease, a stopped export — ends the item as it would without files.
  const fatal = results.find((r): r is PromiseRejectedResult => r.status === 'rejected' && !(r.reason instanceof AttachmentError));
  if (fatal) throw fatal.reason;
  const external = new Set<string>();
  refs.forEach((ref, i) => {
    const result = results[i];
    if (result?.status === 'fulfilled' && result.value) {
      saved.set(ref.url, result.value);
      return;
    }
    if (ref.kind === 'external') external.add(ref.url);
    if (result?.status !== 'rejected') return;
    if (result.reason instanceof AttachmentSkippedError) {
      issues.push({ kind: 'attachment_skipped', sourceId: ref.sourceId, message: result.reason.message });
    } else {
      const message = (result.reason as AttachmentError).message;
      issues.push({ kind: 'attachment_failed', sourceId: ref.sourceId, message: `${ref.name ?? ref.url.split('?')[0]}: ${message}` });
    }
  });
  for (const url of external) issues.push({ kind: 'external_link', sourceId: url, message: '' });
  const files = [...new Map([...saved.values()].map((s) => [s.path, s])).values()].map((s) => ({
    path: s.path,
    bytes: s.bytes,
    sha256: s.sha256,
    sourceId: itemId }));
  return { saved, files, issues };
}

