import type { BlockObjectResponse } from '@notionhq/client';

/** A block as returned by the API, with its children (fetched separately) nested in place. */
export type BlockNode = BlockObjectResponse & { children?: BlockNode[] };

