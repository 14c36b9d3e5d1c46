import { z } from 'zod';
import { formatInstant } from '@/server/export/render/notion-date';
import { PAGE_STYLE } from '@/server/export/render/writers/html-document';
import { ArchiveItem, escapeHtml, hrefOf, pathFor } from './archive-model';
import { formatCount, plural } from '@/server/export/domain/export-status';
import { INDEX_HTML_FILE } from './index-page';

const Changed = z.object({ id: z.string(), title: z.string(), kind: z.string() });

/**
 * The parts of `report.json` the page reads (its producer is the crawl's report.ts); fields it
 * does not read are let through, so a newer report still renders.
 */
const REPORT_FIELDS = {
  exportId: z.string(),
  startedAt: z.string().nullable(),
  finishedAt: z.string(),
  durationMs: z.number().nullable(),
  api: z.object({ requests: z.number(), rateLimited: z.number(), retries: z.number() }),
  pages: z.object({ exported: z.number(), failed: z.number() }),
  databases: z.object({ exported: z.number(), failed: z.number() }),
  dataSources: z.number(),
  files: z.object({ count: z.number(), bytes: z.number() }),
  attachments: z.object({ saved: z.number(), bytes: z.number(), failed: z.number() }),
  skipped: z.array(z.object({ id: z.string(), kind: z.string(), title: z.string(), reason: z.string() })),
  issues: z.array(z.object({ itemId: z.string(), kind: z.string(), sourceId: z.string(), message: z.string() })),
  changes: z
    .object({ added: z.array(Changed), updated: z.array(Changed), moved: z.array(Changed), removed: z.array(Changed) })
    .optional(),
  /** Links to the web the pages hold, each with the pages that hold it (listed once per URL here). */
  externalLinks: z.array(z.object({ url: z.string(), pageIds: z.array(z.string()) })).optional(),
};
export const ReportInput = z.looseObject(REPORT_FIELDS);
export type ReportInput = z.infer<typeof ReportInput>;
const ReportContent = z.object(REPORT_FIELDS);
/** The fields report.html reads: report.json's content checked (ReportInput), or the crawl's report as it is. */
export type ReportContent = z.infer<typeof ReportContent>;
/** An item report.html names, when the export has it. */
export type ItemOf = (id: string) => ArchiveItem | undefined;

/** What an issue kind means, in words (unknown kinds are shown as they are). */
const ISSUE_WORDS: Record<string, string> = {
  attachment_failed: 'Attachment not downloaded',
  unsupported_block: 'Block the API does not return',
  in_trash: 'In the trash: not exported',
};

const REPORT_STYLE = [
  '.facts{color:var(--muted)}dl.summary{display:grid;grid-template-columns:max-content 1fr;gap:.2rem 1rem}dl.summary dt{color:var(--muted)}dl.summary dd{margin:0}',
  'section.item{border-top:1px solid var(--line);padding:.5rem 0}section.item h3{margin:.4rem 0;font-size:1.05rem}',
  '.kind{color:var(--muted);font-size:.85em;font-weight:normal}ul.issues{margin:.2rem 0;padding-left:1.25rem}',
  '.links li{overflow-wrap:anywhere}',
].join('\n');

function bytes(n: number): string {
  if (n < 1024) return plural(n, 'byte');
  const units = ['KB', 'MB', 'GB', 'TB'];
  let value = n / 1024;
  let unit = 0;
  while (value >= 1024 && unit < units.length - 1) {
    value /= 1024;
    unit++;
  }
  return `${value.toFixed(1)} ${units[unit]}`;
}

function duration(ms: number | null): string {
  if (ms === null) return 'not known';
  const seconds = Math.round(ms / 1000);
  const h = Math.floor(seconds / 3600);
  const m = Math.floor((seconds % 3600) / 60);
  const s = seconds % 60;
  return h > 0 ? `${h} h ${m} min` : m > 0 ? `${m} min ${s} s` : `${s} s`;
}

/** An item's title, linked to its file when the export has one. */
function itemLink(fallbackTitle: string, item: ArchiveItem | undefined): string {
  const title = escapeHtml((item?.title || fallbackTitle).trim() || 'Untitled');
  const path = item ? pathFor(item, 'html') : undefined;
  return path ? `<a href="${escapeHtml(hrefOf(path))}">${title}</a>` : title;
}

/** Issues and skips grouped by the page or database they concern, in first-seen order. */
function groupedByItem(report: ReportContent): Map<string, { kind: string; title: string; lines: string[] }> {
  const groups = new Map<string, { kind: string; title: string; lines: string[] }>();
  const group = (id: string, kind: string, title: string) => {
    let entry = groups.get(id);
    if (!entry) {
      entry = { kind, title, lines: [] };
      groups.set(id, entry);
    }
    return entry;
  };
  for (const skipped of report.skipped) group(skipped.id, skipped.kind, skipped.title).lines.push(`Not exported: ${skipped.reason}`);
  for (const issue of report.issues) {
    const words = ISSUE_WORDS[issue.kind] ?? issue.kind.replaceAll('_', ' ');
    group(issue.itemId, 'page', '').lines.push(`${words}: ${issue.message}`);
  }
  return groups;
}

/** External links, each once, with every page that holds it (in the order the pages first name it). */
function externalLinksOf(report: ReportContent): Map<string, Set<string>> {
  const links = new Map<string, Set<string>>();
  for (const { url, pageIds } of report.externalLinks ?? []) {
    const pages = links.get(url) ?? new Set<string>();
    for (const id of pageIds) pages.add(id);
    links.set(url, pages);
  }
  return links;
}

/** The pages and databases report.html names (so a caller makes only those items, not the whole export's). */
export function reportItemIds(report: ReportContent): Set<string> {
  const ids = new Set<string>();
  for (const s of report.skipped) ids.add(s.id);
  for (const i of report.issues) ids.add(i.itemId);
  for (const list of Object.values(report.changes ?? {})) for (const c of list) ids.add(c.id);
  for (const link of report.externalLinks ?? []) for (const id of link.pageIds) ids.add(id);
  return ids;
}

/**
 * `report.html` beside `report.json`: the export's numbers, then what was skipped or failed and
 * why, grouped by page (each linked to its file when the export has one), a sync's changes, and
 * the external links once each with the pages that use them. Plain HTML: no script. Checks its
 * input (report.json's content, the items it links).
 */
export function renderReportHtml(reportInput: unknown, itemList: readonly ArchiveItem[]): string {
  const report = ReportInput.parse(reportInput);
  const items = new Map(z.array(ArchiveItem).parse(itemList).map((item) => [item.id, item]));
  return [...reportHtmlParts(report, (id) => items.get(id))].join('');
}

/**
 * report.html in parts, for a writer that streams them to disk (an export with thousands of
 * external links has a report of a megabyte): the same text as renderReportHtml.
 */
export function* reportHtmlParts(report: ReportContent, itemOf: ItemOf): Generator<string> {
  const line = (text: string) => `${text}\n`;
  yield line(
    [
      '<!doctype html>\n<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">',
      `<meta name="notion-export-id" content="${escapeHtml(report.exportId)}"><title>Export report ${escapeHtml(formatInstant(report.finishedAt))}</title>`,
      `<style>${PAGE_STYLE}\n${REPORT_STYLE}</style></head><body><article>`,
      `<p><a href="${INDEX_HTML_FILE}">← Index of the export</a></p>`,
      '<h1>Export report</h1>',
      `<p class="facts">Finished ${escapeHtml(formatInstant(report.finishedAt))}. The same facts, for programs: <a href="report.json">report.json</a>.</p>`,
      '<dl class="summary">',
      `<dt>Pages</dt><dd>${formatCount(report.pages.exported)} exported, ${formatCount(report.pages.failed)} failed</dd>`,
      `<dt>Databases</dt><dd>${formatCount(report.databases.exported)} exported, ${formatCount(report.databases.failed)} failed; ${plural(report.dataSources, 'data source')}</dd>`,
      `<dt>Attachments</dt><dd>${formatCount(report.attachments.saved)} saved (${bytes(report.attachments.bytes)}), ${formatCount(report.attachments.failed)} failed</dd>`,
      `<dt>Files</dt><dd>${plural(report.files.count, 'file')}, ${bytes(report.files.bytes)}</dd>`,
      `<dt>Running time</dt><dd>${duration(report.durationMs)}</dd>`,
      `<dt>Notion API</dt><dd>${plural(report.api.requests, 'request')}, ${formatCount(report.api.rateLimited)} rate-limited, ${plural(report.api.retries, 'retry', 'retries')}</dd>`,
      '</dl>',
    ].join('\n'),
  );
  const groups = groupedByItem(report);
  yield line('<h2>Skipped, failed or incomplete</h2>');
  if (groups.size === 0) yield line('<p>Everything the integration can read was exported in full.</p>');
  for (const [id, { kind, title, lines }] of groups) {
    const item = itemOf(id);
    yield line(`<section class="item"><h3>${itemLink(title, item)} <span class="kind">${escapeHtml(item?.kind ?? kind)}</span></h3><ul class="issues">`);
    for (const text of lines) yield line(`<li>${escapeHtml(text)}</li>`);
    yield line('</ul></section>');
  }
  if (report.changes) {
    const { added, updated, moved, removed } = report.changes;
    yield line('<h2>Changed since the previous export</h2>');
    const kinds: [string, { id: string; title: string }[]][] = [
      ['Added', added],
      ['Updated', updated],
      ['Moved', moved],
      ['Removed', removed],
    ];
    if (kinds.every(([, list]) => list.length === 0)) yield line('<p>Nothing changed.</p>');
    for (const [label, list] of kinds) {
      if (list.length === 0) continue;
      yield line(`<h3>${label} (${formatCount(list.length)})</h3><ul>`);
      for (const c of list) yield line(`<li>${itemLink(c.title, itemOf(c.id))}</li>`);
      yield line('</ul>');
    }
  }
  const links = externalLinksOf(report);
  if (links.size > 0) {
    yield line(`<h2>Links to the web (${formatCount(links.size)})</h2><p>Each link once, with the pages that hold it.</p><ul class="links">`);
    for (const [url, pageIds] of links) {
      const pages = [...pageIds].map((id) => itemLink(id, itemOf(id))).join(', ');
      // Only web and mail links become links: a `javascript:` URL in a page stays text.
      const link = /^(https?:|mailto:)/i.test(url) ? `<a href="${escapeHtml(url)}" rel="noreferrer">${escapeHtml(url)}</a>` : escapeHtml(url);
      yield line(`<li>${link} — ${pages}</li>`);
    }
    yield line('</ul>');
  }
  yield '</article></body></html>\n';
}
