/**
 * Icons and covers of pages, databases and callouts: what they are (specs shared by rendering and
 * `allAttachments()`) and how they render.
 */
import type { PageCoverResponse, PageIconResponse } from '@notionhq/client/build/src/api-endpoints';
import { signedFileUrl } from './files';
import type { RenderContext } from './render-context';
import { CUSTOM_EMOJI_NAMES, EMOJIS, NATIVE_ICONS } from './words';
import { CoverType, IconType } from './kinds';
import type { Workspace } from './workspace';

type NativeIcon = Extract<PageIconResponse, { type: 'icon' }>['icon'];

export type IconSpec =
  | { type: 'emoji'; emoji: string }
  | { type: 'external'; url: string }
  /** Notion-hosted: `name` is the attachment name under the owner's id. */
  | { type: 'file'; name: string }
  | { type: 'custom_emoji'; index: number }
  | { type: 'icon'; icon: NativeIcon };

export type CoverSpec = { type: 'external'; url: string } | { type: 'file'; name: string };

/** The icon of the page, database or block `ownerId`. */
export function iconSpec(iconType: IconType, index: number, ownerId: string): IconSpec | null {
  const short = ownerId.replaceAll('-', '').slice(0, 12);
  switch (iconType) {
    case IconType.none:
      return null;
    case IconType.emoji:
      return { type: 'emoji', emoji: EMOJIS[index % EMOJIS.length] };
    case IconType.external:
      return { type: 'external', url: `https://images.twin.example/icons/${short}.png` };
    case IconType.file:
      return { type: 'file', name: 'icon.png' };
    case IconType.customEmoji:
      return { type: 'custom_emoji', index: index % CUSTOM_EMOJI_NAMES.length };
    case IconType.native: {
      const icon = NATIVE_ICONS[index % NATIVE_ICONS.length];
      return { type: 'icon', icon: { name: icon.name, color: icon.color } };
    }
  }
}

export function coverSpec(coverType: CoverType, ownerId: string): CoverSpec | null {
  const short = ownerId.replaceAll('-', '').slice(0, 12);
  switch (coverType) {
    case CoverType.none:
      return null;
    case CoverType.external:
      return { type: 'external', url: `https://images.twin.example/covers/${short}.jpg` };
    case CoverType.file:
      return { type: 'file', name: 'cover.png' };
  }
}

/** A custom emoji as Notion returns it; its image is served by the twin (unsigned, never expires). */
export function customEmoji(ws: Workspace, baseUrl: string, index: number): { id: string; name: string; url: string } {
  const emoji = ws.customEmojis[index];
  return { id: emoji.id, name: emoji.name, url: `${baseUrl}/static/custom-emoji/${emoji.name}.png` };
}

export function renderIcon(ctx: RenderContext, spec: IconSpec | null, ownerId: string): PageIconResponse | null {
  if (spec === null) return null;
  switch (spec.type) {
    case 'emoji':
      return { type: 'emoji', emoji: spec.emoji };
    case 'external':
      return { type: 'external', external: { url: spec.url } };
    case 'file':
      return { type: 'file', file: signedFileUrl(ctx.baseUrl, ownerId, spec.name, ctx.nowMs, ctx.fileTtlMs) };
    case 'custom_emoji':
      return { type: 'custom_emoji', custom_emoji: customEmoji(ctx.ws, ctx.baseUrl, spec.index) };
    case 'icon':
      return { type: 'icon', icon: spec.icon };
  }
}

export function renderCover(ctx: RenderContext, spec: CoverSpec | null, ownerId: string): PageCoverResponse | null {
  if (spec === null) return null;
  return spec.type === 'external'
    ? { type: 'external', external: { url: spec.url } }
    : { type: 'file', file: signedFileUrl(ctx.baseUrl, ownerId, spec.name, ctx.nowMs, ctx.fileTtlMs) };
}
