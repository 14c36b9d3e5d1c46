import { QueryClient, QueryClientProvider } from '@tanstack/react-query';
import { createTRPCClient, httpBatchLink } from '@trpc/client';
import { createTRPCOptionsProxy } from '@trpc/tanstack-react-query';
import { type ComponentProps, createElement, type ReactElement } from 'react';
import { renderToString } from 'react-dom/server';
import { describe, expect, it } from 'vitest';
import { TRPCProvider } from '@/app/_trpc/client';
import type { RouterInputs, RouterOutputs } from '@/app/_trpc/types';
import type { AppRouter } from '@/server/api/root';
import { SnapshotsCompare } from '../_components/snapshots-compare';
import { SnapshotsHistory } from '../_components/snapshots-history';
import { SnapshotsPanel } from '../_components/snapshots-panel';

/**
 * The snapshot views rendered as the server renders them, from answers already in the query cache
 * (no request is made: the client points nowhere): what each state shows, and that changes carry
 * signs and words, not colour alone.
 */

const client = createTRPCClient<AppRouter>({ links: [httpBatchLink({ url: 'http://127.0.0.1:9/api/trpc' })] });

function render(element: ReactElement, seed: (trpc: ReturnType<typeof createTRPCOptionsProxy<AppRouter>>, queryClient: QueryClient) => void): string {
  const queryClient = new QueryClient({ defaultOptions: { queries: { staleTime: Number.POSITIVE_INFINITY, retry: false } } });
  seed(createTRPCOptionsProxy<AppRouter>({ client, queryClient }), queryClient);
  return renderToString(
    createElement(QueryClientProvider, { client: queryClient }, createElement(TRPCProvider, { trpcClient: client, queryClient } as ComponentProps<typeof TRPCProvider>, element)),
  );
}

const text = (html: string) => html.replace(/<[^>]+>/g, '').replace(/&#x27;/g, "'").replace(/&amp;/g, '&').replace(/&quot;/g, '"');

const me: RouterOutputs['me'] = { id: 'u', email: 'op@example.test', name: 'Op', role: 'operator', can: { operate: true, administer: false } };
const at = (day: number) => `2026-11-0${day}T08:00:00.000Z`;

function snapshot(id: string, day: number, more: Partial<RouterOutputs['snapshots']['list']['snapshots'][number]> = {}) {
  return {
    id,
    status: 'completed' as const,
    mode: 'sync' as const,
    trigger: 'schedule' as const,
    baselineExportId: null,
    requestedAt: at(day),
    requestedByUser: null,
    finishedAt: at(day),
    pinned: false,
    formats: ['markdown'],
    counts: { pages: 3, databases: 1, skipped: 0, failed: 0, files: 4, bytes: 100 },
    pagesFailed: 0,
    changes: { added: 1, updated: 2, moved: 0, removed: 0, titles: { added: ['New'], updated: ['A', 'B'], moved: [], removed: [] } },
    downloadable: true,
    available: true,
    disk: { ownBytes: 2048, sharedBytes: 10_240, files: 4, complete: true },
    measuring: false,
    latest: false,
    ...more,
  } as unknown as RouterOutputs['snapshots']['list']['snapshots'][number];
}

describe('the snapshots panel', () => {
  const input: RouterInputs['snapshots']['list'] = { connectionId: 'c1' };

  it('lists each snapshot with how it was made, its changes, own vs shared disk, and its controls named for it', () => {
    const html = render(createElement(SnapshotsPanel, { connectionId: 'c1' }), (trpc, qc) => {
      qc.setQueryData(trpc.me.queryKey(), me);
      qc.setQueryData(trpc.snapshots.list.queryKey(input), {
        connection: { id: 'c1', name: 'Team', workspaceName: 'Acme', removed: false },
        busy: false,
        snapshots: [
          snapshot('s3', 3, { status: 'running', downloadable: false, disk: null, changes: null }),
          snapshot('s2', 2, { latest: true, pinned: true }),
          snapshot('s1', 1, { mode: 'full', trigger: 'manual', changes: null }),
          snapshot('s0', 1, { disk: null, measuring: true, changes: null }),
        ],
      } as unknown as RouterOutputs['snapshots']['list']);
    });
    const words = text(html);
    expect(words).toContain('Scheduled sync · 3 pages · 1 database');
    expect(words).toContain('Manual full export');
    expect(words).toContain('Changes: 1 added · 2 edited');
    expect(words).toContain('Disk: 2.0 KB own · 10 KB shared');
    expect(words).toContain('Choose two snapshots to see what changed between them.');
    expect(html).toContain('href="/api/exports/s2/download"');
    expect(html).toContain('href="/connections/c1/snapshots/compare?from=s1&amp;to=s2"');
    expect(html).toMatch(/aria-pressed="true"[^>]*aria-label="Unpin the snapshot of /);
    expect(html).toMatch(/aria-label="Choose the snapshot of [^"]+ to compare"/);
    expect(words).toContain('Disk: measuring…');
    expect(words).toContain('Running');
    expect(html).not.toContain('href="/api/exports/s3/download"');
    expect(words).toContain('Sync now');
  });

  it('says when there is none yet, and while loading', () => {
    const empty = render(createElement(SnapshotsPanel, { connectionId: 'c1' }), (trpc, qc) => {
      qc.setQueryData(trpc.me.queryKey(), me);
      qc.setQueryData(trpc.snapshots.list.queryKey(input), {
        connection: { id: 'c1', name: 'Team', workspaceName: null, removed: false },
        busy: false,
        snapshots: [],
      } as unknown as RouterOutputs['snapshots']['list']);
    });
    expect(text(empty)).toContain('No snapshots yet. “Sync now” makes the first one');
    expect(text(render(createElement(SnapshotsPanel, { connectionId: 'c1' }), () => {}))).toContain('Loading snapshots…');
  });
});

describe('what changed', () => {
  const input = { connectionId: 'c1', from: 's1', to: 's2' };
  const diff = {
    from: { id: 's1', at: at(1) },
    to: { id: 's2', at: at(2) },
    counts: { added: 1, removed: 1, moved: 1, edited: 1 },
    added: [{ id: 'p5', kind: 'page', title: 'New', path: 'New.md' }],
    removed: [{ id: 'p3', kind: 'page', title: 'Old', path: 'Old.md' }],
    moved: [{ id: 'p4', kind: 'page', title: 'Moving', path: 'Moving.md', fromFolder: 'Home', toFolder: '', fromParent: 'Home', toParent: null }],
    edited: [{ id: 'p2', kind: 'page', title: 'Notes', path: 'Notes.md', renamedFrom: 'Draft', files: [{ path: 'Notes.md', change: 'changed' }], diffable: true }],
    truncated: false,
  } as unknown as RouterOutputs['snapshots']['diff'];

  it('lists each kind of change under its heading with a sign, the move in words, and a button for the diff', () => {
    const html = render(createElement(SnapshotsCompare, input), (trpc, qc) => qc.setQueryData(trpc.snapshots.diff.queryKey(input), diff));
    const words = text(html);
    expect(words).toContain('1 added, 1 removed, 1 moved, 1 edited.');
    expect(words).toContain('+Added (1)');
    expect(words).toContain('−Removed (1)');
    expect(words).toContain('From under “Home” to the top');
    expect(words).toContain('Renamed from “Draft”');
    expect(words).toContain('Notes.md (changed)');
    expect(words).toContain('Show changes of Notes');
    expect(html).toContain('aria-expanded="false"');
    expect(html).toContain('href="/connections/c1/snapshots/history?item=p2"');
  });

  it('says so when nothing changed, and shows the error when the comparison is refused', () => {
    const none = { ...diff, counts: { added: 0, removed: 0, moved: 0, edited: 0 }, added: [], removed: [], moved: [], edited: [] };
    expect(text(render(createElement(SnapshotsCompare, input), (trpc, qc) => qc.setQueryData(trpc.snapshots.diff.queryKey(input), none)))).toContain(
      'nothing changed.',
    );
    expect(text(render(createElement(SnapshotsCompare, input), () => {}))).toContain('Comparing the snapshots…');
  });
});

describe('a page’s history', () => {
  it('lists its versions with their changes in words and a way to see each change', () => {
    const input = { connectionId: 'c1', itemId: 'p1' };
    const history = {
      id: 'p1',
      kind: 'page',
      title: 'Notes',
      snapshots: 3,
      versions: [
        { exportId: 's3', at: at(3), changes: ['edited', 'moved'], title: 'Notes', path: 'Home/Notes.md', previousExportId: 's1', comparable: true },
        { exportId: 's2', at: at(2), changes: ['removed'], title: 'Notes', path: null, previousExportId: 's1', comparable: false },
        { exportId: 's1', at: at(1), changes: ['added'], title: 'Notes', path: 'Notes.md', previousExportId: null, comparable: false },
      ],
    } as unknown as RouterOutputs['snapshots']['history'];
    const words = text(render(createElement(SnapshotsHistory, input), (trpc, qc) => qc.setQueryData(trpc.snapshots.history.queryKey(input), history)));
    expect(words).toContain('3 versions of this page across 3 snapshots.');
    expect(words).toContain('Edited, Moved');
    expect(words).toContain('First seen');
    expect(words).toContain('The snapshot before is no longer on this server to compare with.');
    expect(words.match(/Show changes/g)).toHaveLength(1);
  });
});
