import type { BlockObjectResponse } from '@notionhq/client';

/** A block as returned by the API, with its children (fetched separately) nested in place. */
export type BlockNode = BlockObjectResponse & { children?: BlockNode[] };

/** One file of an export, as recorded in the manifest. */
export interface WrittenFile {
  /** Relative to the export root, with forward slashes. */
  path: string;
  bytes: number;
  /** Lower-case hex. */
  sha256: string;
  /** The Notion id of the page or database the file came from. */
  sourceId: string;
}
