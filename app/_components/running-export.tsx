'use client';

import Link from 'next/link';
import type { RouterOutputs } from '@/app/_trpc/types';
import { useExportFeed } from '@/app/exports/[exportId]/_components/use-export-feed';
import { useLiveRate } from '@/app/exports/[exportId]/_components/use-rate';
import { shortExportId } from '@/app/exports/_components/export-identity';
import { exportPercent } from '@/components/export-percent';
import { exportPhaseLabel } from '@/components/export-phase-steps';
import { formatApproxSeconds, formatNumber } from '@/components/formatters';
import { Badge } from '@/components/ui/badge';
import { ProgressBar } from '@/components/ui/progress-bar';

export type RunningExportRow = RouterOutputs['overview']['get']['running'][number];

/**
 * A running export followed live (`exports.onProgress`): the overview's poll finds it, the feed
 * moves its counters between polls. `onEnd`: the feed closed (the export finished or stopped).
 */
export function LiveRunningExport({ row, budget, onEnd }: { row: RunningExportRow; budget: number | null; onEnd: () => void }) {
  const feed = useExportFeed(row.id, onEnd);
  const live = feed.progress;
  // The newer of the two copies, by the last event each reflects.
  const current: RunningExportRow =
    live && live.lastPosition > row.lastPosition
      ? {
          ...row,
          phase: live.phase,
          pagesDiscovered: live.pagesDiscovered,
          pagesDone: live.pagesDone,
          pagesFailed: live.pagesFailed,
          requests: live.requests,
          pacedRate: live.pacedRate,
          lastPosition: live.lastPosition,
        }
      : row;
  return <RunningExport row={current} budget={budget} live={feed.connection === 'live'} />;
}

/**
 * One running export: its progress, its request rate against its own budget (the token's budget,
 * or the lower pace Notion's answers taught it), and the time left. Until the rate is measured
 * live, the average over its running time stands in.
 */
export function RunningExport({ row, budget, live = false }: { row: RunningExportRow; budget: number | null; live?: boolean }) {
  const handled = row.pagesDone + row.pagesFailed;
  const liveRate = useLiveRate(true, row.requests, handled, row.pagesDiscovered);
  const rate = { ...liveRate, requestsPerSecond: liveRate.requestsPerSecond ?? row.averageRate };
  const ownBudget = budget === null ? null : row.pacedRate !== null ? Math.min(budget, row.pacedRate) : budget;
  const percent = exportPercent(row);
  const ratePercent = rate.requestsPerSecond !== null && ownBudget ? Math.min(100, (rate.requestsPerSecond / ownBudget) * 100) : 0;
  const name = `${row.connectionName} · export ${shortExportId(row.id)}`;
  return (
    <li className="py-3 first:pt-0 last:pb-0">
      <div className="flex flex-wrap items-baseline justify-between gap-x-3 gap-y-1">
        <Link href={`/exports/${row.id}`} className="min-w-0 font-medium break-words text-slate-900 underline-offset-2 hover:underline">
          {name}
        </Link>
        <span className="flex items-center gap-2 text-xs text-slate-500">
          {exportPhaseLabel(row.phase)}
          {live && (
            <Badge tone="info" pulse>
              Live
            </Badge>
          )}
        </span>
      </div>
      {row.workspaceName && <p className="text-xs text-slate-500">Workspace {row.workspaceName}</p>}
      <div className="mt-2 flex items-baseline justify-between gap-3 text-sm">
        <span className="text-slate-700 tabular-nums">
          {formatNumber(handled)} / {formatNumber(row.pagesDiscovered)} pages and databases
          {row.pagesFailed > 0 && <span className="text-red-700"> ({formatNumber(row.pagesFailed)} failed)</span>}
        </span>
        <span className="text-slate-500 tabular-nums">{percent}%</span>
      </div>
      <ProgressBar
        className="mt-1"
        value={percent}
        label={`Progress of ${name}`}
        valueText={`${percent}%: ${handled} of ${row.pagesDiscovered} pages and databases`}
      />
      <dl className="mt-2 grid grid-cols-2 gap-x-4 gap-y-1 text-sm sm:grid-cols-3">
        <div>
          <dt className="text-xs text-slate-500">Request rate</dt>
          <dd className="font-medium text-slate-900 tabular-nums">
            {rate.requestsPerSecond === null ? 'measuring…' : `${rate.requestsPerSecond.toFixed(1)}/s`}
            {ownBudget !== null && (
              <span className="font-normal text-slate-500">
                {' '}
                of {ownBudget}/s {row.pacedRate !== null && row.pacedRate < (budget ?? Number.POSITIVE_INFINITY) ? 'learned' : 'budget'}
              </span>
            )}
          </dd>
        </div>
        <div>
          <dt className="text-xs text-slate-500">Time left</dt>
          <dd className="font-medium text-slate-900 tabular-nums">
            {rate.etaSeconds === null ? '—' : `about ${formatApproxSeconds(rate.etaSeconds)}`}
          </dd>
        </div>
        {row.pacedRate !== null && (
          <div>
            <dt className="text-xs text-slate-500">Paced by Notion</dt>
            <dd className="font-medium text-slate-900 tabular-nums">{row.pacedRate.toFixed(1)}/s</dd>
          </div>
        )}
      </dl>
      {ownBudget !== null && rate.requestsPerSecond !== null && (
        <ProgressBar
          className="mt-2 h-1.5"
          value={ratePercent}
          label={`Request rate of ${name} against its budget`}
          valueText={`${rate.requestsPerSecond.toFixed(1)} of ${ownBudget} requests per second`}
          tone="success"
        />
      )}
    </li>
  );
}
