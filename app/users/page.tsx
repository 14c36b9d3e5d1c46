import type { Metadata } from 'next';
import { PageLayout } from '@/components/page-layout';
import { requirePageViewer } from '@/server/page-access';
import { UsersPanel } from './_components/users-panel';

export const metadata: Metadata = { title: 'Users' };

export default async function UsersPage() {
  const viewer = await requirePageViewer('/users', 'admin');
  return (
    <PageLayout
      user={viewer}
      width="4xl"
      title="Users"
      description="Viewers see exports and download them; operators also start, pause, resume, cancel and retry them; admins also manage users, connections and settings."
    >
      <UsersPanel />
    </PageLayout>
  );
}
