'use client';

import { useQuery, useQueryClient } from '@tanstack/react-query';
import Link from 'next/link';
import { type ReactNode, useCallback } from 'react';
import { useTRPC } from '@/app/_trpc/client';
import type { RouterOutputs } from '@/app/_trpc/types';
import { shortExportId } from '@/app/exports/_components/export-identity';
import { formatDateTime, formatNumber, formatTime } from '@/components/formatters';
import { Badge } from '@/components/ui/badge';
import { Card } from '@/components/ui/card';
import { describeBytes } from '@/server/export/domain/export-status';
import { LiveRunningExport, RunningExport } from './running-export';

type OverviewData = RouterOutputs['overview']['get'];
type Health = OverviewData['health'];

/** How often the overview asks again (running exports move between polls through their live feed). */
const REFRESH_MS = 5_000;
/** Running exports followed through their own live feed; the rest move with the poll (a browser holds few streams at once). */
const LIVE_FEEDS = 3;

/** The top of the dashboard: what runs now, what failed lately, and whether everything is well. */
export function Overview() {
  const trpc = useTRPC();
  const queryClient = useQueryClient();
  const overview = useQuery(trpc.overview.get.queryOptions(undefined, { refetchInterval: REFRESH_MS }));
  const refresh = useCallback(() => {
    void queryClient.invalidateQueries(trpc.overview.pathFilter());
    void queryClient.invalidateQueries(trpc.exports.pathFilter());
  }, [queryClient, trpc]);

  return (
    <section aria-labelledby="overview-heading" className="space-y-3">
      <div className="flex flex-wrap items-baseline justify-between gap-2">
        <h2 id="overview-heading" className="text-lg font-semibold text-slate-900">
          Overview
        </h2>
        {overview.data && (
          <p className="text-xs text-slate-500" aria-live="polite">
            {overview.isError ? (
              <span className="text-amber-800">Not refreshed since {formatTime(overview.data.at)}: {overview.error.message}</span>
            ) : (
              <>Updated {formatTime(overview.data.at)}</>
            )}
          </p>
        )}
      </div>
      {overview.isPending ? (
        <Card>
          <p className="text-sm text-slate-500" role="status">
            Loading the overview…
          </p>
        </Card>
      ) : overview.isError && !overview.data ? (
        <Card>
          <p role="alert" className="text-sm text-red-700">
            Could not load the overview: {overview.error.message}
          </p>
        </Card>
      ) : (
        <div className="grid grid-cols-1 items-start gap-6 lg:grid-cols-5">
          <div className="space-y-6 lg:col-span-3">
            <RunningNow overview={overview.data} onEnd={refresh} />
            <RecentFailures overview={overview.data} />
          </div>
          <HealthCard health={overview.data.health} className="lg:col-span-2" />
        </div>
      )}
    </section>
  );
}

function RunningNow({ overview, onEnd }: { overview: OverviewData; onEnd: () => void }) {
  const { running, queued, budget } = overview;
  return (
    <Card
      title="Running now"
      description={runningDescription(overview)}
      actions={queued > 0 ? <Badge>{formatNumber(queued)} queued</Badge> : undefined}
    >
      {running.length === 0 ? (
        <p className="text-sm text-slate-500">No export running.{queued > 0 ? ' Queued exports start when a runner is free.' : ''}</p>
      ) : (
        <ul aria-label="Running exports" className="divide-y divide-slate-100">
          {running.map((row, i) =>
            i < LIVE_FEEDS ? (
              <LiveRunningExport key={row.id} row={row} budget={budget} onEnd={onEnd} />
            ) : (
              <RunningExport key={row.id} row={row} budget={budget} />
            ),
          )}
        </ul>
      )}
    </Card>
  );
}

/** The limits every running export works within, in words. */
function runningDescription({ budget, workspaceBudget, maxExportsPerRunner }: OverviewData): string | undefined {
  if (budget === null) return undefined;
  const parts = [`Budget: ${budget} requests per second per integration`];
  if (workspaceBudget !== null) parts.push(`${workspaceBudget} per workspace, shared by its integrations`);
  if (maxExportsPerRunner !== null) {
    parts.push(`up to ${maxExportsPerRunner} ${maxExportsPerRunner === 1 ? 'export' : 'exports'} of different connections at once per runner`);
  }
  return `${parts.join('; ')}.`;
}

function RecentFailures({ overview }: { overview: OverviewData }) {
  const { recentFailures, recentFailureCount } = overview;
  return (
    <Card title="Recent failures" description="Exports that failed in the last 24 hours.">
      {recentFailures.length === 0 ? (
        <p className="text-sm text-slate-500">No failures in the last 24 hours.</p>
      ) : (
        <>
          <ul aria-label="Recent failures" className="divide-y divide-slate-100">
            {recentFailures.map((failure) => (
              <li key={failure.id} className="py-2 first:pt-0 last:pb-0">
                <div className="flex flex-wrap items-baseline justify-between gap-x-3">
                  <Link
                    href={`/exports/${failure.id}`}
                    className="min-w-0 font-medium break-words text-slate-900 underline-offset-2 hover:underline"
                  >
                    {failure.connectionName} · export {shortExportId(failure.id)}
                  </Link>
                  <time dateTime={failure.failedAt} className="text-xs text-slate-500">
                    {formatDateTime(failure.failedAt)}
                  </time>
                </div>
                {failure.reason && <p className="mt-0.5 line-clamp-3 text-sm break-words text-red-700">{failure.reason}</p>}
              </li>
            ))}
          </ul>
          {recentFailureCount > recentFailures.length && (
            <p className="mt-2 text-xs text-slate-500">
              {formatNumber(recentFailureCount - recentFailures.length)} more in the exports list below.
            </p>
          )}
        </>
      )}
    </Card>
  );
}

function HealthRow({ label, ok, warning = false, children }: { label: string; ok: boolean; warning?: boolean; children: ReactNode }) {
  return (
    <div className="py-2 first:pt-0 last:pb-0">
      <dt className="flex items-center justify-between gap-3">
        <span className="text-sm font-medium text-slate-900">{label}</span>
        <Badge tone={!ok ? 'danger' : warning ? 'warning' : 'success'}>{!ok ? 'Failing' : warning ? 'Attention' : 'OK'}</Badge>
      </dt>
      <dd className="mt-0.5 text-sm text-slate-600">{children}</dd>
    </div>
  );
}

/** "42", or "0.5" under 10 % (where a tenth matters). */
function percentFree(free: number, total: number): string {
  const percent = (free / total) * 100;
  return percent < 10 ? percent.toFixed(1) : String(Math.floor(percent));
}

function HealthCard({ health, className }: { health: Health; className?: string }) {
  const { database, disk, connections } = health;
  return (
    <Card title="Health" className={className}>
      <dl className="divide-y divide-slate-100">
        <HealthRow label="Database" ok={database.ok}>
          {database.ok ? `Answers in ${database.latencyMs.toFixed(1)} ms.` : `It ${database.error}.`}
        </HealthRow>
        <HealthRow label="Disk of the exports" ok={disk.ok} warning={disk.ok && disk.low}>
          {disk.ok ? (
            <>
              {describeBytes(disk.freeBytes)} free of {describeBytes(disk.totalBytes)}
              {disk.totalBytes > 0 && ` (${percentFree(disk.freeBytes, disk.totalBytes)} %)`}.
              {disk.low && (
                <span className="mt-1 block text-amber-800">
                  Low on space (under 1 GB or 5 %): an export pauses when the disk is full. Free some space or delete old exports.
                </span>
              )}
            </>
          ) : (
            `It ${disk.error}.`
          )}
        </HealthRow>
        {connections.length === 0 ? (
          <HealthRow label="Connections" ok warning>
            No connection yet: an admin adds one below.
          </HealthRow>
        ) : (
          connections.map((c) => (
            <HealthRow key={c.id} label={`Connection ${c.name}`} ok={!c.lastCheckFailed}>
              {c.workspaceName && <span className="block">Workspace {c.workspaceName}</span>}
              {c.lastCheckFailed && (
                <span className="block text-red-700">
                  Last check failed{c.lastCheckAt ? ` (${formatDateTime(c.lastCheckAt)})` : ''}: {c.problem}.
                </span>
              )}
              <span className="block text-xs text-slate-500">Last good check: {formatDateTime(c.checkedAt)}</span>
            </HealthRow>
          ))
        )}
      </dl>
    </Card>
  );
}
