'use client';

import { useQuery } from '@tanstack/react-query';
import Link from 'next/link';
import { usePathname, useRouter, useSearchParams } from 'next/navigation';
import { type ReactNode, Suspense, useId } from 'react';
import { useTRPC } from '@/app/_trpc/client';
import type { ExportRow, RouterInputs } from '@/app/_trpc/types';
import { exportPercent } from '@/components/export-percent';
import { ExportStatusBadge } from '@/components/export-status-badge';
import { formatDateTime, formatTime } from '@/components/formatters';
import { Button } from '@/components/ui/button';
import { Card } from '@/components/ui/card';
import { ProgressBar } from '@/components/ui/progress-bar';
import {
  describeQueueWait,
  describeRetried,
  EXPORT_STATUS_LABELS,
  EXPORT_STATUSES,
  type ExportStatus,
  isDownloadable,
  isFinished,
} from '@/server/export/domain/export-status';
import {
  describeFormatsAndOptions,
  describeRunningTime,
  describeSize,
  describeStartedBy,
  exportConnection,
  exportShortName,
  exportWorkspace,
} from './export-identity';
import { progressTone, statusLook } from './status-look';

type ListFilter = NonNullable<RouterInputs['exports']['list']>;

/** Choices of the status filter beyond single statuses: the groups people look for. */
const STATUS_GROUPS: { value: string; label: string }[] = [
  { value: 'queued,running', label: 'Queued or running' },
  { value: 'paused,failed,completed_with_errors', label: 'Needs attention' },
  { value: 'completed,completed_with_errors', label: 'Ready to download' },
];

/** The filters as the URL keeps them: `?status=queued,running&connection=<id>&startedBy=<email|cli>`. */
interface UrlFilters {
  status: ExportStatus[];
  connection: string;
  startedBy: string;
}

function filtersOf(params: URLSearchParams): UrlFilters {
  const status = (params.get('status') ?? '')
    .split(',')
    .filter((s): s is ExportStatus => (EXPORT_STATUSES as readonly string[]).includes(s));
  return { status: [...new Set(status)], connection: params.get('connection') ?? '', startedBy: params.get('startedBy') ?? '' };
}

function listInput(filters: UrlFilters): ListFilter | undefined {
  const input: ListFilter = {};
  if (filters.status.length > 0) input.status = filters.status;
  if (filters.connection) input.connectionId = filters.connection;
  if (filters.startedBy) input.startedBy = filters.startedBy;
  return Object.keys(input).length > 0 ? input : undefined;
}

/** The latest exports, filtered as the URL says; refreshes every 2 s while any of them is still queued or running. */
export function ExportsTable() {
  return (
    <Suspense fallback={<ExportsCard><p className="text-sm text-slate-500">Loading exports…</p></ExportsCard>}>
      <FilteredExports />
    </Suspense>
  );
}

function ExportsCard({ children }: { children: ReactNode }) {
  return (
    <Card title="Exports" description="The 100 most recent exports.">
      {children}
    </Card>
  );
}

function FilteredExports() {
  const trpc = useTRPC();
  const router = useRouter();
  const pathname = usePathname();
  const params = useSearchParams();
  const filters = filtersOf(new URLSearchParams(params.toString()));
  const input = listInput(filters);
  const exports = useQuery(
    trpc.exports.list.queryOptions(input, {
      refetchInterval: (query) => (query.state.data?.some((e) => !isFinished(e.status)) ? 2_000 : false),
    }),
  );

  const setFilter = (name: 'status' | 'connection' | 'startedBy', value: string) => {
    const next = new URLSearchParams(params.toString());
    if (value) next.set(name, value);
    else next.delete(name);
    const query = next.toString();
    router.replace(query ? `${pathname}?${query}` : pathname, { scroll: false });
  };
  const clear = () => router.replace(pathname, { scroll: false });
  const filtered = input !== undefined;

  return (
    <ExportsCard>
      <ExportFilters filters={filters} onChange={setFilter} onClear={filtered ? clear : undefined} />
      {exports.isPending ? (
        <p className="text-sm text-slate-500">Loading exports…</p>
      ) : exports.isError ? (
        <p role="alert" className="text-sm text-red-700">
          Could not load exports: {exports.error.message}
        </p>
      ) : exports.data.length === 0 ? (
        filtered ? (
          <p className="text-sm text-slate-500">
            No exports match these filters.{' '}
            <button type="button" onClick={clear} className="font-medium text-slate-700 underline hover:text-slate-900">
              Show every export
            </button>
          </p>
        ) : (
          <p className="text-sm text-slate-500">No exports yet.</p>
        )
      ) : (
        <>
          <ul aria-label="Exports" className="-mx-5 divide-y divide-slate-100 sm:hidden">
            {exports.data.map((row) => (
              <ExportCard key={row.id} row={row} />
            ))}
          </ul>
          <div className="-mx-5 hidden overflow-x-auto sm:block">
            <table className="w-full text-left text-sm">
              <thead className="text-xs tracking-wide text-slate-500 uppercase">
                <tr>
                  <th scope="col" className="px-5 py-2 font-medium">
                    Export
                  </th>
                  <th scope="col" className="px-3 py-2 font-medium">
                    Status
                  </th>
                  <th scope="col" className="w-40 px-3 py-2 font-medium">
                    Progress
                  </th>
                  <th scope="col" className="px-3 py-2 font-medium">
                    Started
                  </th>
                  <th scope="col" className="px-3 py-2 font-medium">
                    Size · time
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
        </>
      )}
    </ExportsCard>
  );
}

const SELECT =
  'mt-1 block h-9 w-full rounded-lg border-0 bg-white px-2 text-sm text-slate-900 ring-1 ring-inset ring-slate-300 focus:ring-2 focus:ring-slate-900 focus:outline-none';

/** Status, connection and who started it, as selects whose choices come from the exports there are. */
function ExportFilters({
  filters,
  onChange,
  onClear,
}: {
  filters: UrlFilters;
  onChange: (name: 'status' | 'connection' | 'startedBy', value: string) => void;
  onClear?: () => void;
}) {
  const trpc = useTRPC();
  const choices = useQuery(trpc.exports.filterChoices.queryOptions());
  const id = useId();
  const status = filters.status.join(',');
  const statusChoices = [...STATUS_GROUPS, ...EXPORT_STATUSES.map((s) => ({ value: s, label: EXPORT_STATUS_LABELS[s] }))];
  // A combination typed into the URL is shown as it is.
  if (status && !statusChoices.some((c) => c.value === status)) {
    statusChoices.push({ value: status, label: filters.status.map((s) => EXPORT_STATUS_LABELS[s]).join(' or ') });
  }
  const connections = choices.data?.connections ?? [];
  const people = choices.data?.startedBy ?? [];
  return (
    <fieldset className="mb-4 grid gap-3 sm:grid-cols-[1fr_1fr_1fr_auto] sm:items-end">
      <legend className="sr-only">Filter exports</legend>
      <div>
        <label htmlFor={`${id}-status`} className="block text-xs font-medium text-slate-600">
          Status
        </label>
        <select id={`${id}-status`} value={status} onChange={(e) => onChange('status', e.target.value)} className={SELECT}>
          <option value="">Any status</option>
          {statusChoices.map((c) => (
            <option key={c.value} value={c.value}>
              {c.label}
            </option>
          ))}
        </select>
      </div>
      <div>
        <label htmlFor={`${id}-connection`} className="block text-xs font-medium text-slate-600">
          Connection
        </label>
        <select id={`${id}-connection`} value={filters.connection} onChange={(e) => onChange('connection', e.target.value)} className={SELECT}>
          <option value="">Every connection</option>
          {connections.map((c) => (
            <option key={c.id} value={c.id}>
              {c.workspaceName && c.workspaceName !== c.name ? `${c.name} (${c.workspaceName})` : c.name}
            </option>
          ))}
          {filters.connection && !connections.some((c) => c.id === filters.connection) && (
            <option value={filters.connection}>{choices.isPending ? 'Loading…' : 'A connection without exports'}</option>
          )}
        </select>
      </div>
      <div>
        <label htmlFor={`${id}-by`} className="block text-xs font-medium text-slate-600">
          Started by
        </label>
        <select id={`${id}-by`} value={filters.startedBy} onChange={(e) => onChange('startedBy', e.target.value)} className={SELECT}>
          <option value="">Anyone</option>
          {people.map((email) => (
            <option key={email} value={email}>
              {email}
            </option>
          ))}
          {(choices.data?.cli || filters.startedBy === 'cli') && <option value="cli">CLI or schedule</option>}
          {filters.startedBy && filters.startedBy !== 'cli' && !people.includes(filters.startedBy) && (
            <option value={filters.startedBy}>{filters.startedBy}</option>
          )}
        </select>
      </div>
      <div className="sm:pb-0.5">
        {onClear && (
          <Button variant="ghost" size="sm" onClick={onClear}>
            Clear filters
          </Button>
        )}
      </div>
      {choices.isError && (
        <p role="alert" className="text-xs text-red-700 sm:col-span-4">
          Could not load the filter choices: {choices.error.message}
        </p>
      )}
    </fieldset>
  );
}

function ProgressCell({ row, name }: { row: ExportRow; name: string }) {
  return (
    <>
      <ProgressBar value={exportPercent(row, isDownloadable(row.status))} label={`Progress of ${name}`} tone={progressTone(row.status)} className="h-1.5" />
      <p className="mt-1 text-xs text-slate-500 tabular-nums">
        {row.pagesDone + row.pagesFailed} / {row.pagesDiscovered} pages
        {row.pagesFailed > 0 && <span className="text-amber-700"> · {row.pagesFailed} failed</span>}
      </p>
      {row.retriedPages && <p className="text-xs text-slate-500">{describeRetried(row.retriedPages)}</p>}
    </>
  );
}

/** The links of an export: its page, and its zip once it can be downloaded. */
function ExportActions({ row, name, className }: { row: ExportRow; name: string; className?: string }) {
  return (
    <div className={className}>
      <Link href={`/exports/${row.id}`} className="text-slate-700 hover:text-slate-900" aria-label={`Details of ${name}`}>
        Details
      </Link>
      {isDownloadable(row.status) && (
        <a href={`/api/exports/${row.id}/download`} download className="font-medium text-emerald-700 hover:text-emerald-900" aria-label={`Download ${name} as zip`}>
          Download
        </a>
      )}
    </div>
  );
}

function ExportTableRow({ row }: { row: ExportRow }) {
  const name = exportShortName(row.id);
  const connection = exportConnection(row);
  return (
    <tr className="align-top">
      <td className="px-5 py-3">
        <p className="font-medium text-slate-900">{exportWorkspace(row)}</p>
        <p className="text-xs text-slate-500">
          <Link href={`/exports/${row.id}`} className="underline-offset-2 hover:text-slate-900 hover:underline">
            {name}
          </Link>
          {connection && <> · {connection}</>}
        </p>
        <p className="text-xs text-slate-500">{describeFormatsAndOptions(row)}</p>
      </td>
      <td className="px-3 py-3">
        <ExportStatusBadge look={statusLook(row.status)} />
        {row.wait && <p className="mt-1 max-w-56 text-xs text-slate-500">{describeQueueWait(row.wait, formatTime)}</p>}
      </td>
      <td className="px-3 py-3">
        <ProgressCell row={row} name={name} />
      </td>
      <td className="px-3 py-3 text-slate-600">
        <p className="whitespace-nowrap">{formatDateTime(row.requestedAt)}</p>
        <p className="max-w-48 truncate text-xs text-slate-500" title={describeStartedBy(row)}>
          by {describeStartedBy(row)}
        </p>
      </td>
      <td className="px-3 py-3 whitespace-nowrap text-slate-600 tabular-nums">
        <p>{describeSize(row)}</p>
        <p className="text-xs text-slate-500">{describeRunningTime(row, Date.now())}</p>
      </td>
      <td className="px-5 py-3 text-right whitespace-nowrap">
        <ExportActions row={row} name={name} className="flex justify-end gap-4" />
      </td>
    </tr>
  );
}

/** One export on a phone: everything the table row says, stacked, with its links at full reach. */
function ExportCard({ row }: { row: ExportRow }) {
  const name = exportShortName(row.id);
  const connection = exportConnection(row);
  return (
    <li className="space-y-2 px-5 py-4">
      <div className="flex items-start justify-between gap-3">
        <div className="min-w-0">
          <p className="font-medium break-words text-slate-900">{exportWorkspace(row)}</p>
          <p className="text-xs text-slate-500">
            <Link href={`/exports/${row.id}`} className="underline underline-offset-2">
              {name}
            </Link>
            {connection && <> · {connection}</>}
          </p>
        </div>
        <ExportStatusBadge look={statusLook(row.status)} />
      </div>
      {row.wait && <p className="text-xs text-slate-500">{describeQueueWait(row.wait, formatTime)}</p>}
      <ProgressCell row={row} name={name} />
      <dl className="grid grid-cols-2 gap-x-3 gap-y-1 text-xs">
        <dt className="text-slate-500">Formats</dt>
        <dd className="text-slate-700">{describeFormatsAndOptions(row)}</dd>
        <dt className="text-slate-500">Started</dt>
        <dd className="break-words text-slate-700">
          {formatDateTime(row.requestedAt)} by {describeStartedBy(row)}
        </dd>
        <dt className="text-slate-500">Size</dt>
        <dd className="text-slate-700 tabular-nums">{describeSize(row)}</dd>
        <dt className="text-slate-500">Running time</dt>
        <dd className="text-slate-700 tabular-nums">{describeRunningTime(row, Date.now())}</dd>
      </dl>
      <ExportActions row={row} name={name} className="flex gap-6 pt-1 text-sm [&>a]:py-1" />
    </li>
  );
}
