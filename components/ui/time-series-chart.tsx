'use client';

import { useEffect, useMemo, useRef } from 'react';
import uPlot from 'uplot';
import 'uplot/dist/uPlot.min.css';
import { latestValue, type TimeColumns, withGaps } from '../time-series';
import { cn } from './cn';

/**
 * Colours of the charts' lines (Tailwind's 600s: at least 3:1 against white, as lines need): the
 * canvas's value, and the legend swatch's classes (no inline styles).
 */
const COLORS = {
  blue: { stroke: '#2563eb', line: 'bg-blue-600', dash: 'border-blue-600' },
  red: { stroke: '#dc2626', line: 'bg-red-600', dash: 'border-red-600' },
  slate: { stroke: '#475569', line: 'bg-slate-600', dash: 'border-slate-600' },
  emerald: { stroke: '#059669', line: 'bg-emerald-600', dash: 'border-emerald-600' },
  violet: { stroke: '#7c3aed', line: 'bg-violet-600', dash: 'border-violet-600' },
  amber: { stroke: '#d97706', line: 'bg-amber-600', dash: 'border-amber-600' },
} as const;

export type ChartColor = keyof typeof COLORS;

export interface ChartSeries {
  /** Its name in the legend and the summary. */
  label: string;
  color: ChartColor;
  /** A dashed line: a limit (the budget) rather than a measure. */
  dashed?: boolean;
}

export interface TimeSeriesChartProps {
  /** The figure's caption: what the chart shows. */
  title: string;
  series: ChartSeries[];
  /** Times (ms since the epoch) and one column of values per series. */
  data: TimeColumns;
  /** A value as the axis and the summary write it ("2.4/s", "84 MB"). */
  format: (value: number) => string;
  /** Shown over the chart while it has no points. */
  emptyText?: string;
  /** Points further apart than this are not joined (the stream was away). */
  maxGapMs?: number;
  /** The value axis reaches at least this high (a chart of zeros keeps a scale). */
  minTop?: number;
  className?: string;
}

/** Height of every chart, axes included (the holder's h-40 keeps the room before it is drawn). */
const CHART_HEIGHT = 160;

/** What the figure's text says: each series' newest value. */
function summaryOf(series: ChartSeries[], data: TimeColumns, format: (value: number) => string) {
  return series.map((s, i) => {
    const value = latestValue(data.values[i] ?? []);
    return { ...s, text: value === null ? '—' : format(value) };
  });
}

/**
 * A small live time-series chart (uPlot on a canvas) in a figure: its caption, and the newest
 * value of each series as text beside the legend's colours, so the figure says in words what the
 * canvas draws. The chart is made once per set of series and given new data with `setData`; it
 * follows its container's width and is destroyed on unmount.
 */
export function TimeSeriesChart({ title, series, data, format, emptyText = 'No data yet', maxGapMs, minTop = 1, className }: TimeSeriesChartProps) {
  const holder = useRef<HTMLDivElement>(null);
  const chart = useRef<uPlot | null>(null);
  const count = series.length;
  const aligned = useMemo((): uPlot.AlignedData => {
    const columns = maxGapMs === undefined ? data : withGaps(data, maxGapMs);
    return [columns.times, ...Array.from({ length: count }, (_, i) => columns.values[i] ?? columns.times.map(() => null))];
  }, [data, count, maxGapMs]);
  // What the chart reads when it is made, and the axis's format, without making it again.
  const latest = useRef({ aligned, format });
  useEffect(() => {
    latest.current = { aligned, format };
  });
  // The chart is made again only when its series change (a connection appeared), not on new data.
  const shape = JSON.stringify(series);

  useEffect(() => {
    const element = holder.current;
    if (!element) return;
    const lines: ChartSeries[] = JSON.parse(shape);
    const axis = { stroke: COLORS.slate.stroke, font: '11px ui-sans-serif, system-ui, sans-serif', ticks: { stroke: '#e2e8f0', width: 1 } };
    const made = new uPlot(
      {
        width: Math.max(200, element.clientWidth),
        height: CHART_HEIGHT,
        ms: 1,
        legend: { show: false },
        cursor: { drag: { x: false, y: false } },
        scales: {
          x: { time: true },
          y: { range: (_self, _min, max) => [0, Math.max(minTop, (max ?? 0) * 1.1)] },
        },
        axes: [
          { ...axis, grid: { stroke: '#f1f5f9', width: 1 } },
          { ...axis, grid: { stroke: '#e2e8f0', width: 1 }, size: 56, values: (_self, splits) => splits.map((v) => latest.current.format(v)) },
        ],
        series: [{}, ...lines.map((s) => ({ label: s.label, stroke: COLORS[s.color].stroke, width: 2, dash: s.dashed ? [6, 4] : undefined, points: { show: false } }))],
      },
      latest.current.aligned,
      element,
    );
    chart.current = made;
    const resize = new ResizeObserver(() => made.setSize({ width: Math.max(200, element.clientWidth), height: CHART_HEIGHT }));
    resize.observe(element);
    return () => {
      resize.disconnect();
      made.destroy();
      chart.current = null;
    };
  }, [shape, minTop]);

  useEffect(() => {
    chart.current?.setData(aligned);
  }, [aligned]);

  const summary = summaryOf(series, data, format);
  const empty = data.times.length === 0;
  return (
    <figure className={cn('min-w-0', className)}>
      <figcaption className="text-sm font-medium text-slate-900">{title}</figcaption>
      <p className="mt-1 flex flex-wrap gap-x-3 gap-y-0.5 text-xs text-slate-600" data-testid="chart-summary">
        <span className="sr-only">Latest: </span>
        {summary.map((s) => (
          <span key={s.label} className="inline-flex items-center gap-1.5">
            <span
              aria-hidden="true"
              className={cn('inline-block w-3', s.dashed ? `h-0 border-t-2 border-dashed ${COLORS[s.color].dash}` : `h-0.5 ${COLORS[s.color].line}`)}
            />
            {s.label} <span className="font-medium text-slate-900 tabular-nums">{s.text}</span>
          </span>
        ))}
      </p>
      <div className="relative mt-2">
        <div ref={holder} aria-hidden="true" className="h-40 w-full overflow-hidden" />
        {empty && (
          <p className="absolute inset-0 grid place-items-center px-4 text-center text-sm text-slate-500">{emptyText}</p>
        )}
      </div>
    </figure>
  );
}
