'use client';

import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import Link from 'next/link';
import { useRouter } from 'next/navigation';
import { useCallback, useState } from 'react';
import { useTRPC } from '@/app/_trpc/client';
import type { ActivityEntry, ExportDetail, ExportFailure, ExportRow } from '@/app/_trpc/types';
import { exportPercent } from '@/components/export-percent';
import { ExportPhaseSteps, exportPhaseLabel } from '@/components/export-phase-steps';
import { ExportStatusBadge } from '@/components/export-status-badge';
import { formatApproxSeconds, formatDateTime, formatNumber, formatTime } from '@/components/formatters';
import { Badge } from '@/components/ui/badge';
import { Button, buttonClasses } from '@/components/ui/button';
import { Card } from '@/components/ui/card';
import { cn } from '@/components/ui/cn';
import { ConfirmDialog } from '@/components/ui/confirm-dialog';
import { ProgressBar } from '@/components/ui/progress-bar';
import {
  canCancel,
  canPause,
  canResume,
  canRetryFailed,
  countsOf,
  describeCounts,
  describeBytes,
  describeQueueWait,
  describeRetried,
  isDownloadable,
  isFinished,
  retryWaitOf,
} from '@/server/export/domain/export-status';
import {
  describeFormatsAndOptions,
  describeRunningTime,
  describeSize,
  describeStartedBy,
  exportConnection,
  exportShortName,
  exportWorkspace,
} from '../../_components/export-identity';
import { progressTone, statusLook } from '../../_components/status-look';
import { ExportFiles } from './export-files';
import type { FeedConnection } from './feed-state';
import { useExportFeed } from './use-export-feed';
import { useLiveRate } from './use-rate';
import { ExportCharts } from './export-charts';

/**
 * The export's row as both `exports.get` and the live feed deliver it (what it waits for, its
 * connection's names and whether its folder is its own come with `exports.get` only).
 */
type ExportSnapshot = Omit<ExportRow, 'wait' | 'connectionName' | 'workspaceName' | 'ownFolder'>;

/** Newest of two snapshots of the same export (by the last event they reflect). */
function newest(a: ExportSnapshot | undefined, b: ExportSnapshot | null): ExportSnapshot | undefined {
  if (!a) return b ?? undefined;
  if (!b) return a;
  return b.lastPosition >= a.lastPosition ? b : a;
}

function mergeFailures(a: ExportFailure[], b: ExportFailure[]): ExportFailure[] {
  const seen = new Set(a.map((f) => f.id));
  return [...a, ...b.filter((f) => !seen.has(f.id))];
}

/** Live view of one export: initial state from `exports.get`, then updates from `exports.onProgress`. */
export function ExportProgress({ exportId }: { exportId: string }) {
  const trpc = useTRPC();
  const queryClient = useQueryClient();
  const budget = useQuery(trpc.settings.get.queryOptions());
  // Viewers see the export; operators and admins also act on it (the server checks again).
  const me = useQuery(trpc.me.queryOptions());
  const canOperate = me.data?.can.operate === true;
  const detail = useQuery(trpc.exports.get.queryOptions({ id: exportId }, { retry: (count, error) => error.data?.code !== 'NOT_FOUND' && count < 3 }));
  const onEnd = useCallback(() => {
    // The feed is done: refresh the authoritative row and failure list, and the dashboard's list.
    void queryClient.invalidateQueries(trpc.exports.pathFilter());
  }, [queryClient, trpc]);
  const [generation, setGeneration] = useState(0);
  const feed = useExportFeed(exportId, onEnd, generation);
  const settle = { onSettled: () => queryClient.invalidateQueries(trpc.exports.pathFilter()) };
  const restart = {
    onSuccess: () => setGeneration((g) => g + 1),
    onSettled: () => queryClient.invalidateQueries(trpc.exports.pathFilter()),
  };
  const router = useRouter();
  const [confirming, setConfirming] = useState<'cancel' | 'delete' | null>(null);
  const cancel = useMutation(trpc.exports.cancel.mutationOptions({ ...settle, onSuccess: () => setConfirming(null) }));
  const remove = useMutation(
    trpc.exports.delete.mutationOptions({
      // Away first: this page's queries would only find that the export is gone.
      onSuccess: () => {
        router.push('/');
        void queryClient.invalidateQueries(trpc.exports.list.pathFilter());
        void queryClient.invalidateQueries(trpc.exports.filterChoices.pathFilter());
      },
    }),
  );
  const pause = useMutation(trpc.exports.pause.mutationOptions(settle));
  const resume = useMutation(trpc.exports.resume.mutationOptions(restart));
  const retry = useMutation(trpc.exports.retryFailed.mutationOptions(restart));
  const actionError = pause.error ?? resume.error ?? retry.error;
  const current = newest(detail.data, feed.progress);
  const live = useLiveRate(
    current?.status === 'running',
    current?.requests ?? 0,
    (current?.pagesDone ?? 0) + (current?.pagesFailed ?? 0),
    current?.pagesDiscovered ?? 0,
  );

  if (detail.isError && detail.error.data?.code === 'NOT_FOUND') {
    return (
      <Card title="Export not found">
        <p className="text-sm text-slate-600">{detail.error.message}</p>
        <Link href="/" className={buttonClasses({ variant: 'secondary', className: 'mt-4' })}>
          Back to the dashboard
        </Link>
      </Card>
    );
  }

  const row = current;
  if (!row) {
    return detail.isError ? (
      <p role="alert" className="text-sm text-red-700">
        Could not load the export: {detail.error.message}
      </p>
    ) : (
      <p className="text-sm text-slate-500">Loading export…</p>
    );
  }

  const percent = exportPercent(row, isDownloadable(row.status));
  const finished = isFinished(row.status);
  const handled = row.pagesDone + row.pagesFailed;
  const failures = mergeFailures(detail.data?.failures ?? [], feed.failures);
  // A scheduled retry is known from the row itself; other waits come with `exports.get`.
  const wait = row.status === 'queued' ? (retryWaitOf(row, Date.now()) ?? detail.data?.wait ?? null) : null;

  return (
    <div className="space-y-6">
      <Card>
        <div className="flex flex-wrap items-start justify-between gap-4">
          <div className="min-w-0 space-y-2">
            {detail.data && (
              <div data-testid="export-identity">
                <p className="text-lg font-semibold break-words text-slate-900">{exportWorkspace(detail.data)}</p>
                <p className="text-sm text-slate-600">
                  {exportConnection(detail.data) && <>Connection {exportConnection(detail.data)} · </>}
                  {describeFormatsAndOptions(row)} · started by {describeStartedBy(row)}
                </p>
              </div>
            )}
            <div className="flex flex-wrap items-center gap-3">
              <ExportStatusBadge look={statusLook(row.status)} data-testid="export-status" />
              <LiveIndicator connection={feed.connection} finished={finished} />
            </div>
            <p className="text-sm text-slate-600">
              Phase: <span className="font-medium text-slate-900" data-testid="export-phase">{exportPhaseLabel(row.phase)}</span>
            </p>
          </div>
          <div className="flex flex-wrap gap-2">
            {isDownloadable(row.status) && (
              <a href={`/api/exports/${row.id}/download`} download className={buttonClasses()}>
                Download zip
              </a>
            )}
            {canOperate && canPause(row.status) && (
              <Button variant="secondary" onClick={() => pause.mutate({ id: row.id })} disabled={pause.isPending}>
                {pause.isPending ? 'Pausing…' : 'Pause'}
              </Button>
            )}
            {canOperate && canResume(row.status) && (
              <Button onClick={() => resume.mutate({ id: row.id })} disabled={resume.isPending}>
                {resume.isPending ? 'Resuming…' : 'Resume'}
              </Button>
            )}
            {canOperate && canRetryFailed(row.status, row.pagesFailed) && (
              <Button variant="secondary" onClick={() => retry.mutate({ id: row.id })} disabled={retry.isPending}>
                {retry.isPending ? 'Retrying…' : 'Retry failed pages'}
              </Button>
            )}
            {canOperate && canCancel(row.status) && (
              <Button variant="danger" onClick={() => setConfirming('cancel')} disabled={cancel.isPending}>
                {cancel.isPending ? 'Cancelling…' : 'Cancel export'}
              </Button>
            )}
            {canOperate && canDelete(row.status) && (
              <Button variant="danger" onClick={() => setConfirming('delete')} disabled={remove.isPending}>
                {remove.isPending ? 'Deleting…' : 'Delete export'}
              </Button>
            )}
          </div>
          <ConfirmDialog
            open={confirming === 'cancel'}
            title={`Cancel ${exportShortName(row.id)}?`}
            confirmLabel="Cancel export"
            cancelLabel="Keep it running"
            pendingLabel="Cancelling…"
            pending={cancel.isPending}
            error={cancel.error?.message}
            onConfirm={() => cancel.mutate({ id: row.id })}
            onCancel={() => {
              setConfirming(null);
              cancel.reset();
            }}
          >
            <p>The export stops and cannot be resumed.</p>
            <p>{describeRemoval(row, detail.data?.ownFolder, 'cancel')}</p>
          </ConfirmDialog>
          <ConfirmDialog
            open={confirming === 'delete'}
            title={`Delete ${exportShortName(row.id)}?`}
            confirmLabel="Delete export"
            cancelLabel="Keep it"
            pendingLabel="Deleting…"
            pending={remove.isPending}
            error={remove.error?.message}
            onConfirm={() => remove.mutate({ id: row.id })}
            onCancel={() => {
              setConfirming(null);
              remove.reset();
            }}
          >
            <p>{describeRemoval(row, detail.data?.ownFolder, 'delete')}</p>
            <p>It leaves the list with its progress and history; the audit log keeps a record that it was deleted.</p>
          </ConfirmDialog>
        </div>

        <div className="mt-5">
          <div className="mb-2 flex items-baseline justify-between text-sm">
            <span className="font-medium text-slate-900 tabular-nums" data-testid="export-pages">
              {formatNumber(handled)} / {formatNumber(row.pagesDiscovered)} pages and databases
            </span>
            <span className="text-slate-500 tabular-nums">{percent}%</span>
          </div>
          <ProgressBar
            value={percent}
            label="Export progress"
            valueText={`${percent}%: ${handled} of ${row.pagesDiscovered} pages and databases`}
            tone={progressTone(row.status)}
            className="h-3"
          />
          <div className="mt-4">
            <ExportPhaseSteps phase={row.phase} stopped={row.status === 'failed' || row.status === 'cancelled'} />
          </div>
        </div>

        {actionError && (
          <p role="alert" className="mt-4 text-sm text-red-700">
            {actionError.message}
          </p>
        )}
        {(wait || (row.statusReason && row.statusReason !== row.lastError)) && (
          <p className="mt-4 text-sm text-slate-700" data-testid="export-status-reason">
            {wait ? describeQueueWait(wait, formatTime) : row.statusReason}
          </p>
        )}
        {isDownloadable(row.status) && (
          <p className="mt-4 text-sm text-slate-700" data-testid="export-counts">
            {describeCounts(countsOf(row))}
          </p>
        )}
        {row.retriedPages && (
          <p className="mt-1 text-sm text-slate-700" data-testid="export-retried">
            {describeRetried(row.retriedPages)}
          </p>
        )}
        {row.lastError && wait?.reason !== 'retry' && (
          <div role="alert" className="mt-4 rounded-lg bg-red-50 px-3 py-2 text-sm text-red-800 ring-1 ring-inset ring-red-200">
            <p className="font-medium">Last error</p>
            <p className="mt-0.5 break-words" data-testid="export-last-error">
              {row.lastError}
            </p>
          </div>
        )}
        {feed.error && (
          <p className="mt-4 text-sm text-amber-800">Live updates interrupted: {feed.error}</p>
        )}
      </Card>

      <ExportCharts
        running={row.status === 'running'}
        requests={row.requests}
        handled={handled}
        budget={budget.data?.requestsPerSecond ?? null}
        pacedRate={row.pacedRate}
      />
      <div className="grid grid-cols-1 items-start gap-6 lg:grid-cols-5">
        <Card title="Details" className="lg:col-span-2">
          <dl className="grid grid-cols-2 gap-x-4 gap-y-3 text-sm">
            <Stat label="Pages exported" value={formatNumber(row.pagesExported)} testId="stat-pages-done" />
            <Stat label="Databases exported" value={formatNumber(row.databasesExported)} testId="stat-databases-done" />
            <Stat label="Could not be exported" value={formatNumber(row.pagesFailed)} testId="stat-pages-failed" />
            <Stat label="API requests" value={formatNumber(row.requests)} testId="stat-requests" />
            <Stat
              label="Request rate"
              value={
                live.requestsPerSecond === null
                  ? '—'
                  : `${live.requestsPerSecond.toFixed(1)}/s of ${budget.data?.requestsPerSecond ?? '…'}/s budget`
              }
              testId="stat-rate"
            />
            {row.pacedRate !== null && (
              <Stat
                label="Paced by Notion"
                value={`${row.pacedRate.toFixed(1)}/s, learned from its 429s`}
                testId="stat-paced-rate"
              />
            )}
            <Stat
              label="Time left"
              value={live.etaSeconds === null ? '—' : `about ${formatApproxSeconds(live.etaSeconds)}`}
              testId="stat-eta"
            />
            <Stat label="Rate-limit waits" value={formatNumber(row.rateLimited)} testId="stat-rate-limited" />
            <Stat label="Retries" value={formatNumber(row.retries)} testId="stat-retries" />
            <Stat
              label="Attempt"
              value={row.attempt === 0 ? '—' : row.maxAttempts ? `${row.attempt} of ${row.maxAttempts}` : formatNumber(row.attempt)}
              testId="stat-attempt"
            />
            <Stat label="Files written" value={formatNumber(row.filesWritten)} testId="stat-files" />
            <Stat label="Data written" value={describeBytes(row.bytesWritten)} testId="stat-bytes" />
            {detail.data && <Stat label="Workspace" value={exportWorkspace(detail.data)} testId="stat-workspace" />}
            {detail.data && exportConnection(detail.data) && <Stat label="Connection" value={exportConnection(detail.data) ?? ''} />}
            <Stat label="Started by" value={describeStartedBy(row)} testId="stat-started-by" />
            <Stat label="Formats and options" value={describeFormatsAndOptions(row)} testId="stat-formats" />
            <Stat label="Size on disk" value={describeSize(row)} testId="stat-size" />
            <Stat label="Requested" value={formatDateTime(row.requestedAt)} />
            <Stat label="Started" value={formatDateTime(row.startedAt)} />
            {row.finishedAt && <Stat label="Finished" value={formatDateTime(row.finishedAt)} />}
            <Stat label="Running time" value={describeRunningTime(row, Date.now())} testId="stat-running-time" />
          </dl>
        </Card>
        <div className="space-y-6 lg:col-span-3">
          {(failures.length > 0 || row.pagesFailed > 0) && (
            <FailedPages
              failures={failures}
              total={row.pagesFailed}
              onRetry={canRetryFailed(row.status, row.pagesFailed) ? (pageId) => retry.mutate({ id: row.id, pageIds: [pageId] }) : undefined}
            />
          )}
          {detail.data && detail.data.issues.length > 0 && <ExportIssues issues={detail.data.issues} />}
          <ActivityLog entries={feed.activity} />
        </div>
      </div>
      <ExportFiles exportId={row.id} live={!finished} />
    </div>
  );
}

/** Statuses in which an export can be deleted: any but those a runner may be writing in (cancel those first). */
const canDelete = (status: ExportSnapshot['status']) => status !== 'queued' && status !== 'running';

/** What cancelling or deleting removes from the disk, in words, with how much. */
function describeRemoval(row: ExportSnapshot, ownFolder: boolean | undefined, action: 'cancel' | 'delete'): string {
  const size = describeSize(row);
  if (row.status === 'cancelled') return 'Its files were removed when it was cancelled.';
  if (ownFolder) return `Its folder is removed with everything in it: ${size}.`;
  if (action === 'cancel') return `The files it wrote are removed (${size}); other files in the folder the CLI chose stay.`;
  return 'Its files stay where the CLI wrote them; only its record here is removed.';
}

function Stat({ label, value, testId }: { label: string; value: string; testId?: string }) {
  return (
    <div>
      <dt className="text-xs text-slate-500">{label}</dt>
      <dd className="mt-0.5 font-medium text-slate-900 tabular-nums" data-testid={testId}>
        {value}
      </dd>
    </div>
  );
}

function LiveIndicator({ connection, finished }: { connection: FeedConnection; finished: boolean }) {
  if (finished && (connection === 'ended' || connection === 'live')) return null;
  const look: Record<FeedConnection, { text: string; tone: 'neutral' | 'info' | 'warning' | 'danger'; pulse: boolean }> = {
    connecting: { text: 'Connecting…', tone: 'neutral', pulse: true },
    live: { text: 'Live', tone: 'info', pulse: true },
    reconnecting: { text: 'Reconnecting…', tone: 'warning', pulse: true },
    ended: { text: 'Feed closed', tone: 'neutral', pulse: false },
    failed: { text: 'Live updates unavailable', tone: 'danger', pulse: false },
  };
  const { text, tone, pulse } = look[connection];
  return (
    <Badge tone={tone} pulse={pulse} data-testid="feed-connection">
      {text}
    </Badge>
  );
}

function FailedPages({
  failures,
  total,
  onRetry,
}: {
  failures: ExportFailure[];
  total: number;
  onRetry?: (pageId: string) => void;
}) {
  return (
    <Card title={`Failed pages (${Math.max(total, failures.length)})`} description="These pages were skipped; the rest of the export is intact.">
      <ul aria-label="Failed pages" className="divide-y divide-slate-100">
        {failures.map((f) => (
          <li key={f.id} className="py-2 first:pt-0 last:pb-0">
            <p className="text-sm font-medium text-slate-900">
              {f.title || 'Untitled'} <span className="font-normal text-slate-500">({f.kind})</span>
            </p>
            <p className="mt-0.5 text-sm break-words text-red-700">{f.error ?? 'Unknown error'}</p>
            {onRetry && (
              <button
                type="button"
                className="mt-1 text-xs font-medium text-slate-700 underline hover:text-slate-900"
                onClick={() => onRetry(f.id)}
              >
                Retry this page
              </button>
            )}
          </li>
        ))}
      </ul>
      {total > failures.length && (
        <p className="mt-2 text-xs text-slate-500">{total - failures.length} more not shown.</p>
      )}
    </Card>
  );
}

const DOT: Record<ActivityEntry['tone'], string> = {
  neutral: 'bg-slate-300',
  success: 'bg-emerald-500',
  warning: 'bg-amber-500',
  danger: 'bg-red-500',
};

function ActivityLog({ entries }: { entries: ActivityEntry[] }) {
  return (
    <Card title="Activity" description="Recent events, newest first.">
      {entries.length === 0 ? (
        <p className="text-sm text-slate-500">Waiting for events…</p>
      ) : (
        // biome-ignore lint/a11y/noNoninteractiveTabindex: a scrolling list must take the focus so keyboard users can scroll it (WCAG 2.1.1).
        <ol aria-label="Activity log" tabIndex={0} className="max-h-96 space-y-1.5 overflow-y-auto pr-1 text-sm focus-visible:outline-2 focus-visible:outline-slate-500">
          {entries.map((e) => (
            <li key={e.position} className="flex items-start gap-2.5">
              <span aria-hidden="true" className={cn('mt-1.5 size-2 shrink-0 rounded-full', DOT[e.tone])} />
              <span className="min-w-0 flex-1 break-words text-slate-700">{e.text}</span>
              {e.at && <time className="shrink-0 text-xs text-slate-500 tabular-nums">{formatTime(e.at)}</time>}
            </li>
          ))}
        </ol>
      )}
    </Card>
  );
}

const ISSUE_LABELS: Record<string, string> = {
  attachment_failed: 'Attachment not saved',
  attachment_skipped: 'External link kept as a link (not a file)',
  unsupported_block: 'Block the API does not support',
  linked_database: 'Linked database (not available through the API)',
  property_incomplete: 'Property value incomplete',
};

function ExportIssues({ issues }: { issues: ExportDetail['issues'] }) {
  return (
    <Card
      title={`Report (${issues.length})`}
      description="What the export could not carry over in full; also listed in report.json."
    >
      <ul aria-label="Export issues" className="divide-y divide-slate-100">
        {issues.map((issue) => (
          <li key={`${issue.itemId}:${issue.kind}:${issue.sourceId}`} className="py-2 first:pt-0 last:pb-0">
            <p className="text-sm font-medium text-slate-900">{ISSUE_LABELS[issue.kind] ?? issue.kind}</p>
            <p className="text-xs text-slate-600">{issue.message}</p>
          </li>
        ))}
      </ul>
    </Card>
  );
}
