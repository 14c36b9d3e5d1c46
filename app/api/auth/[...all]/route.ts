import { toNextJsHandler } from 'better-auth/next-js';
import { getAppContext } from '@/server/context';
import { authOf } from '@/server/auth/auth';

export const dynamic = 'force-dynamic';

/** better-auth's endpoints (sign-in/email, sign-out, get-session, change-password, revoke-other-sessions…), on the process's instance. */
export const { GET, POST } = toNextJsHandler(async (req: Request) => authOf(await getAppContext()).handler(req));
