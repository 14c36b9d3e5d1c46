import Link from 'next/link';

/** Top bar shared by every page. */
export function AppHeader() {
  return (
    <header className="border-b border-slate-200 bg-white">
      <div className="mx-auto flex h-14 max-w-6xl items-center justify-between px-4 sm:px-6">
        <Link href="/" className="flex items-center gap-2 font-semibold text-slate-900">
          <span aria-hidden="true" className="grid size-7 place-items-center rounded-md bg-slate-900 text-xs font-bold text-white">
            N
          </span>
          Notion Sync
        </Link>
        <span className="text-xs text-slate-500">Self-hosted workspace exporter</span>
      </div>
    </header>
  );
}
