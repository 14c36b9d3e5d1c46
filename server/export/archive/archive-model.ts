import { z } from 'zod';

/** The formats whose files link to each other (CSV is a table per data source, never a link target here). */
export const LinkFormat = z.enum(['html', 'markdown', 'json']);
export type LinkFormat = z.infer<typeof LinkFormat>;

/** Export-relative POSIX path of a file of the export, e.g. `Projects 1a2b…/Plan 3c4d….html`. */
const RelativePath = z
  .string()
  .min(1)
  .max(4096)
  .refine((p) => !p.startsWith('/') && !p.split('/').includes('..'), 'a path inside the export');

/** One page or database of the export as the archive's own pages show it. */
export const ArchiveItem = z.object({
  id: z.string().min(1).max(64),
  kind: z.enum(['page', 'database']),
  title: z.string().max(2000),
  /** The item it sits under in the workspace (a page, or a database for its rows); null at the top. */
  parentId: z.string().max(64).nullable(),
  /** Its file in each format written, relative to the export root. */
  paths: z.object({ html: RelativePath.optional(), markdown: RelativePath.optional(), json: RelativePath.optional() }),
});
export type ArchiveItem = z.infer<typeof ArchiveItem>;

/** The file of an item for a page of this format: that format's own, else the first one written. */
export function pathFor(item: Pick<ArchiveItem, 'paths'>, format: LinkFormat): string | undefined {
  return item.paths[format] ?? item.paths.html ?? item.paths.markdown ?? item.paths.json;
}

const HTML_ESCAPES: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' };

/** Text or an attribute value made safe inside HTML. */
export const escapeHtml = (value: string): string => value.replace(/[&<>"']/g, (c) => HTML_ESCAPES[c] ?? c);

/**
 * An export-relative path as a relative URL from the export root: each segment percent-encoded,
 * so titles with `#`, `?`, `%` or spaces still open the right file from `file://`.
 */
export const hrefOf = (path: string): string => path.split('/').map(encodeURIComponent).join('/');

/** Text inside a Markdown link label or a list item: Markdown's own characters escaped. */
export const escapeMarkdown = (value: string): string =>
  value.replace(/[\\`*_[\]<>|~&]/g, (c) => `\\${c}`).replace(/\s+/g, ' ');
