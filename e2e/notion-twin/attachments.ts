/**
 * Every file a workspace holds (`Workspace.allAttachments()`): Notion-hosted files with the hash of
 * the bytes the twin serves for them, and external file references.
 */
import { fileDigest } from './files';
import { type CoverSpec, coverSpec, type IconSpec, iconSpec } from './icons';
import { nodeIcon, nodeId, nodeMedia, uncachedPageBody } from './page-content';
import { rowFiles } from './properties';
import type { Workspace } from './workspace';

/** Where an attachment appears. */
export type AttachmentPlace =
  | 'image'
  | 'video'
  | 'audio'
  | 'pdf'
  | 'file'
  | 'callout_icon'
  | 'page_icon'
  | 'page_cover'
  | 'database_icon'
  | 'database_cover'
  | 'property';

export interface Attachment {
  /** Dashed id of the block, page or database that holds the file (hosted URLs live under it). */
  ownerId: string;
  /** File name: the hosted file's name, the `files` property item's name, or the external URL's last segment. */
  name: string;
  /** sha256 (hex) of the bytes `/files/<owner>/<name>` serves; `''` for external files. */
  sha256: string;
  /** Size of those bytes; 0 for external files. */
  bytes: number;
  /** `'file'`: Notion-hosted (signed, expiring URL); `'external'`: a plain URL the twin does not serve. */
  kind: 'file' | 'external';
  where: AttachmentPlace;
  /** External files only: the URL. */
  url?: string;
  /** `where: 'property'` only: the property name. */
  property?: string;
}

function hosted(ownerId: string, name: string, where: AttachmentPlace, property?: string): Attachment {
  const { sha256, bytes } = fileDigest(ownerId, name);
  return property === undefined ? { ownerId, name, sha256, bytes, kind: 'file', where } : { ownerId, name, sha256, bytes, kind: 'file', where, property };
}

function external(ownerId: string, url: string, where: AttachmentPlace, name?: string, property?: string): Attachment {
  const shown = name ?? decodeURIComponent(url.slice(url.lastIndexOf('/') + 1).split('?')[0]);
  const out: Attachment = { ownerId, name: shown, sha256: '', bytes: 0, kind: 'external', where, url };
  if (property !== undefined) out.property = property;
  return out;
}

function iconAttachment(ownerId: string, spec: IconSpec | null, where: AttachmentPlace): Attachment | null {
  if (spec?.type === 'file') return hosted(ownerId, spec.name, where);
  if (spec?.type === 'external') return external(ownerId, spec.url, where);
  return null;
}

function coverAttachment(ownerId: string, spec: CoverSpec | null, where: AttachmentPlace): Attachment | null {
  if (spec?.type === 'file') return hosted(ownerId, spec.name, where);
  if (spec?.type === 'external') return external(ownerId, spec.url, where);
  return null;
}

export function listAttachments(ws: Workspace): Attachment[] {
  const out: Attachment[] = [];
  const push = (a: Attachment | null) => {
    if (a) out.push(a);
  };
  // Only what an export holds: items in the trash or out of the integration's sight are left out.
  for (const db of ws.databases) {
    if (ws.databaseAccess(db) !== 'live') continue;
    push(iconAttachment(db.id, iconSpec(db.iconType, db.icon, db.id), 'database_icon'));
    push(coverAttachment(db.id, coverSpec(db.coverType, db.id), 'database_cover'));
  }
  // A synced reference's children are its original's: they are listed once, with the original.
  for (const page of ws.pages) {
    if (ws.pageAccess(page) !== 'live') continue;
    push(iconAttachment(page.id, iconSpec(page.iconType, page.icon, page.id), 'page_icon'));
    push(coverAttachment(page.id, coverSpec(page.coverType, page.id), 'page_cover'));
    const body = uncachedPageBody(ws, page);
    for (let idx = 0; idx < body.nodes.length; idx++) {
      const media = nodeMedia(ws, page, body, idx);
      const id = nodeId(ws, page, body, idx);
      if (media) push(media.hosted ? hosted(id, media.name, media.type) : external(id, media.url, media.type, media.type === 'file' ? media.name : undefined));
      const icon = nodeIcon(ws, page, body, idx);
      if (icon && body.nodes[idx].type === 'callout') push(iconAttachment(id, icon, 'callout_icon'));
    }
    for (const f of rowFiles(ws, page)) {
      push(f.hosted ? hosted(page.id, f.name, 'property', 'Attachments') : external(page.id, `https://files.twin.example/${f.name}`, 'property', f.name, 'Attachments'));
    }
  }
  return out;
}
