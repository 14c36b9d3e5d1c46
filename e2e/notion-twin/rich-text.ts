/** Builders for Notion rich-text items, typed with the SDK's response types. */
import type { ApiColor, CustomEmojiResponse, RichTextItemResponse, UserObjectResponse } from '@notionhq/client';
import type { DateResponse } from '@notionhq/client/build/src/api-endpoints';

/** Every colour a rich text annotation or a block can have. */
export const API_COLORS: readonly ApiColor[] = [
  'default', 'gray', 'brown', 'orange', 'yellow', 'green', 'blue', 'purple', 'pink', 'red',
  'default_background', 'gray_background', 'brown_background', 'orange_background', 'yellow_background',
  'green_background', 'blue_background', 'purple_background', 'pink_background', 'red_background',
];

/** Longest `text.content` of one rich text item; Notion splits longer text into several items. */
export const RICH_TEXT_ITEM_LIMIT = 2000;

type Annotations = RichTextItemResponse['annotations'];

export interface TextStyle {
  bold?: boolean;
  italic?: boolean;
  strikethrough?: boolean;
  underline?: boolean;
  code?: boolean;
  color?: ApiColor;
  link?: string;
  /** `href` when it differs from `link` (Notion resolves relative page links like `/<32 hex>`). */
  href?: string;
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
    href: style.href ?? style.link ?? null,
  };
}

/** `content` as Notion returns long text: items of at most 2,000 characters. */
export function splitText(content: string, style: TextStyle = {}): RichTextItemResponse[] {
  const out: RichTextItemResponse[] = [];
  for (let i = 0; i < content.length; i += RICH_TEXT_ITEM_LIMIT) out.push(text(content.slice(i, i + RICH_TEXT_ITEM_LIMIT), style));
  return out;
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

/** A user mention; `full` gives the whole user object instead of `{object, id}`. */
export function mentionUser(id: string, name: string | null, full?: UserObjectResponse, style: TextStyle = {}): RichTextItemResponse {
  return {
    type: 'mention',
    mention: { type: 'user', user: full ?? { object: 'user', id } },
    annotations: annotations(style),
    plain_text: `@${name ?? 'Anonymous'}`,
    href: null,
  };
}

export function mentionDate(start: string, end: string | null = null, timeZone: string | null = null): RichTextItemResponse {
  const date: DateResponse = { start, end, time_zone: timeZone };
  return {
    type: 'mention',
    mention: { type: 'date', date },
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

/** A link mention with the optional fields Notion fills for rich previews (as in a recorded payload). */
export function mentionLinkFull(href: string): RichTextItemResponse {
  return {
    type: 'mention',
    mention: {
      type: 'link_mention',
      link_mention: {
        href,
        title: 'notion-sdk-js: Official Notion JavaScript Client',
        description: 'Official Notion JavaScript Client. Contribute to makenotion/notion-sdk-js on GitHub.',
        link_author: 'makenotion',
        thumbnail_url: 'https://opengraph.githubassets.com/1/makenotion/notion-sdk-js',
        icon_url: 'https://github.com/fluidicon.png',
        iframe_url: `https://embed.notion.co/api/iframe?app=1&url=${encodeURIComponent(href)}`,
        padding: 52,
      },
    },
    annotations: annotations(),
    plain_text: href,
    href,
  };
}

export function mentionLinkPreview(url: string): RichTextItemResponse {
  return { type: 'mention', mention: { type: 'link_preview', link_preview: { url } }, annotations: annotations(), plain_text: url, href: url };
}

export function mentionTemplateDate(value: 'today' | 'now'): RichTextItemResponse {
  return {
    type: 'mention',
    mention: { type: 'template_mention', template_mention: { type: 'template_mention_date', template_mention_date: value } },
    annotations: annotations(),
    plain_text: value === 'today' ? '@Today' : '@Now',
    href: null,
  };
}

export function mentionTemplateUser(): RichTextItemResponse {
  return {
    type: 'mention',
    mention: { type: 'template_mention', template_mention: { type: 'template_mention_user', template_mention_user: 'me' } },
    annotations: annotations(),
    plain_text: '@Me',
    href: null,
  };
}

export function mentionCustomEmoji(emoji: CustomEmojiResponse): RichTextItemResponse {
  return { type: 'mention', mention: { type: 'custom_emoji', custom_emoji: emoji }, annotations: annotations(), plain_text: `:${emoji.name}:`, href: null };
}

/** Keeps the items up to the `limit`-th page/user mention, as page objects do for title and rich_text values. */
export function truncateMentions(items: readonly RichTextItemResponse[], limit: number): RichTextItemResponse[] {
  let mentions = 0;
  const out: RichTextItemResponse[] = [];
  for (const item of items) {
    if (item.type === 'mention' && (item.mention.type === 'user' || item.mention.type === 'page')) {
      if (mentions === limit) break;
      mentions++;
    }
    out.push(item);
  }
  return out;
}

export function equation(expression: string, style: TextStyle = {}): RichTextItemResponse {
  return {
    type: 'equation',
    equation: { expression },
    annotations: annotations(style),
    plain_text: expression,
    href: null,
  };
}
