// @ts-check

/**
 * Security headers of every answer. Pages also get a Content-Security-Policy with a nonce from
 * proxy.ts (see server/security/content-security-policy.ts); API answers get this one: nothing in
 * them may run, load or be framed.
 */
const API_CONTENT_SECURITY_POLICY = "default-src 'none'; frame-ancestors 'none'; base-uri 'none'; form-action 'none'";

/** @type {import('next').NextConfig} */
const nextConfig = {
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
          { key: 'X-Frame-Options', value: 'DENY' },
        ],
      },
      {
        source: '/api/:path*',
        headers: [{ key: 'Content-Security-Policy', value: API_CONTENT_SECURITY_POLICY }],
      },
    ];
  },
};
module.exports = nextConfig;
