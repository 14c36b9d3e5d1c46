import Link from 'next/link';
import { SignOutButton } from './sign-out-button';

/** Who is signed in, as the header shows them. */
export interface HeaderUser {
  name: string;
  email: string;
  role: string | null;
}

/** Top bar shared by every page; with a user, their name and role, links to their account (and Users for admins), and Sign out. */
export function AppHeader({ user }: { user?: HeaderUser }) {
  return (
    <header className="border-b border-slate-200 bg-white">
      <div className="mx-auto flex h-14 max-w-6xl items-center justify-between px-4 sm:px-6">
        <Link href="/" className="flex items-center gap-2 font-semibold text-slate-900">
          <span aria-hidden="true" className="grid size-7 place-items-center rounded-md bg-slate-900 text-xs font-bold text-white">
            N
          </span>
          Notion Sync
        </Link>
        {user ? (
          <nav aria-label="Account" className="flex items-center gap-3 text-sm">
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
