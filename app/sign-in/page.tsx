import type { Metadata } from 'next';
import { redirect } from 'next/navigation';
import { AppHeader } from '@/components/app-header';
import { currentViewer, safeNext } from '@/server/page-access';
import { SignInForm } from './_components/sign-in-form';

export const metadata: Metadata = { title: 'Sign in' };

export default async function SignInPage({ searchParams }: { searchParams: Promise<{ next?: string | string[] }> }) {
  const next = safeNext((await searchParams).next);
  if (await currentViewer()) redirect(next);
  return (
    <>
      <AppHeader />
      <main className="mx-auto max-w-sm px-4 py-12">
        <h1 className="text-2xl font-bold tracking-tight text-slate-900">Sign in</h1>
        <p className="mt-1 text-sm text-slate-500">An admin gives you your email and password; there is no sign-up.</p>
        <SignInForm next={next} />
      </main>
    </>
  );
}
