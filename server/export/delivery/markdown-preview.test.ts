import { describe, expect, it } from 'vitest';
import { renderMarkdownPreview, tooLargeToPreview } from './markdown-preview';

describe('renderMarkdownPreview', () => {
  it('shows front matter values as text: dates, lists, nested values as JSON, empty ones blank', () => {
    const html = renderMarkdownPreview(
      ['---', 'created: 2026-01-02', 'tags: [a, b]', 'owner: {name: Ann}', 'empty:', '---', '', 'Body'].join('\n'),
      'P.md',
    );
    expect(html).toContain('<th scope="row">created</th><td>2026-01-02</td>');
    expect(html).toContain('<th scope="row">tags</th><td>a, b</td>');
    expect(html).toContain('<th scope="row">owner</th><td>{"name":"Ann"}</td>');
    expect(html).toContain('<th scope="row">empty</th><td></td>');
    expect(html).toContain('<p>Body</p>');
  });

  it('shows front matter that is no mapping, or no YAML at all, as it is', () => {
    expect(renderMarkdownPreview('---\n- a\n- b\n---\n', 'P.md')).toContain('<pre class="front-matter"><code>- a\n- b</code></pre>');
    expect(renderMarkdownPreview('---\na: [unclosed\n---\n', 'P.md')).toContain('<pre class="front-matter"><code>a: [unclosed</code></pre>');
  });

  it('escapes the title and keeps raw HTML out, and previews only relative Markdown links', () => {
    const html = renderMarkdownPreview('<b>x</b> [a](b.md?x=1) [c](/abs.md) [d](#top) [e](f.MD#g)', '<script>.md');
    expect(html).toContain('<title>&#x3C;script>.md</title>');
    expect(html).not.toContain('<b>');
    expect(html).toContain('href="b.md?view=preview"');
    expect(html).toContain('href="/abs.md"');
    expect(html).toContain('href="#top"');
    expect(html).toContain('href="f.MD?view=preview#g"');
  });

  it('is a whole page in the export HTML style, with the preview rules added and a language', () => {
    const html = renderMarkdownPreview('Body', 'P.md');
    expect(html).toMatch(/^<!doctype html><html lang="en"><head><meta charset="utf-8">/);
    expect(html).toContain('<title>P.md</title>');
    expect(html).toContain('.front-matter{margin:0 0 2rem}');
    expect(html).toContain('<body><article><p>Body</p></article></body>');
  });

  it('says when a file is too large and links to it', () => {
    expect(tooLargeToPreview('a b.md', 3 * 1024 * 1024)).toContain('a b.md is 3.0 MB, too large to preview here. <a href="a%20b.md">');
  });
});
