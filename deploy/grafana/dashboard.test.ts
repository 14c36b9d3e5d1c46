import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { stringify } from 'yaml';
import { promtool } from '@/deploy/prometheus/promtool';
import { everyMetricName } from '@/server/observability/metrics';

interface Panel {
  id: number;
  type: string;
  title: string;
  gridPos: { x: number; y: number; w: number; h: number };
  targets?: { refId: string; expr: string }[];
}

const dashboard = JSON.parse(fs.readFileSync(path.join(import.meta.dirname, 'notion-sync.json'), 'utf8')) as {
  uid: string;
  title: string;
  panels: Panel[];
  templating: { list: { name: string }[] };
};
const charts = dashboard.panels.filter((p) => p.type !== 'row');
const queries = charts.flatMap((p) => (p.targets ?? []).map((t) => ({ panel: p.title, expr: t.expr })));

/** A query as Prometheus would get it from Grafana (its variables filled in). */
const asPromQL = (expr: string) => expr.replaceAll('$__rate_interval', '5m').replaceAll('$instance', '.*');

describe('Grafana dashboard (deploy/grafana/notion-sync.json)', () => {
  it('has the charts an operator needs, each with queries, on a 24-column grid with unique ids', () => {
    expect(dashboard.uid).toBe('notion-sync');
    const titles = charts.map((p) => p.title);
    for (const wanted of ['Requests against the budget', '429 and 529 answers', 'Notion latency p95', 'Pages per second', 'Queue', 'Memory', 'Event-loop lag']) {
      expect(titles).toContain(wanted);
    }
    expect(new Set(dashboard.panels.map((p) => p.id)).size).toBe(dashboard.panels.length);
    for (const panel of charts) {
      expect(panel.targets?.length, panel.title).toBeGreaterThan(0);
      expect(panel.gridPos.x + panel.gridPos.w, panel.title).toBeLessThanOrEqual(24);
    }
    expect(dashboard.templating.list.map((v) => v.name)).toEqual(['datasource', 'instance']);
  });

  it('queries only metrics the registry has (a histogram by its _count, _sum or _bucket)', () => {
    const known = new Set(everyMetricName());
    const named = queries.flatMap((q) => [...q.expr.matchAll(/\bnotion_sync_[a-z0-9_]+\b/g)].map((m) => ({ panel: q.panel, name: m[0] })));
    expect(named.length).toBeGreaterThan(20);
    const unknown = named.filter(({ name }) => !known.has(name) && !known.has(name.replace(/_(count|sum|bucket)$/, '')));
    expect(unknown).toEqual([]);
  });

  it('has queries Prometheus can parse (checked as recording rules by promtool)', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'notion-sync-dashboard-'));
    try {
      const file = path.join(dir, 'queries.yml');
      const rules = queries.map((q, i) => ({ record: `dashboard:query_${i}`, expr: asPromQL(q.expr) }));
      fs.writeFileSync(file, stringify({ groups: [{ name: 'dashboard', rules }] }));
      const result = await promtool(['check', 'rules', file]);
      expect(result.stdout + result.stderr).toContain(`SUCCESS: ${queries.length} rules found`);
      expect(result.code).toBe(0);
      // The check notices a query that does not parse.
      fs.writeFileSync(file, stringify({ groups: [{ name: 'dashboard', rules: [{ record: 'dashboard:bad', expr: 'sum(rate(x[5m])' }] }] }));
      expect((await promtool(['check', 'rules', file])).code).not.toBe(0);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});
