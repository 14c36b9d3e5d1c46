import type { Metadata } from 'next';
import { PageLayout } from '@/components/page-layout';
import { requirePageViewer } from '@/server/page-access';
import { AuditLog } from './_components/audit-log';

export const metadata: Metadata = { title: 'Audit log' };

export default async function AuditPage() {
  const viewer = await requirePageViewer('/audit', 'admin');
  return (
    <PageLayout
      user={viewer}
      width="5xl"
      title="Audit log"
      description="Who did what and when, from which address: sign-ins, exports, connections, people and settings. Newest first."
    >
      <AuditLog />
    </PageLayout>
  );
}
