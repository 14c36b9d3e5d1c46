import type { Metadata } from 'next';
import { PageLayout } from '@/components/page-layout';
import { requirePageViewer } from '@/server/page-access';
import { SystemView } from './_components/system-view';

export const metadata: Metadata = { title: 'System' };

/** Operators and admins: they act on what it shows (the procedures check the role again). */
export default async function SystemPage() {
  const viewer = await requirePageViewer('/system', 'operator');
  return (
    <PageLayout
      user={viewer}
      title="System"
      description="This dashboard process, live: requests to Notion against the budget, latency, pages exported, the queue, memory and event-loop lag; the health of each part; what is worth an alert."
    >
      <SystemView />
    </PageLayout>
  );
}
