import type { Metadata } from 'next';
import { connection } from 'next/server';
import type { ReactNode } from 'react';
import { Providers } from './providers';
import './globals.css';

export const metadata: Metadata = {
  title: { default: 'Notion Sync', template: '%s · Notion Sync' },
  description: 'Self-hosted exporter of whole Notion workspaces.',
};

export default async function RootLayout({ children }: { children: ReactNode }) {
  // Rendered per request, never at build time: Next gives its scripts the nonce of the request's
  // Content-Security-Policy (proxy.ts), which a page built ahead of time could not have.
  await connection();
  return (
    <html lang="en">
      <body className="min-h-screen bg-slate-50 font-sans text-slate-900 antialiased">
        <Providers>{children}</Providers>
      </body>
    </html>
  );
}
