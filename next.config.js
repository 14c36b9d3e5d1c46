// @ts-check

/**
 * Security headers of every answer. Pages also get a Content-Security-Policy with a nonce from
 * proxy.ts (see server/security/content-security-policy.ts); API answers get this one: nothing in
 * them may run, load or be framed.
 */
const API_CONTENT_SECURITY_POLICY = "default-src 'none'; frame-ancestors 'none'; base-uri 'none'; form-action 'none'";

/**
 * An export's files (`/api/exports/<id>/files/…`) are shown in the export page's sandboxed preview
 * frame, so they set their own policy (sandboxed, framable by this origin only) and are left out
 * of the two rules that forbid framing: Next drops a route's header when a rule here sets it.
 */
const NOT_EXPORT_FILES = '((?!api/exports/[^/]+/files/).*)';

/** @type {import('next').NextConfig} */
const nextConfig = {
  // The image runs .next/standalone/server.js (Dockerfile; docs/deploy.md).
  output: 'standalone',
  outputFileTracingIncludes: { '/**': ['./db/migrations/**/*'] },
  serverExternalPackages: ['@libsql/client', 'libsql', 'yazl', 'buffer-crc32'],
  poweredByHeader: false,
  async headers() {
    return [
      {
        source: '/:path*',
        headers: [
          { key: 'X-Content-Type-Options', value: 'nosniff' },
          { key: 'Referrer-Policy', value: 'same-origin' },
        ],
      },
      {
        source: `/:path${NOT_EXPORT_FILES}`,
        headers: [{ key: 'X-Frame-Options', value: 'DENY' }],
      },
      {
        source: `/api/:path${NOT_EXPORT_FILES.replace('api/', '')}`,
        headers: [{ key: 'Content-Security-Policy', value: API_CONTENT_SECURITY_POLICY }],
      },
    ];
  },
};
module.exports = nextConfig;
