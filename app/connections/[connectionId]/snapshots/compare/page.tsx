import type { Metadata } from 'next';
import { PageLayout } from '@/components/page-layout';
import { requirePageViewer } from '@/server/page-access';
import { SnapshotsCompare } from '../../_components/snapshots-compare';

export const metadata: Metadata = { title: 'What changed' };

interface ComparePageProps {
  params: Promise<{ connectionId: string }>;
  searchParams: Promise<{ from?: string | string[]; to?: string | string[] }>;
}

/** The one value of a query parameter (the first when it is repeated). */
const one = (value: string | string[] | undefined) => (Array.isArray(value) ? value[0] : value) ?? '';

/** `/connections/<id>/snapshots/compare?from=<snapshot>&to=<snapshot>`: what changed between two snapshots. */
export default async function SnapshotsComparePage({ params, searchParams }: ComparePageProps) {
  const { connectionId } = await params;
  const query = await searchParams;
  const from = one(query.from);
  const to = one(query.to);
  const path = `/connections/${encodeURIComponent(connectionId)}/snapshots/compare?from=${encodeURIComponent(from)}&to=${encodeURIComponent(to)}`;
  const viewer = await requirePageViewer(path);
  return (
    <PageLayout user={viewer} width="5xl" title="What changed" description="The pages and databases added, removed, moved and edited between two snapshots.">
      {from && to ? (
        <SnapshotsCompare connectionId={connectionId} from={from} to={to} />
      ) : (
        <p role="alert" className="text-sm text-red-700">
          Choose two snapshots to compare on the connection’s page.
        </p>
      )}
    </PageLayout>
  );
}
