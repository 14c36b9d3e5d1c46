import type { Metadata } from 'next';
import Link from 'next/link';
import { AppHeader } from '@/components/app-header';
import { requirePageViewer, roleAllows } from '@/server/page-access';
import { RetentionPanel } from './_components/retention-panel';
import { ScheduleHeading } from './_components/schedule-heading';
import { SchedulePanel } from './_components/schedule-panel';
import { SnapshotsPanel } from './_components/snapshots-panel';

interface ConnectionPageProps {
  params: Promise<{ connectionId: string }>;
}

export const metadata: Metadata = { title: 'Connection' };

/**
 * One connection: its schedule, what retention keeps, and its snapshots. Anyone signed in sees
 * them; operators change the schedule and apply retention (the procedures check the role again).
 */
export default async function ConnectionPage({ params }: ConnectionPageProps) {
  const { connectionId } = await params;
  const viewer = await requirePageViewer(`/connections/${encodeURIComponent(connectionId)}`);
  const canOperate = roleAllows(viewer.role, 'operator');
  return (
    <>
      <AppHeader user={viewer} />
      <main className="mx-auto max-w-6xl space-y-6 px-4 py-8 sm:px-6">
        <div>
          <Link href="/" className="text-sm text-slate-500 hover:text-slate-900">
            <span aria-hidden="true">←</span> Dashboard
          </Link>
          <ScheduleHeading connectionId={connectionId} />
        </div>
        <div className="grid gap-6 lg:grid-cols-2">
          <SchedulePanel connectionId={connectionId} canOperate={canOperate} />
          {canOperate && <RetentionPanel connectionId={connectionId} />}
        </div>
        <SnapshotsPanel connectionId={connectionId} />
      </main>
    </>
  );
}
