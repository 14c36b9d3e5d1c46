import type { Metadata } from 'next';
import Link from 'next/link';
import { AppHeader } from '@/components/app-header';

export const metadata: Metadata = { title: 'Not found' };

/** Any unknown page, and an export that does not exist: the app's own 404, with its header. */
export default function NotFound() {
  return (
    <>
      <AppHeader />
      <main className="mx-auto max-w-6xl px-4 py-16 sm:px-6">
        <p className="text-sm font-semibold text-slate-600">404</p>
        <h1 className="mt-2 text-2xl font-bold tracking-tight text-slate-900">Nothing here</h1>
        <p className="mt-2 text-slate-700">This page or export does not exist (an export that was deleted or cancelled keeps no page).</p>
        <Link href="/" className="mt-6 inline-block rounded-lg bg-slate-900 px-4 py-2 text-sm font-medium text-white hover:bg-slate-700">
          Back to the dashboard
        </Link>
      </main>
    </>
  );
}
