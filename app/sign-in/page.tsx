import type { Metadata } from 'next';
import { redirect } from 'next/navigation';
import { AppHeader } from '@/components/app-header';
import { currentViewer, safeNext, singleSignOnOffer } from '@/server/page-access';
import { SignInForm } from './_components/sign-in-form';
import { SingleSignOnButton } from './_components/single-sign-on-button';
import { singleSignOnErrorMessage } from './_components/single-sign-on-error';

export const metadata: Metadata = { title: 'Sign in' };

export default async function SignInPage({ searchParams }: { searchParams: Promise<{ next?: string | string[]; error?: string | string[] }> }) {
  const params = await searchParams;
  const next = safeNext(params.next);
  if (await currentViewer()) redirect(next);
  const sso = await singleSignOnOffer();
  // Single sign-on sends people back here with `error` when it refused them.
  const refusal = sso && singleSignOnErrorMessage(typeof params.error === 'string' ? params.error : undefined, sso.displayName);
  return (
    <>
      <AppHeader />
      <main className="mx-auto max-w-sm px-4 py-12">
        <h1 className="text-2xl font-bold tracking-tight text-slate-900">Sign in</h1>
        <p className="mt-1 text-sm text-slate-500">
          {sso
            ? `With your ${sso.displayName} account, or the email and password an admin gave you; there is no sign-up.`
            : 'An admin gives you your email and password; there is no sign-up.'}
        </p>
        {refusal && (
          <p role="alert" className="mt-6 rounded-lg bg-red-50 px-3 py-2 text-sm text-red-700">
            {refusal}
          </p>
        )}
        {sso && (
          <>
            <SingleSignOnButton providerId={sso.providerId} displayName={sso.displayName} next={next} />
            <div className="mt-6 flex items-center gap-3 text-sm text-slate-500">
              <span aria-hidden="true" className="h-px flex-1 bg-slate-200" />
              or with your email
              <span aria-hidden="true" className="h-px flex-1 bg-slate-200" />
            </div>
          </>
        )}
        <SignInForm next={next} />
      </main>
    </>
  );
}
