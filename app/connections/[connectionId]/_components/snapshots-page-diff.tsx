'use client';

import { useQuery } from '@tanstack/react-query';
import { useId, useState } from 'react';
import { useTRPC } from '@/app/_trpc/client';
import type { RouterOutputs } from '@/app/_trpc/types';
import { Button } from '@/components/ui/button';

type PageDiff = RouterOutputs['snapshots']['pageDiff'];
type DiffLine = PageDiff['hunks'][number]['lines'][number];

/** How each kind of line looks and is read: colour AND a sign, and words for screen readers. */
const LINE_LOOK: Record<DiffLine['sign'], { className: string; sign: string; spoken: string }> = {
  '+': { className: 'bg-emerald-50 text-emerald-900', sign: '+', spoken: 'Added: ' },
  '-': { className: 'bg-red-50 text-red-900', sign: '−', spoken: 'Removed: ' },
  ' ': { className: 'text-slate-600', sign: ' ', spoken: '' },
};

export interface PageDiffToggleProps {
  connectionId: string;
  from: string;
  to: string;
  itemId: string;
  title: string;
}

/** A button that shows (and loads, the first time) the line diff of one item's document between two snapshots. */
export function PageDiffToggle({ connectionId, from, to, itemId, title }: PageDiffToggleProps) {
  const [open, setOpen] = useState(false);
  const regionId = useId();
  return (
    <div className="mt-2">
      <Button variant="secondary" size="sm" aria-expanded={open} aria-controls={regionId} onClick={() => setOpen((o) => !o)}>
        {open ? 'Hide changes' : 'Show changes'}
        <span className="sr-only"> of {title}</span>
      </Button>
      <div id={regionId} hidden={!open}>
        {open && <PageDiffView connectionId={connectionId} from={from} to={to} itemId={itemId} />}
      </div>
    </div>
  );
}

function PageDiffView({ connectionId, from, to, itemId }: Omit<PageDiffToggleProps, 'title'>) {
  const trpc = useTRPC();
  const diff = useQuery(trpc.snapshots.pageDiff.queryOptions({ connectionId, from, to, itemId }, { staleTime: Number.POSITIVE_INFINITY }));
  if (diff.isPending) return <p className="mt-2 text-sm text-slate-500">Loading the changes…</p>;
  if (diff.isError) {
    return (
      <p role="alert" className="mt-2 text-sm text-red-700">
        Could not load the changes: {diff.error.message}
      </p>
    );
  }
  const { hunks, added, removed, note, fromPath, toPath } = diff.data;
  return (
    <div className="mt-2 space-y-2" data-testid="page-diff">
      <p className="text-sm text-slate-600">
        <span className="font-medium text-emerald-800">+{added.toLocaleString()} added</span>
        {' · '}
        <span className="font-medium text-red-800">−{removed.toLocaleString()} removed</span>
        {(fromPath ?? toPath) && <span className="wrap-anywhere text-slate-500"> · {toPath ?? fromPath}</span>}
      </p>
      {note && <p className="text-sm text-amber-800">{note}</p>}
      {hunks.length === 0 && !note && <p className="text-sm text-slate-500">The text of this document did not change.</p>}
      {hunks.map((hunk) => (
        <div key={`${hunk.oldStart}:${hunk.newStart}`} className="overflow-hidden rounded-lg ring-1 ring-slate-200">
          <p className="bg-slate-100 px-3 py-1 font-mono text-xs text-slate-600">
            Lines {hunk.oldStart}–{hunk.oldStart + Math.max(0, hunk.oldLines - 1)} before, {hunk.newStart}–{hunk.newStart + Math.max(0, hunk.newLines - 1)}{' '}
            after
          </p>
          <ol className="font-mono text-xs leading-5">
            {hunk.lines.map((line, i) => {
              const look = LINE_LOOK[line.sign];
              return (
                // Lines of a hunk have no identity but their place.
                // biome-ignore lint/suspicious/noArrayIndexKey: the list never reorders
                <li key={i} className={`flex gap-2 px-3 ${look.className}`}>
                  <span aria-hidden="true" className="w-3 shrink-0 select-none">
                    {look.sign}
                  </span>
                  <span className="min-w-0 whitespace-pre-wrap wrap-anywhere">
                    {look.spoken && <span className="sr-only">{look.spoken}</span>}
                    {line.text === '' ? '\u00a0' : line.text}
                  </span>
                </li>
              );
            })}
          </ol>
        </div>
      ))}
    </div>
  );
}
