'use client';

import { useEffect, useRef, useState } from 'react';
import { appendPoint, EMPTY_COLUMNS, formatRate, type TimeColumns } from '@/components/time-series';
import { Card } from '@/components/ui/card';
import { TimeSeriesChart } from '@/components/ui/time-series-chart';
import { measureRate, RATE_WINDOW_MS, type RateSample } from './live-rate';

/** A point every 2 s, as the System view; the last 10 minutes are drawn. */
const POINT_MS = 2_000;
const LIMITS = { windowMs: 10 * 60_000, capacity: 300 };

export interface ExportChartsProps {
  /** Points are taken while the export runs. */
  running: boolean;
  /** The export's counters as its live feed delivers them. */
  requests: number;
  /** Pages and databases done or failed. */
  handled: number;
  /** Requests per second per integration token (settings), while known. */
  budget: number | null;
  /** The rate Notion's 429s taught the limiter, when below the budget. */
  pacedRate: number | null;
}

interface ExportColumns {
  requests: TimeColumns;
  pages: TimeColumns;
}

/**
 * The export's own rates over time, from its live feed: requests per second against the budget
 * (and the pace Notion's 429s set), and pages per second, each measured over the last 30 s as the
 * page's request rate is (live-rate.ts). Drawn while the export runs and this page is open.
 */
export function ExportCharts({ running, requests, handled, budget, pacedRate }: ExportChartsProps) {
  const [columns, setColumns] = useState<ExportColumns>({ requests: EMPTY_COLUMNS, pages: EMPTY_COLUMNS });
  // The timer reads the newest counters without starting again at every feed message.
  const latest = useRef({ requests, handled, budget, pacedRate });
  useEffect(() => {
    latest.current = { requests, handled, budget, pacedRate };
  });

  useEffect(() => {
    if (!running) return;
    let window: RateSample[] = [];
    const take = () => {
      const now = latest.current;
      const sample = { at: Date.now(), requests: now.requests, handled: now.handled };
      const measured = measureRate(window, sample, 0);
      window = measured.samples;
      const first = window[0];
      if (!measured.rate || !first) return;
      const pagesPerSecond = (sample.handled - first.handled) / ((sample.at - first.at) / 1000);
      setColumns((c) => ({
        requests: appendPoint(c.requests, sample.at, [measured.rate?.requestsPerSecond ?? null, now.budget, now.pacedRate], LIMITS),
        pages: appendPoint(c.pages, sample.at, [pagesPerSecond], LIMITS),
      }));
    };
    take();
    const timer = setInterval(take, POINT_MS);
    return () => clearInterval(timer);
  }, [running]);

  if (!running && columns.requests.times.length === 0) return null;
  const waiting = 'The first point comes after a few seconds…';
  return (
    <Card title="Rates" description={`Measured over the last ${RATE_WINDOW_MS / 1000} s, every 2 s while this page is open.`}>
      <div className="grid grid-cols-1 gap-6 md:grid-cols-2">
        <TimeSeriesChart
          title="Requests to Notion"
          series={[
            { label: 'Requests', color: 'blue' },
            { label: 'Budget', color: 'slate', dashed: true },
            { label: 'Paced by Notion', color: 'amber', dashed: true },
          ]}
          data={columns.requests}
          format={formatRate}
          emptyText={waiting}
          maxGapMs={3 * POINT_MS}
        />
        <TimeSeriesChart
          title="Pages and databases"
          series={[{ label: 'Pages', color: 'emerald' }]}
          data={columns.pages}
          format={formatRate}
          emptyText={waiting}
          maxGapMs={3 * POINT_MS}
        />
      </div>
    </Card>
  );
}
