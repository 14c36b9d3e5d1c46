'use client';

import { useQuery } from '@tanstack/react-query';
import Link from 'next/link';
import { useTRPC } from '@/app/_trpc/client';
import type { ExportRow } from '@/app/_trpc/types';
import { exportPercent } from '@/components/export-percent';
import { ExportStatusBadge } from '@/components/export-status-badge';
import { formatDateTime, formatTime } from '@/components/formatters';
import { Card } from '@/components/ui/card';
import { ProgressBar } from '@/components/ui/progress-bar';
import { describeQueueWait, describeRetried, isDownloadable, isFinished } from '@/server/export/domain/export-status';
import { statusLook } from './status-look';

const shortId = (id: string) => id.slice(0, 8);

/** The latest exports; refreshes every 2 s while any of them is still queued or running. */
export function ExportsTable() {
  const trpc = useTRPC();
  const exports = useQuery(
    trpc.exports.list.queryOptions(undefined, {
      refetchInterval: (query) => (query.state.data?.some((e) => !isFinished(e.status)) ? 2_000 : false),
    }),
  );
  return (
    <Card title="Exports" description="The 100 most recent exports.">
      {exports.isPending ? (
        <p className="text-sm text-slate-500">Loading exports…</p>
      ) : exports.isError ? (
        <p role="alert" className="text-sm text-red-700">
          Could not load exports: {exports.error.message}
        </p>
      ) : exports.data.length === 0 ? (
        <p className="text-sm text-slate-500">No exports yet.</p>
      ) : (
        <div className="-mx-5 overflow-x-auto">
          <table className="w-full min-w-[40rem] text-left text-sm">
            <thead className="text-xs tracking-wide text-slate-500 uppercase">
              <tr>
                <th scope="col" className="px-5 py-2 font-medium">
                  Export
                </th>
                <th scope="col" className="px-3 py-2 font-medium">
                  Status
                </th>
                <th scope="col" className="w-48 px-3 py-2 font-medium">
                  Progress
                </th>
                <th scope="col" className="px-3 py-2 font-medium">
                  Requested
                </th>
                <th scope="col" className="px-5 py-2 text-right font-medium">
                  <span className="sr-only">Actions</span>
                </th>
              </tr>
            </thead>
            <tbody className="divide-y divide-slate-100">
              {exports.data.map((row) => (
                <ExportTableRow key={row.id} row={row} />
              ))}
            </tbody>
          </table>
        </div>
      )}
    </Card>
  );
}

function ExportTableRow({ row }: { row: ExportRow }) {
  const name = `Export ${shortId(row.id)}`;
  return (
    <tr className="align-middle">
      <td className="px-5 py-3">
        <Link href={`/exports/${row.id}`} className="font-medium text-slate-900 underline-offset-2 hover:underline">
          {name}
        </Link>
        <p className="text-xs text-slate-500">{row.formats.join(' + ')}</p>
      </td>
      <td className="px-3 py-3">
        <ExportStatusBadge look={statusLook(row.status)} />
        {row.wait && <p className="mt-1 max-w-56 text-xs text-slate-500">{describeQueueWait(row.wait, formatTime)}</p>}
      </td>
      <td className="px-3 py-3">
        <ProgressBar
          value={exportPercent(row, isDownloadable(row.status))}
          label={`Progress of ${name}`}
          tone={row.status === 'failed' ? 'danger' : isDownloadable(row.status) ? 'success' : 'default'}
          className="h-1.5"
        />
        <p className="mt-1 text-xs text-slate-500 tabular-nums">
          {row.pagesDone + row.pagesFailed} / {row.pagesDiscovered} pages
          {row.pagesFailed > 0 && <span className="text-amber-700"> · {row.pagesFailed} failed</span>}
        </p>
        {row.retriedPages && <p className="text-xs text-slate-500">{describeRetried(row.retriedPages)}</p>}
      </td>
      <td className="px-3 py-3 whitespace-nowrap text-slate-600">{formatDateTime(row.requestedAt)}</td>
      <td className="px-5 py-3 text-right whitespace-nowrap">
        <Link href={`/exports/${row.id}`} className="text-slate-700 hover:text-slate-900" aria-label={`Details of ${name}`}>
          Details
        </Link>
        {isDownloadable(row.status) && (
          <a
            href={`/api/exports/${row.id}/download`}
            download
            className="ml-4 font-medium text-emerald-700 hover:text-emerald-900"
            aria-label={`Download ${name} as zip`}
          >
            Download
          </a>
        )}
      </td>
    </tr>
  );
}
