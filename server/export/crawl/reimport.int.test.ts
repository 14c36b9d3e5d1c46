import fs from 'node:fs';
import path from 'node:path';
import { parse } from 'csv-parse/sync';
import type { Root, RootContent } from 'mdast';
import { fromMarkdown } from 'mdast-util-from-markdown';
import { frontmatterFromMarkdown } from 'mdast-util-frontmatter';
import { gfmFromMarkdown } from 'mdast-util-gfm';
import { mathFromMarkdown } from 'mdast-util-math';
import { frontmatter } from 'micromark-extension-frontmatter';
import { gfm } from 'micromark-extension-gfm';
import { math } from 'micromark-extension-math';
import { beforeAll, describe, expect, it } from 'vitest';
import YAML from 'yaml';
import { requestExport } from '@/server/export/control/request-export';
import { Runner } from '@/server/runner/runner';
import { sharedTwinConnection } from '@/server/testing/twin-connection';

/**
 * The Markdown and CSV of an export read back as an importer would (Notion's own, Obsidian): every
 * Markdown file through a CommonMark + GFM parser with front matter and math, every CSV through a
 * CSV reader. A sample workspace with the hard cases: unshared children, a linked database view,
 * pages in the trash, hostile titles, relations and people beyond 25.
 */
const WORKSPACE = { seed: 31, pages: 60, databases: 3, rowsPerDatabase: 8, depth: 3, unsharedPages: 1, trashedPages: 1, largePages: 1 };

const conn = sharedTwinConnection({ workspace: WORKSPACE });
let root: string;
let files: string[];

beforeAll(async () => {
  const exportId = await requestExport(conn.ctx, { connectionId: conn.connectionId, formats: ['markdown', 'csv'], requestedBy: 'cli' });
  expect(await new Runner(conn.ctx, { concurrency: 4 }).runOnce()).toBe('completed_with_errors'); // the unshared page
  root = await conn.outDirOf(exportId);
  files = fs
    .readdirSync(root, { recursive: true, withFileTypes: true })
    .filter((d) => d.isFile())
    .map((d) => path.relative(root, path.join(d.parentPath, d.name)).split(path.sep).join('/'));
});

function readMarkdown(text: string): Root {
  return fromMarkdown(text, {
    extensions: [gfm(), frontmatter(['yaml']), math()],
    mdastExtensions: [gfmFromMarkdown(), frontmatterFromMarkdown(['yaml']), mathFromMarkdown()],
  });
}

/** Every node of a tree, depth first. */
function* nodes(node: Root | RootContent): Generator<Root | RootContent> {
  yield node;
  if ('children' in node) for (const child of node.children) yield* nodes(child);
}

/** A link target inside the export (not a web, mail or in-page link). */
const isRelative = (url: string) => !/^([a-z][a-z0-9+.-]*:|#|\/\/)/i.test(url);

describe('re-importing the Markdown of an export', () => {
  it('has a Markdown file for every page and database (and none for what is in the trash), all of them parsed', () => {
    const markdown = files.filter((f) => f.endsWith('.md'));
    const ofItems = markdown.map((f) => /([0-9a-f]{32})\.md$/.exec(f)?.[1]).filter((id) => id !== undefined);
    const live = [...conn.twin.workspace.allPages().filter((p) => !p.inTrash), ...conn.twin.workspace.allDatabases().filter((d) => !d.inTrash)];
    expect(ofItems.sort()).toEqual(live.map((item) => item.id.replace(/-/g, '')).sort());
    for (const file of markdown) expect(readMarkdown(fs.readFileSync(path.join(root, file), 'utf8')).type).toBe('root');
  });

  it('links only to files that exist, by relative paths', () => {
    let checked = 0;
    for (const file of files.filter((f) => f.endsWith('.md'))) {
      const tree = readMarkdown(fs.readFileSync(path.join(root, file), 'utf8'));
      for (const node of nodes(tree)) {
        if (node.type !== 'link' && node.type !== 'image' && node.type !== 'definition') continue;
        const url = node.url;
        expect(url, file).not.toContain('#notion-sync-page-');
        if (!isRelative(url)) continue;
        expect(url.startsWith('/'), `${file}: ${url}`).toBe(false);
        const target = path.posix.normalize(path.posix.join(path.posix.dirname(file), decodeURIComponent(url.split('#')[0]!)));
        expect(target.startsWith('../'), `${file} -> ${url} leaves the export`).toBe(false);
        expect(fs.existsSync(path.join(root, ...target.split('/'))), `${file} -> ${url}`).toBe(true);
        checked++;
      }
    }
    expect(checked).toBeGreaterThan(200);
  });

  it('starts every page with one front matter block that parses as a YAML mapping', () => {
    let rows = 0;
    for (const file of files.filter((f) => f.endsWith('.md'))) {
      const tree = readMarkdown(fs.readFileSync(path.join(root, file), 'utf8'));
      const blocks = tree.children.filter((n) => n.type === 'yaml');
      expect(blocks.length, file).toBeLessThanOrEqual(1);
      const [block] = blocks;
      if (!block) continue;
      expect(tree.children[0], file).toBe(block);
      const document = YAML.parseDocument(block.value, { uniqueKeys: true, strict: true });
      expect(document.errors.map((e) => e.message), file).toEqual([]);
      const value = document.toJS() as unknown;
      expect(value !== null && typeof value === 'object' && !Array.isArray(value), file).toBe(true);
      expect((value as Record<string, unknown>).notion_id, file).toMatch(/^[0-9a-f-]{36}$/);
      if ('Created by' in (value as object)) rows++;
    }
    expect(rows).toBe(conn.twin.workspace.allDatabases().flatMap((d) => d.rowIds).length - conn.twin.workspace.allDatabases().flatMap((d) => d.dataSources.slice(1).flatMap((s) => s.rowIds)).length);
  });
});

describe('re-importing the CSV of an export', () => {
  it('reads every CSV with a CSV reader, each row with as many cells as the header', () => {
    const csvFiles = files.filter((f) => f.endsWith('.csv'));
    expect(csvFiles.length).toBe(conn.twin.workspace.allDatabases().reduce((n, d) => n + d.dataSources.length, 0));
    for (const file of csvFiles) {
      const records = parse(fs.readFileSync(path.join(root, file), 'utf8'), { bom: true, relax_column_count: true }) as string[][];
      const [header, ...rows] = records;
      expect(header!.length, file).toBeGreaterThan(1);
      expect(new Set(header).size, `${file}: header names are unique`).toBe(header!.length);
      for (const row of rows) expect(row.length, file).toBe(header!.length);
      expect(rows.length, file).toBeGreaterThan(0);
    }
  });
});
