import { describe, expect, it } from 'vitest';
import { expectGolden } from '@/server/testing/golden';
import type { ArchiveItem } from './archive-model';
import { renderReportHtml } from './report-page';

const items: ArchiveItem[] = [
  { id: 'p-home', kind: 'page', title: 'Home', parentId: null, paths: { html: 'Home 1.html', markdown: 'Home 1.md' } },
  { id: 'p-gallery', kind: 'page', title: 'Gallery & <friends>', parentId: 'p-home', paths: { markdown: 'Home 1/Gallery 2.md' } },
];

/** A report.json as the crawl writes it (report.ts), with one of each thing the page shows. */
const report = {
  version: 1,
  exportId: 'exp-1',
  startedAt: '2026-12-02T10:00:00.000Z',
  finishedAt: '2026-12-02T10:31:00.000Z',
  durationMs: 1_860_000,
  api: { requests: 1234, rateLimited: 2, retries: 1 },
  pages: { exported: 40, failed: 1 },
  databases: { exported: 3, failed: 0 },
  dataSources: 4,
  files: { count: 120, bytes: 5_400_000 },
  attachments: { saved: 12, bytes: 3_000_000, failed: 2 },
  skipped: [
    { id: 'p-secret', kind: 'page', title: 'Secret <plans>', reason: 'The integration has no access to this page' },
    { id: 'd-linked', kind: 'database', title: 'Linked view', reason: 'Linked database: its source is exported where it lives' },
  ],
  issues: [
    { itemId: 'p-gallery', kind: 'attachment_failed', sourceId: 'b1', message: 'photo.png: 404 Not Found' },
    { itemId: 'p-gallery', kind: 'attachment_failed', sourceId: 'b2', message: 'clip.mp4: too large' },
    { itemId: 'p-home', kind: 'unsupported_block', sourceId: 'b3', message: 'ai_block' },
  ],
  changes: {
    added: [{ id: 'p-home', title: 'Home', kind: 'page' }],
    updated: [],
    moved: [{ id: 'p-gallery', title: 'Gallery', kind: 'page', from: 'a', to: 'b' }],
    removed: [{ id: 'p-old', title: 'Old', kind: 'page', reason: 'deleted' }],
  },
  externalLinks: [
    { url: 'https://example.com/a?x=1&y=2', pageIds: ['p-home', 'p-gallery'] },
    { url: 'https://example.com/a?x=1&y=2', pageIds: ['p-home'] },
    { url: 'javascript:alert(1)', pageIds: ['p-gone'] },
  ],
};

describe('report.html', () => {
  it('shows the numbers, then every skip and issue grouped by page, the changes and the links once each (golden)', () => {
    const html = renderReportHtml(report, items);
    expectGolden(import.meta.dirname, 'report.html', html);
    expect(html.match(/https:\/\/example\.com\/a\?x=1&amp;y=2<\/a>/g)).toHaveLength(1);
    expect(html).not.toContain('<a href="javascript');
    expect(html).not.toContain('<plans>');
  });

  it('links a page to its HTML file, or its first file in another format', () => {
    const html = renderReportHtml(report, items);
    expect(html).toContain('<a href="Home%201.html">Home</a>');
    expect(html).toContain('<a href="Home%201/Gallery%202.md">Gallery &amp; &lt;friends&gt;</a>');
    expect(html).toContain('Secret &lt;plans&gt; <span class="kind">page</span>');
  });

  it('says so when nothing was skipped, and reads a report without the optional parts', () => {
    const clean = { ...report, skipped: [], issues: [], changes: undefined, externalLinks: undefined, durationMs: null };
    const html = renderReportHtml(clean, []);
    expect(html).toContain('Everything the integration can read was exported in full.');
    expect(html).toContain('<dt>Running time</dt><dd>not known</dd>');
    expect(html).not.toContain('Links to the web');
    const nothing = renderReportHtml({ ...clean, changes: { added: [], updated: [], moved: [], removed: [] }, durationMs: 59_000, files: { count: 1, bytes: 10 } }, []);
    expect(nothing).toContain('Nothing changed.');
    expect(nothing).toContain('59 s');
    expect(nothing).toContain('1 file, 10 bytes');
  });

  it('refuses what is not a report', () => {
    expect(() => renderReportHtml({ exportId: 'x' }, [])).toThrow();
  });
});
