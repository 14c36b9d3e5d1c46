import { isAPIError } from 'better-auth/api';
import { claimSetup, SetupRefusedError } from '@/server/auth/first-admin';
import { getAppContext } from '@/server/context';
import { domainErrorResponse } from '@/server/errors';
import { authOf } from '@/server/auth/auth';
import { refuseCrossSiteRequest } from '@/server/security/request-origin';

export const dynamic = 'force-dynamic';

/**
 * The setup page's form: makes the first admin with the one-time token printed at start-up, then
 * signs them in (the answer sets the session cookie). From another site: 403, before the body is
 * read. Without a valid token: 403, nothing made.
 */
export async function POST(req: Request): Promise<Response> {
  const ctx = await getAppContext();
  const crossSite = refuseCrossSiteRequest(req, ctx.config);
  if (crossSite) return crossSite;
  const body: unknown = await req.json().catch(() => undefined);
  if (typeof body !== 'object' || body === null) return Response.json({ error: 'Send the form as JSON' }, { status: 400 });
  const input = body as { token?: unknown; email?: unknown; name?: unknown; password?: unknown };
  try {
    const { email } = await claimSetup(ctx, {
      token: String(input.token ?? ''),
      email: String(input.email ?? ''),
      name: typeof input.name === 'string' ? input.name : undefined,
      password: String(input.password ?? ''),
    });
    return await authOf(ctx).api.signInEmail({ body: { email, password: String(input.password) }, headers: req.headers, asResponse: true });
  } catch (error) {
    if (error instanceof SetupRefusedError) return Response.json({ error: error.message }, { status: 403 });
    // The admin is made, but the sign-in was refused (this address is locked out for a while).
    if (isAPIError(error)) return Response.json({ error: error.message }, { status: error.statusCode, headers: error.headers });
    return domainErrorResponse(error);
  }
}
