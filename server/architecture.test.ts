import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';

/**
 * The layering of server/ (see server/README.md), checked on the source: every `import … from`,
 * `export … from` and `import()` of every .ts file, type-only imports included.
 */

const ROOT = path.resolve(__dirname, '..');
const SOURCE = /\.(ts|tsx)$/;

function sourceFiles(dir: string): string[] {
  return fs.readdirSync(path.join(ROOT, dir), { withFileTypes: true }).flatMap((entry) => {
    const rel = path.posix.join(dir, entry.name);
    if (entry.isDirectory()) return entry.name === 'node_modules' ? [] : sourceFiles(rel);
    return SOURCE.test(entry.name) ? [rel] : [];
  });
}

const SPECIFIER = /(?:^|\n)\s*(?:import|export)\b[^'"]*?from\s*['"]([^'"]+)['"]|import\(\s*['"]([^'"]+)['"]\s*\)/g;

/** The project files `file` imports (relative to the repository root, without extension). */
function importsOf(file: string, text: string): string[] {
  const out: string[] = [];
  for (const m of text.matchAll(SPECIFIER)) {
    const spec = m[1] ?? m[2] ?? '';
    if (spec.startsWith('@/')) out.push(spec.slice(2));
    else if (spec.startsWith('.')) out.push(path.posix.normalize(path.posix.join(path.posix.dirname(file), spec)));
  }
  return out.map((p) => p.replace(/\.(ts|tsx)$/, ''));
}

const STATUS_RULES = 'server/export/domain/export-status';

/**
 * A module's place in the layering: a folder of server/ (its subfolders included, as
 * api/routers in api), each role folder of server/export, db/, or the file itself for server/*.ts.
 */
function unitOf(module: string): string {
  // The pure status rules import nothing of the project: a unit of their own, which db/ may use.
  if (module === STATUS_RULES) return module;
  const parts = module.split('/');
  if (parts[0] !== 'server') return parts[0] ?? module;
  if (parts.length === 2) return module;
  return parts.slice(0, parts[1] === 'export' ? 3 : 2).join('/');
}

/** Strongly connected groups of more than one unit (Tarjan). */
function cyclesOf(edges: Map<string, Set<string>>): string[][] {
  let index = 0;
  const indexOf = new Map<string, number>();
  const low = new Map<string, number>();
  const stack: string[] = [];
  const onStack = new Set<string>();
  const groups: string[][] = [];
  const visit = (v: string) => {
    indexOf.set(v, index);
    low.set(v, index++);
    stack.push(v);
    onStack.add(v);
    for (const w of edges.get(v) ?? []) {
      if (!indexOf.has(w)) {
        visit(w);
        low.set(v, Math.min(low.get(v) ?? 0, low.get(w) ?? 0));
      } else if (onStack.has(w)) low.set(v, Math.min(low.get(v) ?? 0, indexOf.get(w) ?? 0));
    }
    if (low.get(v) === indexOf.get(v)) {
      const group: string[] = [];
      for (let w = stack.pop(); w !== undefined; w = w === v ? undefined : stack.pop()) {
        onStack.delete(w);
        group.push(w);
      }
      if (group.length > 1) groups.push(group.sort());
    }
  };
  for (const v of edges.keys()) if (!indexOf.has(v)) visit(v);
  return groups;
}

const files = [...sourceFiles('server'), ...sourceFiles('db'), ...sourceFiles('app'), ...sourceFiles('components')].filter(
  (f) => !f.endsWith('.test.ts'),
);
const graph = files.map((file) => ({ file, imports: importsOf(file, fs.readFileSync(path.join(ROOT, file), 'utf8')) }));

function violations(from: RegExp, to: RegExp): string[] {
  return graph.flatMap(({ file, imports }) => (from.test(file) ? imports.filter((i) => to.test(i)).map((i) => `${file} → ${i}`) : []));
}

/** Project modules `entry` loads when it runs: static value imports, followed (type-only imports and import() left out). */
function loadedBy(entry: string): Set<string> {
  const seen = new Set<string>();
  const visit = (module: string) => {
    if (seen.has(module)) return;
    seen.add(module);
    const file = ['.ts', '.tsx', '/index.ts'].map((ext) => module + ext).find((f) => fs.existsSync(path.join(ROOT, f)));
    if (!file) return;
    const text = fs.readFileSync(path.join(ROOT, file), 'utf8');
    for (const m of text.matchAll(/(?:^|\n)\s*(import|export)(?!\s+type\b)\b[^'"]*?from\s*['"]([^'"]+)['"]|(?:^|\n)\s*import\s*['"]([^'"]+)['"]/g)) {
      const spec = m[2] ?? m[3] ?? '';
      if (spec.startsWith('@/')) visit(spec.slice(2).replace(/\.(ts|tsx)$/, ''));
      else if (spec.startsWith('.')) visit(path.posix.normalize(path.posix.join(path.posix.dirname(file), spec)).replace(/\.(ts|tsx)$/, ''));
    }
  };
  visit(entry);
  return seen;
}

describe('architecture', () => {
  it('finds the cycle in a graph that has one, and none in one that has none', () => {
    const g = (pairs: [string, string][]) => {
      const m = new Map<string, Set<string>>();
      for (const [a, b] of pairs) m.set(a, (m.get(a) ?? new Set()).add(b));
      return m;
    };
    expect(cyclesOf(g([['a', 'b'], ['b', 'c'], ['c', 'a'], ['c', 'd']]))).toEqual([['a', 'b', 'c']]);
    expect(cyclesOf(g([['a', 'b'], ['b', 'c'], ['a', 'c']]))).toEqual([]);
    expect(importsOf('server/x/y.ts', "import type { A } from '../z';\nexport { b } from './w';\nconst m = await import('@/db/client');")).toEqual([
      'server/z',
      'server/x/w',
      'db/client',
    ]);
    expect([unitOf('server/cli'), unitOf('server/api/routers/exports'), unitOf('server/export/render/writers/html')]).toEqual([
      'server/cli',
      'server/api',
      'server/export/render',
    ]);
  });

  it('has no import cycle between the folders of server/ and db/', () => {
    const edges = new Map<string, Set<string>>();
    for (const { file, imports } of graph) {
      if (!file.startsWith('server/') && !file.startsWith('db/')) continue;
      const from = unitOf(file.replace(/\.(ts|tsx)$/, ''));
      for (const target of imports) {
        const to = unitOf(target);
        if (to !== from && (to.startsWith('server') || to.startsWith('db'))) edges.set(from, (edges.get(from) ?? new Set()).add(to));
      }
    }
    expect(cyclesOf(edges)).toEqual([]);
  });

  it('keeps the export domain free of infrastructure and the layers above it', () => {
    expect(violations(/^server\/export\/domain\//, /^server\/(export\/(?!domain)|runner|api|notion|connections)/)).toEqual([]);
    expect(violations(/^server\/export\//, /^server\/(runner|api)\//)).toEqual([]);
    // db/ sits below server/, except for the shared retry policy and failure classification,
    // which in turn import nothing of the project, and the pure status rules (the status column's values).
    expect(violations(/^db\//, /^server\/(?!retry\/|export\/domain\/export-status$)/)).toEqual([]);
    expect(violations(/^server\/retry\//, /^(?!server\/retry\/)/)).toEqual([]);
    // The document tree and its parts serve every writer; no writer is a part of them.
    expect(violations(/^server\/export\/render\/[^/]+$/, /^server\/export\/render\/writers\//)).toEqual([]);
    // The archive's own pages are pure builders over render/ (and the status module's counts): no files, no database, no crawl.
    expect(violations(/^server\/export\/archive\//, /^server\/(?!export\/(archive|render)\/|export\/domain\/export-status$)|^db\//)).toEqual([]);
  });

  it('keeps the webhook endpoint away from Notion and the runner: it asks for syncs through export/control only', () => {
    expect(graph.some(({ file }) => file.startsWith('server/webhooks/'))).toBe(true);
    expect(violations(/^server\/webhooks\//, /^server\/(notion|runner|connections|export\/(?!control\/|domain\/))/)).toEqual([]);
  });

  it('keeps the status rules pure: they import nothing of the project (db/, app/ and the domain share them)', () => {
    expect(graph.find((g) => g.file === `${STATUS_RULES}.ts`)?.imports).toEqual([]);
  });

  it('keeps accounts (better-auth) out of the worker and the export CLI, which must stay small', () => {
    for (const entry of ['server/worker', 'server/cli']) {
      const loaded = loadedBy(entry);
      expect(loaded.has('server/runner/runner'), `${entry} loads the runner`).toBe(true);
      expect([...loaded].filter((m) => m === 'server/auth/auth' || m.startsWith('server/auth/user')), entry).toEqual([]);
    }
  });

  it('keeps the UI out of the server, and the server out of components/ (Biome checks app/ in detail)', () => {
    expect(violations(/^(server|db)\//, /^(app|components)\//)).toEqual([]);
    expect(violations(/^components\//, /^(server|db|app)\//)).toEqual([]);
  });
});
