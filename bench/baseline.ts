/**
 * The baseline: a workspace exported "the common way", as most scripts do it — the official SDK
 * with its default settings (2 retries on 429, honouring Retry-After) and notion-to-md, one page
 * after another: search every page, then for each page `pageToMarkdown` + `toMarkdownString` and
 * write a file.
 *
 * `parseChildPages: false`: every page is exported on its own (search lists them all), so child
 * pages are not inlined into their parents (notion-to-md's default would fetch every subtree again
 * for every ancestor). Databases get no CSV or index of their own: the rows are pages in search.
 *
 * Run as its own process by bench/run.ts (so its memory is measured apart from the twin):
 *   node --import tsx bench/baseline.ts --url http://127.0.0.1:4100 --out bench/out/baseline [--token secret_twin]
 * Prints one JSON line with the result on stdout.
 */
import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { Client, isFullPage, iteratePaginatedAPI } from '@notionhq/client';
import { NotionToMarkdown } from 'notion-to-md';

export interface BaselineResult {
  pages: number;
  failed: number;
  /** First failure, to tell rate limiting from unsupported content. */
  firstError?: string;
  wallMs: number;
  bytes: number;
  /** Peak resident set size of this process (getrusage), MB. */
  maxRssMb: number;
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: { url: { type: 'string' }, out: { type: 'string' }, token: { type: 'string', default: 'secret_twin' } },
  });
  if (!values.url || !values.out) throw new Error('usage: baseline.ts --url <Notion API base URL> --out <dir>');
  const started = Date.now();
  const notion = new Client({ auth: values.token, baseUrl: values.url });
  // notion-to-md 3.1.9 types its client against an older SDK; the calls it makes are the same.
  const n2m = new NotionToMarkdown({ notionClient: notion as never, config: { parseChildPages: false } });
  await mkdir(values.out, { recursive: true });

  const pages: { id: string }[] = [];
  for await (const result of iteratePaginatedAPI(notion.search, { filter: { property: 'object', value: 'page' } })) {
    if (isFullPage(result)) pages.push({ id: result.id });
  }

  let failed = 0;
  let firstError: string | undefined;
  let bytes = 0;
  for (const page of pages) {
    try {
      const blocks = await n2m.pageToMarkdown(page.id);
      const markdown = n2m.toMarkdownString(blocks).parent ?? '';
      await writeFile(path.join(values.out, `${page.id}.md`), markdown);
      bytes += Buffer.byteLength(markdown);
    } catch (error) {
      failed++;
      firstError ??= error instanceof Error ? `${error.name}: ${error.message}` : String(error);
    }
  }
  const maxRssMb = Math.round(process.resourceUsage().maxRSS / 102.4) / 10;
  const result: BaselineResult = { pages: pages.length, failed, firstError, wallMs: Date.now() - started, bytes, maxRssMb };
  process.stdout.write(`${JSON.stringify(result)}\n`);
}

main().catch((error) => {
  process.stderr.write(`baseline: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
  process.exit(1);
});
