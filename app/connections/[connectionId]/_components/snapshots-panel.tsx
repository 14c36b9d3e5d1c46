'use client';

import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import Link from 'next/link';
import { useState } from 'react';
import { useTRPC } from '@/app/_trpc/client';
import type { RouterOutputs } from '@/app/_trpc/types';
import { statusLook } from '@/app/exports/_components/status-look';
import { ExportStatusBadge } from '@/components/export-status-badge';
import { formatDateTime } from '@/components/formatters';
import { Badge } from '@/components/ui/badge';
import { Button, buttonClasses } from '@/components/ui/button';
import { Card } from '@/components/ui/card';
import {
  canCompare,
  compareHref,
  describeChanges,
  describeDisk,
  describeItems,
  describeKind,
  previousComparable,
  togglePick,
} from '../snapshots/snapshot-words';

type SnapshotList = RouterOutputs['snapshots']['list'];
type SnapshotRow = SnapshotList['snapshots'][number];

export interface SnapshotsPanelProps {
  connectionId: string;
}

/**
 * The connection's snapshots, newest first: when and how each was made, what a sync changed,
 * the disk it uses (own vs shared with other snapshots), pin, download, and "what changed"
 * against the one before or between any two picked. "Sync now" for operators. Refreshes every
 * 2 s while a snapshot is being made or the disk of some is still being measured.
 */
export function SnapshotsPanel({ connectionId }: SnapshotsPanelProps) {
  const trpc = useTRPC();
  const queryClient = useQueryClient();
  const me = useQuery(trpc.me.queryOptions());
  const canOperate = me.data?.can.operate === true;
  const list = useQuery(
    trpc.snapshots.list.queryOptions({ connectionId }, { refetchInterval: (query) => (query.state.data?.busy || query.state.data?.measuring ? 2_000 : false) }),
  );
  const [picked, setPicked] = useState<string[]>([]);
  const refresh = () => queryClient.invalidateQueries(trpc.snapshots.list.queryFilter({ connectionId }));
  const syncNow = useMutation(trpc.snapshots.syncNow.mutationOptions({ onSuccess: refresh }));

  const busy = list.data?.busy === true;
  const removed = list.data?.connection.removed === true;
  const actions =
    canOperate && !removed ? (
      <Button size="sm" onClick={() => syncNow.mutate({ connectionId })} disabled={busy || syncNow.isPending || !list.data}>
        {syncNow.isPending ? 'Starting…' : busy ? 'Sync running…' : 'Sync now'}
      </Button>
    ) : null;

  return (
    <div data-testid="snapshots-panel">
      <Card
        title="Snapshots"
        description="Each sync keeps a complete copy; files that did not change are shared with the snapshot before."
        actions={actions}
      >
        {syncNow.isError && (
          <p role="alert" className="mb-3 text-sm text-red-700">
            Could not start a sync: {syncNow.error.message}
          </p>
        )}
        {list.isPending ? (
          <p className="text-sm text-slate-500">Loading snapshots…</p>
        ) : list.isError ? (
          <p role="alert" className="text-sm text-red-700">
            Could not load snapshots: {list.error.message}
          </p>
        ) : list.data.snapshots.length === 0 ? (
          <p className="text-sm text-slate-500">
            No snapshots yet.{canOperate && !removed ? ' “Sync now” makes the first one; a schedule makes them on its own.' : ''}
          </p>
        ) : (
          <>
            <ComparePicked connectionId={connectionId} snapshots={list.data.snapshots} picked={picked} onClear={() => setPicked([])} />
            <ul aria-label="Snapshots" className="-mx-5 divide-y divide-slate-100">
              {list.data.snapshots.map((snapshot, index) => (
                <SnapshotEntry
                  key={snapshot.id}
                  connectionId={connectionId}
                  snapshot={snapshot}
                  previous={previousComparable(list.data.snapshots, index)}
                  canOperate={canOperate}
                  picked={picked.includes(snapshot.id)}
                  onPick={() => setPicked((current) => togglePick(current, snapshot.id))}
                  onPinned={refresh}
                />
              ))}
            </ul>
          </>
        )}
      </Card>
    </div>
  );
}

/** The bar that compares the two snapshots picked (or says how to pick them). */
function ComparePicked({
  connectionId,
  snapshots,
  picked,
  onClear,
}: {
  connectionId: string;
  snapshots: SnapshotRow[];
  picked: string[];
  onClear(): void;
}) {
  const chosen = picked.map((id) => snapshots.find((s) => s.id === id)).filter((s): s is SnapshotRow => s !== undefined);
  const [a, b] = chosen;
  return (
    <div className="mb-3 flex flex-wrap items-center gap-3 rounded-lg bg-slate-50 px-3 py-2 text-sm text-slate-700" aria-live="polite">
      {a && b ? (
        <>
          <span>2 snapshots chosen.</span>
          <Link href={compareHref(connectionId, a, b)} className={buttonClasses({ size: 'sm' })}>
            Compare the two
          </Link>
          <Button variant="ghost" size="sm" onClick={onClear}>
            Clear
          </Button>
        </>
      ) : (
        <span>
          {chosen.length === 1 ? 'Choose one more snapshot to compare.' : 'Choose two snapshots to see what changed between them.'}
        </span>
      )}
    </div>
  );
}

function SnapshotEntry({
  connectionId,
  snapshot,
  previous,
  canOperate,
  picked,
  onPick,
  onPinned,
}: {
  connectionId: string;
  snapshot: SnapshotRow;
  previous: SnapshotRow | undefined;
  canOperate: boolean;
  picked: boolean;
  onPick(): void;
  onPinned(): void;
}) {
  const trpc = useTRPC();
  const pin = useMutation(trpc.snapshots.pin.mutationOptions({ onSuccess: onPinned }));
  const unpin = useMutation(trpc.snapshots.unpin.mutationOptions({ onSuccess: onPinned }));
  const when = formatDateTime(snapshot.finishedAt ?? snapshot.requestedAt);
  const changes = describeChanges(snapshot.changes);
  const comparable = canCompare(snapshot);
  const pinError = pin.error ?? unpin.error;
  const pinning = pin.isPending || unpin.isPending;

  return (
    <li className="px-5 py-3" data-testid="snapshot" data-snapshot-id={snapshot.id}>
      <div className="flex flex-wrap items-start justify-between gap-x-4 gap-y-2">
        <div className="flex min-w-0 items-start gap-3">
          {comparable && (
            <input
              type="checkbox"
              checked={picked}
              onChange={onPick}
              aria-label={`Choose the snapshot of ${when} to compare`}
              className="mt-1 size-4 shrink-0 rounded border-slate-400 text-slate-900 focus-visible:outline-2 focus-visible:outline-offset-2 focus-visible:outline-slate-500"
            />
          )}
          <div className="min-w-0">
            <p className="flex flex-wrap items-center gap-2 font-medium text-slate-900">
              <Link href={`/exports/${snapshot.id}`} className="hover:underline">
                {when}
              </Link>
              <ExportStatusBadge look={statusLook(snapshot.status)} />
              {snapshot.pinned && <Badge tone="info">Pinned</Badge>}
              {snapshot.latest && <Badge tone="success">Latest</Badge>}
            </p>
            <p className="mt-0.5 text-sm text-slate-600">
              {describeKind(snapshot.trigger, snapshot.mode)}
              {snapshot.requestedByUser ? ` by ${snapshot.requestedByUser}` : ''} · {describeItems(snapshot.counts)}
            </p>
            {changes && <p className="mt-0.5 text-sm text-slate-600">Changes: {changes}</p>}
            {snapshot.downloadable && (
              <p className="mt-0.5 text-sm text-slate-500">Disk: {snapshot.measuring ? 'measuring…' : describeDisk(snapshot.disk)}</p>
            )}
          </div>
        </div>
        <div className="flex flex-wrap items-center gap-2">
          {comparable && previous && (
            <Link
              href={compareHref(connectionId, previous, snapshot)}
              className={buttonClasses({ variant: 'secondary', size: 'sm' })}
              aria-label={`What changed in the snapshot of ${when}`}
            >
              What changed
            </Link>
          )}
          {comparable && (
            <a
              href={`/api/exports/${encodeURIComponent(snapshot.id)}/download`}
              download
              className={buttonClasses({ variant: 'secondary', size: 'sm' })}
              aria-label={`Download the snapshot of ${when} as zip`}
            >
              Download
            </a>
          )}
          {canOperate && snapshot.downloadable && (
            <Button
              variant="ghost"
              size="sm"
              aria-pressed={snapshot.pinned}
              aria-label={`${snapshot.pinned ? 'Unpin' : 'Pin'} the snapshot of ${when}`}
              disabled={pinning}
              onClick={() => (snapshot.pinned ? unpin : pin).mutate({ connectionId, id: snapshot.id })}
            >
              {snapshot.pinned ? 'Unpin' : 'Pin'}
            </Button>
          )}
        </div>
      </div>
      {pinError && (
        <p role="alert" className="mt-2 text-sm text-red-700">
          Could not change the pin: {pinError.message}
        </p>
      )}
    </li>
  );
}
