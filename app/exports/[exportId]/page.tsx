import type { Metadata } from 'next';
import Link from 'next/link';
import { AppHeader } from '@/components/app-header';
import { requireExport, requirePageViewer } from '@/server/page-access';
import { exportShortName } from '../_components/export-identity';
import { ExportProgress } from './_components/export-progress';

interface ExportPageProps {
  params: Promise<{ exportId: string }>;
}

export async function generateMetadata({ params }: ExportPageProps): Promise<Metadata> {
  const { exportId } = await params;
  return { title: exportShortName(exportId) };
}

export default async function ExportPage({ params }: ExportPageProps) {
  const { exportId } = await params;
  const viewer = await requirePageViewer(`/exports/${encodeURIComponent(exportId)}`);
  await requireExport(exportId);
  return (
    <>
      <AppHeader user={viewer} />
      <main className="mx-auto max-w-6xl space-y-6 px-4 py-8 sm:px-6">
        <div>
          <Link href="/" className="text-sm text-slate-500 hover:text-slate-900">
            <span aria-hidden="true">←</span> Dashboard
          </Link>
          <h1 className="mt-2 text-2xl font-bold tracking-tight text-slate-900">{exportShortName(exportId)}</h1>
          <p className="mt-1 font-mono text-xs text-slate-500">{exportId}</p>
        </div>
        <ExportProgress exportId={exportId} />
      </main>
    </>
  );
}
