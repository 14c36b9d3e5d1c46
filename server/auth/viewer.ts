import type { Auth } from './auth';
import { isRole, type Role, roleAllows } from './roles';

/** The signed-in person a request comes from. `role` is null when the stored role is none we know (nothing is allowed). */
export interface Viewer {
  id: string;
  email: string;
  name: string;
  role: Role | null;
}

/** The person whose session cookie `headers` carry, or undefined (no cookie, a bad signature, an expired or revoked session). */
export async function viewerOf(auth: Auth, headers: Headers): Promise<Viewer | undefined> {
  const session = await auth.api.getSession({ headers });
  if (!session) return undefined;
  const { id, email, name, role } = session.user;
  return { id, email, name, role: isRole(role) ? role : null };
}

export type RequestAccess = { viewer: Viewer; response?: undefined } | { viewer?: undefined; response: Response };

/**
 * The one check of every route handler that needs a session: 401 without one, 403 when the role
 * may not do what `needed` may. Call it before reading or changing anything.
 */
export async function authorizeRequest(auth: Auth, headers: Headers, needed: Role): Promise<RequestAccess> {
  const viewer = await viewerOf(auth, headers);
  if (!viewer) return { response: Response.json({ error: 'Sign in first' }, { status: 401, headers: { 'Cache-Control': 'no-store' } }) };
  if (!roleAllows(viewer.role, needed)) {
    return { response: Response.json({ error: `This needs the ${needed} role` }, { status: 403, headers: { 'Cache-Control': 'no-store' } }) };
  }
  return { viewer };
}
