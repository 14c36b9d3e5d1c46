import type { DataSourceObjectResponse } from '@notionhq/client/build/src/api-endpoints';
import type { BlockContent, Literal, Parent, PhrasingContent } from 'mdast';

/**
 * What the writers need from the export around one page. Every link it returns must already be
 * relative to the file being written.
 */
export interface DocumentContext {
  /** Relative URL of another exported page or database (child pages, link_to_page, mentions, relations). */
  linkForPage?(id: string): string | undefined;
  /** Title of another page or database (link_to_page targets, relations). */
  titleForPage?(id: string): string | undefined;
  /** Relative path of a downloaded attachment; undefined keeps the original URL. */
  linkForFile?(ref: { blockId?: string; url: string; name?: string }): string | undefined;
  /**
   * Display name of a user (mentions, people, created by, last edited by, verified by): the export's
   * list of users. A user it does not know is shown by id with UNKNOWN_USER_NOTE.
   */
  userName?(id: string): string | undefined;
  /** Path from the page's folder to the export root, e.g. '../..' (for shared assets). */
  pathToRoot?: string;
  /** The data source the page is a row of: gives number formats and the order of properties. */
  dataSource?: DataSourceObjectResponse;
}

/** What follows the id of a user whose name the export could not read (the token may not list users). */
export const UNKNOWN_USER_NOTE = '(unknown user)';

// ---------------------------------------------------------------------------------------------
// The document tree is mdast plus a few nodes for what Markdown cannot say. The Markdown writer
// lowers them to plain mdast (markdown.ts), the HTML writer turns them into elements (html.ts).

/** An icon: an emoji, a workspace custom emoji (`:name:` + image), or an image file. */
export interface Icon extends Literal {
  type: 'icon';
  kind: 'emoji' | 'custom_emoji' | 'image';
  /** The emoji, the custom emoji's name, or the image's alternative text. */
  value: string;
  url?: string;
}

/** Underline (`<u>`) or colour (`<span class="color-red">`): shown in HTML, plain text in Markdown. */
export interface Styled extends Parent {
  type: 'styled';
  tag: 'u' | 'span';
  className?: string[];
  children: PhrasingContent[];
}

/** A toggle: the first child is the summary (a paragraph, or a heading for toggleable headings). */
export interface Toggle extends Parent {
  type: 'toggle';
  className?: string[];
  children: BlockContent[];
}

/** A box of blocks: columns, a column, indented children, meeting notes, tabs. */
export interface Container extends Parent {
  type: 'container';
  tag: 'div' | 'section';
  className: string[];
  children: BlockContent[];
}

export interface Callout extends Parent {
  type: 'callout';
  icon?: Icon;
  className: string[];
  children: BlockContent[];
}

export type MediaKind = 'image' | 'video' | 'audio' | 'pdf' | 'file' | 'bookmark' | 'embed' | 'link_preview';

/** An image, attachment or web link block; its children are the caption. */
export interface Media extends Parent {
  type: 'media';
  kind: MediaKind;
  url: string;
  /** Whether `url` points at a downloaded copy (relative path) rather than the web. */
  local: boolean;
  /** Text to show when there is no caption (file name or URL). */
  label: string;
  children: PhrasingContent[];
}

declare module 'mdast' {
  interface BlockContentMap {
    toggle: Toggle;
    container: Container;
    callout: Callout;
    media: Media;
  }
  interface PhrasingContentMap {
    styled: Styled;
    icon: Icon;
  }
  interface RootContentMap {
    toggle: Toggle;
    container: Container;
    callout: Callout;
    media: Media;
    styled: Styled;
    icon: Icon;
  }
  /** Notion's table flags, for HTML (Markdown always has one header row). */
  interface TableData {
    hasColumnHeader?: boolean;
    hasRowHeader?: boolean;
  }
}
