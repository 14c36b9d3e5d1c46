import { fetchRequestHandler } from '@trpc/server/adapters/fetch';
import { appRouter } from '@/server/api/root';
import { createTrpcContext } from '@/server/api/trpc';
import { getAppContext } from '@/server/context';
import { refuseCrossSiteRequest } from '@/server/security/request-origin';

export const dynamic = 'force-dynamic';

/**
 * The dashboard's API. A mutation (POST) from another site is refused with 403 before anything
 * is read or written; queries and the progress stream (GET) change nothing and pass.
 */
async function handler(req: Request): Promise<Response> {
  const crossSite = refuseCrossSiteRequest(req, (await getAppContext()).config);
  if (crossSite) return crossSite;
  return fetchRequestHandler({ endpoint: '/api/trpc', req, router: appRouter, createContext: createTrpcContext });
}

export { handler as GET, handler as POST };
