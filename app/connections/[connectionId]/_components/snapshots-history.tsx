'use client';

import { useQuery } from '@tanstack/react-query';
import Link from 'next/link';
import { useTRPC } from '@/app/_trpc/client';
import type { RouterOutputs } from '@/app/_trpc/types';
import { formatDateTime } from '@/components/formatters';
import { Card } from '@/components/ui/card';
import { PageDiffToggle } from './snapshots-page-diff';

type PageVersion = RouterOutputs['snapshots']['history']['versions'][number];

const CHANGE_WORDS: Record<PageVersion['changes'][number], string> = {
  added: 'First seen',
  edited: 'Edited',
  moved: 'Moved',
  renamed: 'Renamed',
  removed: 'Removed',
  restored: 'Back again',
};

export interface SnapshotsHistoryProps {
  connectionId: string;
  itemId: string;
}

/** One page's versions across the connection's snapshots, newest first, each with its changes against the version before. */
export function SnapshotsHistory({ connectionId, itemId }: SnapshotsHistoryProps) {
  const trpc = useTRPC();
  const history = useQuery(trpc.snapshots.history.queryOptions({ connectionId, itemId }));
  const back = (
    <Link href={`/connections/${encodeURIComponent(connectionId)}`} className="text-sm text-slate-600 hover:text-slate-900">
      <span aria-hidden="true">←</span> Back to the connection
    </Link>
  );
  if (history.isPending) {
    return (
      <>
        {back}
        <Card>
          <p className="text-sm text-slate-500">Loading the page’s history…</p>
        </Card>
      </>
    );
  }
  if (history.isError) {
    return (
      <>
        {back}
        <Card>
          <p role="alert" className="text-sm text-red-700">
            Could not load this page’s history: {history.error.message}
          </p>
        </Card>
      </>
    );
  }
  const { title, kind, snapshots, versions } = history.data;
  return (
    <>
      {back}
      <Card
        title={<span className="wrap-anywhere">{title}</span>}
        description={`${versions.length} ${versions.length === 1 ? 'version' : 'versions'} of this ${kind} across ${snapshots} ${snapshots === 1 ? 'snapshot' : 'snapshots'}.`}
      >
        <ol aria-label="Versions" className="-mx-5 -my-4 divide-y divide-slate-100">
          {versions.map((version) => (
            <li key={`${version.exportId}:${version.changes.join()}`} className="px-5 py-3" data-testid="page-version">
              <p className="flex flex-wrap items-baseline gap-x-3 font-medium text-slate-900">
                <Link href={`/exports/${encodeURIComponent(version.exportId)}`} className="hover:underline">
                  {formatDateTime(version.at)}
                </Link>
                <span className="text-sm font-normal text-slate-600">{version.changes.map((c) => CHANGE_WORDS[c]).join(', ')}</span>
              </p>
              <p className="text-sm text-slate-600 wrap-anywhere">
                {version.title}
                {version.path && <span className="text-slate-500"> · {version.path}</span>}
              </p>
              {version.previousExportId !== null &&
                (version.comparable ? (
                  <>
                    <PageDiffToggle connectionId={connectionId} from={version.previousExportId} to={version.exportId} itemId={itemId} title={version.title} />
                    <Link
                      href={`/connections/${encodeURIComponent(connectionId)}/snapshots/compare?from=${encodeURIComponent(version.previousExportId)}&to=${encodeURIComponent(version.exportId)}`}
                      className="mt-2 inline-block text-sm font-medium text-slate-700 underline hover:text-slate-900"
                    >
                      Everything that changed between the two snapshots
                    </Link>
                  </>
                ) : (
                  <p className="mt-1 text-sm text-slate-500">The snapshot before is no longer on this server to compare with.</p>
                ))}
            </li>
          ))}
        </ol>
      </Card>
    </>
  );
}
