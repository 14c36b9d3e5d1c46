/** Builders for Notion rich-text items, typed with the SDK's response types. */
import type { ApiColor, RichTextItemResponse } from '@notionhq/client';

type Annotations = RichTextItemResponse['annotations'];

export interface TextStyle {
  bold?: boolean;
  italic?: boolean;
  strikethrough?: boolean;
  underline?: boolean;
  code?: boolean;
  color?: ApiColor;
  link?: string;
}

function annotations(style: TextStyle = {}): Annotations {
  return {
    bold: style.bold ?? false,
    italic: style.italic ?? false,
    strikethrough: style.strikethrough ?? false,
    underline: style.underline ?? false,
    code: style.code ?? false,
    color: style.color ?? 'default',
  };
}

/** The page/database URL Notion uses in hrefs: `https://app.notion.com/p/<32 hex>`. */
export function notionUrl(id: string, slugSource?: string): string {
  const hex = id.replaceAll('-', '');
  const slug = (slugSource ?? '')
    .normalize('NFKD')
    .replace(/[^A-Za-z0-9]+/g, '-')
    .replace(/^-+|-+$/g, '')
    .slice(0, 60);
  return `https://app.notion.com/p/${slug ? `${slug}-` : ''}${hex}`;
}

export function text(content: string, style: TextStyle = {}): RichTextItemResponse {
  return {
    type: 'text',
    text: { content, link: style.link ? { url: style.link } : null },
    annotations: annotations(style),
    plain_text: content,
    href: style.link ?? null,
  };
}

/** Rich text for a plain title: `[]` for an empty title, like Notion. */
export function titleText(title: string): RichTextItemResponse[] {
  return title === '' ? [] : [text(title)];
}

export function mentionPage(id: string, title: string): RichTextItemResponse {
  return {
    type: 'mention',
    mention: { type: 'page', page: { id } },
    annotations: annotations(),
    plain_text: title === '' ? 'Untitled' : title,
    href: notionUrl(id),
  };
}

export function mentionDatabase(id: string, title: string): RichTextItemResponse {
  return {
    type: 'mention',
    mention: { type: 'database', database: { id } },
    annotations: annotations(),
    plain_text: title,
    href: notionUrl(id),
  };
}

export function mentionUser(id: string, name: string): RichTextItemResponse {
  return {
    type: 'mention',
    mention: { type: 'user', user: { object: 'user', id } },
    annotations: annotations(),
    plain_text: `@${name}`,
    href: null,
  };
}

export function mentionDate(start: string, end: string | null = null): RichTextItemResponse {
  return {
    type: 'mention',
    mention: { type: 'date', date: { start, end, time_zone: null } },
    annotations: annotations(),
    plain_text: end ? `${start} → ${end}` : start,
    href: null,
  };
}

export function mentionLink(href: string, title: string): RichTextItemResponse {
  return {
    type: 'mention',
    mention: { type: 'link_mention', link_mention: { href, title, link_provider: 'Example' } },
    annotations: annotations(),
    plain_text: href,
    href,
  };
}

export function equation(expression: string): RichTextItemResponse {
  return {
    type: 'equation',
    equation: { expression },
    annotations: annotations(),
    plain_text: expression,
    href: null,
  };
}
