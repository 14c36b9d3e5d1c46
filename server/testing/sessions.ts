import type { AppContext } from '@/server/app-context';
import type { Role } from '@/server/auth/roles';
import { createUser } from '@/server/auth/user-admin';
import { authOf, publicUrlOf } from '@/server/auth/auth';

export const TEST_PASSWORD = 'correct horse battery staple';

/** A real user with `role` (email `<role>@example.test` unless given) and the password TEST_PASSWORD. */
export async function createTestUser(ctx: AppContext, role: Role, email = `${role}@example.test`) {
  return createUser(ctx, { email, role, password: TEST_PASSWORD, name: `Test ${role}` });
}

/** The `Cookie` header a browser would send back after `response` (each Set-Cookie's name=value). */
export const cookieHeaderOf = (response: Response): string =>
  response.headers
    .getSetCookie()
    .map((cookie) => cookie.split(';')[0])
    .join('; ');

/** The `Cookie` header of a session better-auth made by signing `email` in (its own sign-in endpoint, called in process). */
export async function sessionCookie(ctx: AppContext, email: string, password = TEST_PASSWORD): Promise<string> {
  const response = await authOf(ctx).api.signInEmail({ body: { email, password }, asResponse: true });
  if (response.status !== 200) throw new Error(`sign-in of ${email} answered ${response.status}`);
  return cookieHeaderOf(response);
}

/**
 * A sign-in over HTTP through better-auth's own handler, as the sign-in page posts it: JSON from
 * the dashboard's origin (PUBLIC_URL), from client `address` (X-Forwarded-For; a fresh one per
 * test keeps the per-address limit out of the way).
 */
export function signInOverHttp(ctx: AppContext, email: string, password: string, address: string): Promise<Response> {
  const origin = publicUrlOf(ctx.config);
  return authOf(ctx).handler(
    new Request(`${origin}/api/auth/sign-in/email`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', origin, 'x-forwarded-for': address },
      body: JSON.stringify({ email, password }),
    }),
  );
}

/** Headers of a request from a signed-in user with `role` (made for the occasion). */
export async function signedInHeaders(ctx: AppContext, role: Role, email?: string): Promise<Headers> {
  const user = await createTestUser(ctx, role, email);
  return new Headers({ cookie: await sessionCookie(ctx, user.email) });
}
