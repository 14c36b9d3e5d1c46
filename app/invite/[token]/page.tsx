import type { Metadata } from 'next';
import { AppHeader } from '@/components/app-header';
import { AcceptInviteForm } from './_components/accept-invite-form';

/** The address holds the invite's token: no referrer carries it to another site, and no search engine keeps it. */
export const metadata: Metadata = { title: 'Accept your invite', referrer: 'no-referrer', robots: { index: false, follow: false } };

/**
 * Public: the invite link an admin sent. The token in the address is what lets the person in; the
 * form checks it (invites.check), makes the account (invites.accept) and signs them in.
 */
export default async function InvitePage({ params }: { params: Promise<{ token: string }> }) {
  const { token } = await params;
  return (
    <>
      <AppHeader />
      <main className="mx-auto max-w-sm px-4 py-12">
        <h1 className="text-2xl font-bold tracking-tight text-slate-900">Join Notion Sync</h1>
        <AcceptInviteForm token={token} />
      </main>
    </>
  );
}
