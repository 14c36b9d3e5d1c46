import Link from 'next/link';
import { SignOutButton } from './sign-out-button';

/** Who is signed in, as the header shows them. */
export interface HeaderUser {
  name: string;
  email: string;
  role: string | null;
}

/**
 * Top bar shared by every page; with a user, their name and role, links to their account (System for operators and admins,
 * Users and Audit for admins), and Sign out. The links wrap on a phone rather than push the page sideways.
 */
export function AppHeader({ user }: { user?: HeaderUser }) {
  return (
    <header className="border-b border-slate-200 bg-white">
      <div className="mx-auto flex min-h-14 max-w-6xl items-center justify-between gap-3 px-4 py-2 sm:px-6">
        <Link href="/" className="flex items-center gap-2 font-semibold text-slate-900">
          <span aria-hidden="true" className="grid size-7 place-items-center rounded-md bg-slate-900 text-xs font-bold text-white">
            N
          </span>
          Notion Sync
        </Link>
        {user ? (
          <nav aria-label="Account" className="flex flex-wrap items-center justify-end gap-x-3 gap-y-1 text-sm">
            {(user.role === 'operator' || user.role === 'admin') && (
              <Link href="/system" className="text-slate-700 hover:text-slate-900">
                System
              </Link>
            )}
            {user.role === 'admin' && (
              <>
                <Link href="/users" className="text-slate-700 hover:text-slate-900">
                  Users
                </Link>
                <Link href="/audit" className="text-slate-700 hover:text-slate-900">
                  Audit
                </Link>
              </>
            )}
            <Link href="/account" className="text-slate-700 hover:text-slate-900" title={user.email}>
              {user.name} <span className="text-xs text-slate-500">({user.role ?? 'no role'})</span>
            </Link>
            <SignOutButton />
          </nav>
        ) : (
          <span className="text-xs text-slate-500">Self-hosted workspace exporter</span>
        )}
      </div>
    </header>
  );
}
