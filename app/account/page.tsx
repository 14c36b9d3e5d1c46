import type { Metadata } from 'next';
import { PageLayout } from '@/components/page-layout';
import { requirePageViewer } from '@/server/page-access';
import { AccountForms } from './_components/account-forms';

export const metadata: Metadata = { title: 'Account' };

export default async function AccountPage() {
  const viewer = await requirePageViewer('/account');
  return (
    <PageLayout user={viewer} width="xl" title="Account" description={`${viewer.email} · ${viewer.role ?? 'no role'}`}>
      <AccountForms />
    </PageLayout>
  );
}
