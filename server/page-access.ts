import 'server-only';
import { headers } from 'next/headers';
import { notFound, redirect } from 'next/navigation';
import { eq } from 'drizzle-orm';
import { exports } from '@/db/schema';
import { type Role, roleAllows } from './auth/roles';
import { singleSignOnButton } from './auth/single-sign-on';
import { type Viewer, viewerOf } from './auth/viewer';
import { getAppContext } from './context';
import { authOf } from '@/server/auth/auth';

export { roleAllows };

/**
 * The pages' session check, on the server (proxy.ts does none): the one module of server/ that
 * pages may import besides the router's type and the status rules.
 */

/** The person signed in on this request, or undefined. */
export async function currentViewer(): Promise<Viewer | undefined> {
  return viewerOf(authOf(await getAppContext()), await headers());
}

/**
 * The signed-in person, or a redirect to `/sign-in?next=<path>`. With `needed`, someone whose
 * role is below it goes to the dashboard instead (or to their account page when no role of
 * ours is theirs).
 */
export async function requirePageViewer(path: string, needed?: Role): Promise<Viewer> {
  const viewer = await currentViewer();
  if (!viewer) redirect(`/sign-in?next=${encodeURIComponent(safeNext(path))}`);
  if (needed && !roleAllows(viewer.role, needed)) redirect(roleAllows(viewer.role, 'viewer') ? '/' : '/account');
  return viewer;
}

/** What the sign-in page shows of single sign-on (its provider id and label, nothing secret), or undefined when it is off. */
export async function singleSignOnOffer(): Promise<{ providerId: string; displayName: string } | undefined> {
  return singleSignOnButton((await getAppContext()).config);
}

/** A `next` parameter as a path of this site (`/…`, never `//host` or `/\host`); anything else is `/`. */
export function safeNext(next: unknown): string {
  if (typeof next !== 'string' || !next.startsWith('/') || next.startsWith('//') || next.startsWith('/\\')) return '/';
  return /^[\x21-\x7e]*$/.test(next) ? next : '/';
}

/** An export page's export: Next's not-found page (404, with the app's header) when there is none. */
export async function requireExport(exportId: string): Promise<void> {
  const { database } = await getAppContext();
  const [row] = await database.db.select({ id: exports.id }).from(exports).where(eq(exports.id, exportId));
  if (!row) notFound();
}
