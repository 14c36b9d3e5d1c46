import type { Metadata } from 'next';
import { AppHeader } from '@/components/app-header';
import { requirePageViewer } from '@/server/page-access';
import { AuditLog } from './_components/audit-log';

export const metadata: Metadata = { title: 'Audit log' };

export default async function AuditPage() {
  const viewer = await requirePageViewer('/audit', 'admin');
  return (
    <>
      <AppHeader user={viewer} />
      <main className="mx-auto max-w-5xl space-y-6 px-4 py-8 sm:px-6">
        <div>
          <h1 className="text-2xl font-bold tracking-tight text-slate-900">Audit log</h1>
          <p className="mt-1 text-sm text-slate-500">
            Who did what and when, from which address: sign-ins, exports, connections, people and settings. Newest first.
          </p>
        </div>
        <AuditLog />
      </main>
    </>
  );
}
