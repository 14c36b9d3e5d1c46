import { type NextRequest, NextResponse } from 'next/server';
import { contentSecurityPolicy, newNonce } from '@/server/security/content-security-policy';

/**
 * Every page view gets a fresh nonce and the Content-Security-Policy that allows only scripts
 * carrying it (see server/security/content-security-policy.ts). The policy goes on the request,
 * where Next reads the nonce for the scripts it renders, and on the response, for the browser.
 */
export function proxy(request: NextRequest): NextResponse {
  const policy = contentSecurityPolicy(newNonce(), process.env.NODE_ENV === 'development');
  const headers = new Headers(request.headers);
  headers.set('Content-Security-Policy', policy);
  const response = NextResponse.next({ request: { headers } });
  response.headers.set('Content-Security-Policy', policy);
  return response;
}

export const config = {
  matcher: [
    {
      // Pages only: API answers get their policy from next.config.js; static files need none.
      source: '/((?!api/|_next/static/|_next/image|favicon.ico).*)',
      // Prefetches of a page's data are no documents.
      missing: [
        { type: 'header', key: 'next-router-prefetch' },
        { type: 'header', key: 'purpose', value: 'prefetch' },
      ],
    },
  ],
};
