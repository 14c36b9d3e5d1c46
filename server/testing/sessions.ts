import type { AppContext } from '@/server/app-context';
import type { Role } from '@/server/auth/roles';
import { createUser } from '@/server/auth/user-admin';
import { authOf } from '@/server/auth/auth';

export const TEST_PASSWORD = 'correct horse battery staple';

/** A real user with `role` (email `<role>@example.test` unless given) and the password TEST_PASSWORD. */
export async function createTestUser(ctx: AppContext, role: Role, email = `${role}@example.test`) {
  return createUser(ctx, { email, role, password: TEST_PASSWORD, name: `Test ${role}` });
}

/** The `Cookie` header of a session better-auth made by signing `email` in (its own sign-in endpoint, called in process). */
export async function sessionCookie(ctx: AppContext, email: string, password = TEST_PASSWORD): Promise<string> {
  const response = await authOf(ctx).api.signInEmail({ body: { email, password }, asResponse: true });
  if (response.status !== 200) throw new Error(`sign-in of ${email} answered ${response.status}`);
  return response.headers
    .getSetCookie()
    .map((cookie) => cookie.split(';')[0])
    .join('; ');
}

/** Headers of a request from a signed-in user with `role` (made for the occasion). */
export async function signedInHeaders(ctx: AppContext, role: Role, email?: string): Promise<Headers> {
  const user = await createTestUser(ctx, role, email);
  return new Headers({ cookie: await sessionCookie(ctx, user.email) });
}
