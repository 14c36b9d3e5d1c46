import { type Client, isFullBlock, isFullDatabase, isFullPage } from '@notionhq/client';
import type { AttachmentRef } from '@/server/export/files/attachments';
import { attachmentRefs, databaseAttachmentRefs } from './attachment-refs';

/** A fresh URL for an expired Notion-hosted file: re-reads its block, page or database. */
export async function freshFileUrl(client: Client, ref: AttachmentRef): Promise<string | undefined> {
  const samePath = (url: string) => url.split('?')[0] === ref.url.split('?')[0];
  const find = (refs: AttachmentRef[]) => refs.find((r) => samePath(r.url))?.url;
  const attempts: (() => Promise<string | undefined>)[] = [
    async () => {
      const block = await client.blocks.retrieve({ block_id: ref.sourceId });
      return isFullBlock(block) ? find(attachmentRefs(undefined, [block])) : undefined;
    },
    async () => {
      const page = await client.pages.retrieve({ page_id: ref.sourceId });
      return isFullPage(page) ? find(attachmentRefs(page, [])) : undefined;
    },
    async () => {
      const database = await client.databases.retrieve({ database_id: ref.sourceId });
      return isFullDatabase(database) ? find(databaseAttachmentRefs(database)) : undefined;
    },
  ];
  // The owner is a block (media, callout icon), a page (icon, cover, files property) or a
  // database (icon, cover); a wrong guess answers 404 or holds no such file.
  for (const attempt of attempts) {
    const url = await attempt().catch(() => undefined);
    if (url) return url;
  }
  return undefined;
}
