import type { Metadata } from 'next';
import { PageLayout } from '@/components/page-layout';
import { requirePageViewer } from '@/server/page-access';
import { SnapshotsHistory } from '../../_components/snapshots-history';

export const metadata: Metadata = { title: 'Page history' };

interface HistoryPageProps {
  params: Promise<{ connectionId: string }>;
  searchParams: Promise<{ item?: string | string[] }>;
}

/** `/connections/<id>/snapshots/history?item=<page id>`: a page's versions across the connection's snapshots. */
export default async function SnapshotsHistoryPage({ params, searchParams }: HistoryPageProps) {
  const { connectionId } = await params;
  const { item } = await searchParams;
  const itemId = (Array.isArray(item) ? item[0] : item) ?? '';
  const viewer = await requirePageViewer(`/connections/${encodeURIComponent(connectionId)}/snapshots/history?item=${encodeURIComponent(itemId)}`);
  return (
    <PageLayout user={viewer} width="5xl" title="Page history" description="Its versions across this connection’s snapshots, newest first.">
      {itemId ? (
        <SnapshotsHistory connectionId={connectionId} itemId={itemId} />
      ) : (
        <p role="alert" className="text-sm text-red-700">
          Open a page’s history from “What changed”.
        </p>
      )}
    </PageLayout>
  );
}
