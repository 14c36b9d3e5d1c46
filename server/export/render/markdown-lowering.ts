import type { BlockContent, Image, ListItem, Nodes, Paragraph, PhrasingContent, Root, RootContent } from 'mdast';
import type { Callout, Icon, Media, Toggle } from './document-nodes';
import { mergeText, phrasingText, withoutLinks } from './rich-text';

/**
 * The document tree as plain mdast, the way Markdown can show it: toggles become list items (a
 * toggleable heading stays a heading followed by its content), containers (columns, indents,
 * meeting notes) give their children in order, callouts become block quotes led by their icon,
 * media become images or links, and underline/colour wrappers leave their text.
 */
export function lowerForMarkdown(tree: Root): Root {
  return { ...tree, children: lowerFlow(tree.children) };
}

function iconToPhrasing(icon: Icon): PhrasingContent {
  if (icon.kind === 'emoji') return { type: 'text', value: icon.value };
  if (icon.kind === 'custom_emoji') return { type: 'text', value: `:${icon.value}:` };
  return { type: 'image', url: icon.url ?? '', alt: icon.value } satisfies Image;
}

function lowerPhrasing(nodes: readonly PhrasingContent[]): PhrasingContent[] {
  return mergeText(
    nodes.flatMap((node): PhrasingContent[] => {
      if (node.type === 'styled') return lowerPhrasing(node.children);
      if (node.type === 'icon') return [iconToPhrasing(node)];
      if ('children' in node) return [{ ...node, children: lowerPhrasing(node.children) } as PhrasingContent];
      return [node];
    }),
  );
}

function lowerMedia(media: Media): Paragraph {
  if (media.kind === 'image') {
    const alt = phrasingText(media.children) || null;
    return { type: 'paragraph', children: [{ type: 'image', url: media.url, alt }] };
  }
  const caption = lowerPhrasing(withoutLinks(media.children));
  const label: PhrasingContent[] = caption.length > 0 ? caption : [{ type: 'text', value: media.label }];
  return { type: 'paragraph', children: [{ type: 'link', url: media.url, children: label }] };
}

function lowerCallout(callout: Callout): BlockContent {
  const children = lowerFlow(callout.children) as BlockContent[];
  if (callout.icon) {
    const icon = iconToPhrasing(callout.icon);
    const first = children[0];
    if (first?.type === 'paragraph') {
      children[0] = { ...first, children: lowerPhrasing([icon, { type: 'text', value: ' ' }, ...first.children]) };
    } else {
      children.unshift({ type: 'paragraph', children: [icon] });
    }
  }
  return { type: 'blockquote', children };
}

function toggleItem(toggle: Toggle): ListItem {
  const [summary, ...body] = toggle.children;
  const head = summary?.type === 'paragraph' && summary.children.length === 0 ? [] : [summary];
  return { type: 'listItem', spread: false, children: lowerFlow([...head, ...body]) as BlockContent[] };
}

const isHeadingToggle = (node: Nodes): boolean => node.type === 'toggle' && node.children[0]?.type === 'heading';

function lowerFlow(nodes: readonly RootContent[]): RootContent[] {
  const out: RootContent[] = [];
  for (let i = 0; i < nodes.length; i += 1) {
    const node = nodes[i];
    switch (node.type) {
      case 'toggle': {
        if (isHeadingToggle(node)) {
          out.push(...lowerFlow(node.children));
          break;
        }
        // Consecutive toggles share one list, as Notion's own Markdown export does.
        const items = [toggleItem(node)];
        while (nodes[i + 1]?.type === 'toggle' && !isHeadingToggle(nodes[i + 1])) {
          i += 1;
          items.push(toggleItem(nodes[i] as Toggle));
        }
        // Blank lines between the items when any of them holds more than its summary.
        const spread = items.some((item) => item.children.length > 1);
        out.push({ type: 'list', ordered: false, spread, children: items });
        break;
      }
      case 'container':
        out.push(...lowerFlow(node.children));
        break;
      case 'callout':
        out.push(lowerCallout(node));
        break;
      case 'media':
        out.push(lowerMedia(node));
        break;
      case 'paragraph':
      case 'heading':
      case 'tableCell':
        out.push({ ...node, children: lowerPhrasing(node.children) });
        break;
      default:
        if ('children' in node) out.push({ ...node, children: lowerFlow(node.children) } as RootContent);
        else out.push(node);
    }
  }
  return out;
}
