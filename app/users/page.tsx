import type { Metadata } from 'next';
import { AppHeader } from '@/components/app-header';
import { requirePageViewer } from '@/server/page-access';
import { UsersPanel } from './_components/users-panel';

export const metadata: Metadata = { title: 'Users' };

export default async function UsersPage() {
  const viewer = await requirePageViewer('/users', 'admin');
  return (
    <>
      <AppHeader user={viewer} />
      <main className="mx-auto max-w-4xl space-y-6 px-4 py-8 sm:px-6">
        <div>
          <h1 className="text-2xl font-bold tracking-tight text-slate-900">Users</h1>
          <p className="mt-1 text-sm text-slate-500">
            Viewers see exports and download them; operators also start, pause, resume, cancel and retry them; admins also manage
            users, connections and settings.
          </p>
        </div>
        <UsersPanel />
      </main>
    </>
  );
}
