'use client';

import { useQuery } from '@tanstack/react-query';
import Link from 'next/link';
import type { ReactNode } from 'react';
import { useTRPC } from '@/app/_trpc/client';
import type { RouterOutputs } from '@/app/_trpc/types';
import { formatDateTime } from '@/components/formatters';
import { Card } from '@/components/ui/card';
import { historyHref } from '../snapshots/snapshot-words';
import { PageDiffToggle } from './snapshots-page-diff';

type SnapshotDiff = RouterOutputs['snapshots']['diff'];
type Entry = SnapshotDiff['added'][number];

export interface SnapshotsCompareProps {
  connectionId: string;
  from: string;
  to: string;
}

/** The folder as people read it: the top of the export, or its path. */
const folderWords = (folder: string) => (folder === '' ? 'the top' : folder);

/** What changed between two snapshots: the pages and databases added, removed, moved and edited, each edited one with its diff. */
export function SnapshotsCompare({ connectionId, from, to }: SnapshotsCompareProps) {
  const trpc = useTRPC();
  const diff = useQuery(trpc.snapshots.diff.queryOptions({ connectionId, from, to }, { staleTime: Number.POSITIVE_INFINITY }));
  const back = (
    <Link href={`/connections/${encodeURIComponent(connectionId)}`} className="text-sm text-slate-600 hover:text-slate-900">
      <span aria-hidden="true">←</span> Back to the connection
    </Link>
  );
  if (diff.isPending) {
    return (
      <>
        {back}
        <Card>
          <p className="text-sm text-slate-500">Comparing the snapshots…</p>
        </Card>
      </>
    );
  }
  if (diff.isError) {
    return (
      <>
        {back}
        <Card>
          <p role="alert" className="text-sm text-red-700">
            Could not compare these snapshots: {diff.error.message}
          </p>
        </Card>
      </>
    );
  }
  const { counts, truncated } = diff.data;
  const total = counts.added + counts.removed + counts.moved + counts.edited;
  const history = (entry: Entry) => (
    <Link href={historyHref(connectionId, entry.id)} className="text-sm font-medium text-slate-700 underline hover:text-slate-900">
      History<span className="sr-only"> of {entry.title}</span>
    </Link>
  );
  return (
    <>
      {back}
      <Card>
        <p className="text-sm text-slate-700">
          From the snapshot of <strong className="font-semibold">{formatDateTime(diff.data.from.at)}</strong> to the snapshot of{' '}
          <strong className="font-semibold">{formatDateTime(diff.data.to.at)}</strong>:{' '}
          {total === 0 ? 'nothing changed.' : `${counts.added} added, ${counts.removed} removed, ${counts.moved} moved, ${counts.edited} edited.`}
        </p>
        {truncated && <p className="mt-1 text-sm text-amber-800">Each list shows its first 500 items; download both snapshots to see everything.</p>}
      </Card>
      {total > 0 && (
        <>
          <ChangeSection title="Added" sign="+" count={counts.added} tone="text-emerald-800">
            {diff.data.added.map((entry) => (
              <ChangeItem key={entry.id} entry={entry} sign="+" tone="text-emerald-800" extra={history(entry)} />
            ))}
          </ChangeSection>
          <ChangeSection title="Removed" sign="−" count={counts.removed} tone="text-red-800">
            {diff.data.removed.map((entry) => (
              <ChangeItem key={entry.id} entry={entry} sign="−" tone="text-red-800" extra={history(entry)} />
            ))}
          </ChangeSection>
          <ChangeSection title="Moved" sign="→" count={counts.moved} tone="text-blue-800">
            {diff.data.moved.map((entry) => (
              <ChangeItem key={entry.id} entry={entry} sign="→" tone="text-blue-800" extra={history(entry)}>
                <p className="text-sm text-slate-600 wrap-anywhere">
                  From {entry.fromParent ? `under “${entry.fromParent}”` : folderWords(entry.fromFolder)} to{' '}
                  {entry.toParent ? `under “${entry.toParent}”` : folderWords(entry.toFolder)}
                </p>
              </ChangeItem>
            ))}
          </ChangeSection>
          <ChangeSection title="Edited" sign="±" count={counts.edited} tone="text-amber-800">
            {diff.data.edited.map((entry) => (
              <ChangeItem key={entry.id} entry={entry} sign="±" tone="text-amber-800" extra={history(entry)}>
                {entry.renamedFrom !== null && <p className="text-sm text-slate-600">Renamed from “{entry.renamedFrom}”</p>}
                <p className="text-sm text-slate-500 wrap-anywhere">
                  {entry.files.map((f) => `${f.path} (${f.change})`).join(', ') || 'Only its title changed'}
                </p>
                {entry.diffable && <PageDiffToggle connectionId={connectionId} from={from} to={to} itemId={entry.id} title={entry.title} />}
              </ChangeItem>
            ))}
          </ChangeSection>
        </>
      )}
    </>
  );
}

function ChangeSection({ title, sign, count, tone, children }: { title: string; sign: string; count: number; tone: string; children: ReactNode }) {
  if (count === 0) return null;
  return (
    <Card
      title={
        <span>
          <span aria-hidden="true" className={`mr-2 font-mono ${tone}`}>
            {sign}
          </span>
          {title} ({count.toLocaleString()})
        </span>
      }
    >
      <ul aria-label={title} className="-mx-5 -my-4 divide-y divide-slate-100">
        {children}
      </ul>
    </Card>
  );
}

function ChangeItem({ entry, sign, tone, extra, children }: { entry: Entry; sign: string; tone: string; extra?: ReactNode; children?: ReactNode }) {
  return (
    <li className="px-5 py-3" data-testid="changed-item">
      <div className="flex flex-wrap items-baseline justify-between gap-x-4 gap-y-1">
        <p className="min-w-0 font-medium text-slate-900 wrap-anywhere">
          <span aria-hidden="true" className={`mr-2 font-mono ${tone}`}>
            {sign}
          </span>
          {entry.title}
          {entry.kind === 'database' && <span className="ml-2 text-xs font-normal text-slate-500">database</span>}
        </p>
        {extra}
      </div>
      {entry.path && <p className="text-xs text-slate-500 wrap-anywhere">{entry.path}</p>}
      {children}
    </li>
  );
}
