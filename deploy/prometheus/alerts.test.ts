import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { everyMetricName } from '@/server/observability/metrics';
import { promtool } from './promtool';

const HERE = import.meta.dirname;
const ALERTS = path.join(HERE, 'alerts.yml');
const RUNBOOK = path.join(HERE, '..', '..', 'docs', 'runbook.md');

interface Rule {
  alert?: string;
  record?: string;
  expr: string;
  for?: string;
  labels?: Record<string, string>;
  annotations?: Record<string, string>;
}

const rules = (): Rule[] => (parse(fs.readFileSync(ALERTS, 'utf8')) as { groups: { rules: Rule[] }[] }).groups.flatMap((g) => g.rules);

/** GitHub's anchor of a heading: lower case, punctuation dropped, spaces to hyphens. */
const anchorOf = (heading: string) =>
  heading
    .trim()
    .toLowerCase()
    .replace(/[^\p{L}\p{N}\s-]/gu, '')
    .replace(/\s/g, '-');

/** Metric names an expression reads (`notion_sync_*`, and Prometheus's own `up`); recording rules (`notion_sync:*`) aside. */
function metricNamesIn(expr: string): string[] {
  const names = new Set<string>();
  for (const m of expr.matchAll(/\b(notion_sync_[a-z0-9_]+|up)\b/g)) names.add(m[1] as string);
  return [...names];
}

describe('alert rules (deploy/prometheus/alerts.yml)', () => {
  it('are valid for promtool check rules', async () => {
    const result = await promtool(['check', 'rules', ALERTS]);
    expect(result.stderr).toBe('');
    expect(result.stdout).toContain(`SUCCESS: ${rules().length} rules found`);
    expect(result.code).toBe(0);
  });

  it('load with the example configuration (promtool check config prometheus.yml)', async () => {
    const result = await promtool(['check', 'config', path.join(HERE, 'prometheus.yml')]);
    expect(result.stdout).toContain('is valid prometheus config file syntax');
    expect(result.code).toBe(0);
  });

  it("pass their unit tests (promtool test rules alerts.test.yml): each fires when it should, and not before its for:", async () => {
    const result = await promtool(['test', 'rules', path.join(HERE, 'alerts.test.yml')]);
    expect(result.stdout + result.stderr).toContain('SUCCESS');
    expect(result.code).toBe(0);
  });

  it('fail their unit tests when a rule changes (the tests can fail)', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'notion-sync-alerts-'));
    try {
      const loosened = fs.readFileSync(ALERTS, 'utf8').replace('            > 0.01\n', '            > 0.05\n');
      expect(loosened).not.toBe(fs.readFileSync(ALERTS, 'utf8'));
      fs.writeFileSync(path.join(dir, 'alerts.yml'), loosened);
      fs.copyFileSync(path.join(HERE, 'alerts.test.yml'), path.join(dir, 'alerts.test.yml'));
      const result = await promtool(['test', 'rules', path.join(dir, 'alerts.test.yml')]);
      expect(result.code).not.toBe(0);
      expect(result.stdout + result.stderr).toContain('alertname: NotionSyncRateLimited');
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  it('each have a for:, a severity, a summary, a description and a runbook section that exists', () => {
    const anchors = new Set([...fs.readFileSync(RUNBOOK, 'utf8').matchAll(/^#{2,3} (.+)$/gm)].map((m) => anchorOf(m[1] as string)));
    const alerts = rules().filter((r) => r.alert);
    expect(alerts.map((r) => r.alert)).toEqual(
      expect.arrayContaining([
        'NotionSyncProcessDown',
        'NotionSyncExportOverdue',
        'NotionSyncExportFailureRatio',
        'NotionSyncRateLimited',
        'NotionSyncCircuitBreakerOpen',
        'NotionSyncQueueBacklogGrowing',
        'NotionSyncRunnerHeartbeatMissing',
        'NotionSyncDiskFilling',
      ]),
    );
    for (const rule of alerts) {
      expect(rule.for, rule.alert).toMatch(/^\d+[smh]$/);
      expect(['critical', 'warning'], rule.alert).toContain(rule.labels?.severity);
      expect(rule.annotations?.summary, rule.alert).toBeTruthy();
      expect(rule.annotations?.description, rule.alert).toBeTruthy();
      const runbook = /^docs\/runbook\.md#(.+)$/.exec(rule.annotations?.runbook_url ?? '');
      expect(runbook, rule.alert).not.toBeNull();
      expect(anchors.has(runbook?.[1] ?? ''), `${rule.alert}: ${rule.annotations?.runbook_url}`).toBe(true);
    }
    expect(rules().find((r) => r.alert === 'NotionSyncDiskFilling')?.expr).toContain('predict_linear(');
    expect(rules().find((r) => r.alert === 'NotionSyncProcessDown')?.expr).toContain('up{');
  });

  it('read only metrics the registry has (a histogram by its _count, _sum or _bucket)', () => {
    const known = new Set(everyMetricName());
    const read = rules().flatMap((r) => metricNamesIn(r.expr));
    expect(read.length).toBeGreaterThan(10);
    const unknown = read.filter((name) => name !== 'up' && !known.has(name) && !known.has(name.replace(/_(count|sum|bucket)$/, '')));
    expect(unknown).toEqual([]);
    // The check itself notices a name that does not exist.
    expect(metricNamesIn('rate(notion_sync_no_such_metric_total[5m])').filter((n) => !known.has(n))).toEqual(['notion_sync_no_such_metric_total']);
  });

  it('need promtool, and say how to install it when it is missing', async () => {
    await expect(promtool(['--version'], undefined, '/nonexistent/promtool')).rejects.toThrow(/install Debian's prometheus package/);
  });
});
