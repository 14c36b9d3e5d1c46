import type { Metadata } from 'next';
import { AppHeader } from '@/components/app-header';
import { SetupForm } from './_components/setup-form';

export const metadata: Metadata = { title: 'Set up' };

/**
 * The first admin, made with the one-time link the server prints at start-up while no admin
 * exists. The form's POST (/api/setup) checks the token; without a valid one nothing is made.
 */
export default async function SetupPage({ searchParams }: { searchParams: Promise<{ token?: string | string[] }> }) {
  const { token } = await searchParams;
  return (
    <>
      <AppHeader />
      <main className="mx-auto max-w-sm px-4 py-12">
        <h1 className="text-2xl font-bold tracking-tight text-slate-900">Create the first admin</h1>
        {typeof token === 'string' && token !== '' ? (
          <SetupForm token={token} />
        ) : (
          <p role="alert" className="mt-4 text-sm text-slate-600">
            Open the one-time setup link the server printed when it started (or set ADMIN_EMAIL and ADMIN_PASSWORD).
          </p>
        )}
      </main>
    </>
  );
}
