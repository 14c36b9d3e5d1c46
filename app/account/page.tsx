import type { Metadata } from 'next';
import { AppHeader } from '@/components/app-header';
import { requirePageViewer } from '@/server/page-access';
import { AccountForms } from './_components/account-forms';

export const metadata: Metadata = { title: 'Account' };

export default async function AccountPage() {
  const viewer = await requirePageViewer('/account');
  return (
    <>
      <AppHeader user={viewer} />
      <main className="mx-auto max-w-xl space-y-6 px-4 py-8 sm:px-6">
        <div>
          <h1 className="text-2xl font-bold tracking-tight text-slate-900">Account</h1>
          <p className="mt-1 text-sm text-slate-500">
            {viewer.email} · {viewer.role ?? 'no role'}
          </p>
        </div>
        <AccountForms />
      </main>
    </>
  );
}
