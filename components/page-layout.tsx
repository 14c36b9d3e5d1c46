import type { ReactNode } from 'react';
import { AppHeader, type HeaderUser } from './app-header';

/** How wide a page's column is (whole class names, so Tailwind finds them). */
const WIDTHS = { xl: 'max-w-xl', '4xl': 'max-w-4xl', '5xl': 'max-w-5xl', '6xl': 'max-w-6xl' } as const;

export interface PageLayoutProps {
  user: HeaderUser;
  /** The page's heading (its one h1). */
  title: string;
  /** A line under the heading: what the page is for, or whose it is. */
  description: ReactNode;
  width?: keyof typeof WIDTHS;
  children: ReactNode;
}

/** A signed-in page: the header, then one column with the page's heading and its content. */
export function PageLayout({ user, title, description, width = '6xl', children }: PageLayoutProps) {
  return (
    <>
      <AppHeader user={user} />
      <main className={`mx-auto ${WIDTHS[width]} space-y-6 px-4 py-8 sm:px-6`}>
        <div>
          <h1 className="text-2xl font-bold tracking-tight text-slate-900">{title}</h1>
          <p className="mt-1 text-sm text-slate-500">{description}</p>
        </div>
        {children}
      </main>
    </>
  );
}
