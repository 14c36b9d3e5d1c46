// @ts-check
/** @type {import('next').NextConfig} */
const nextConfig = {
  outputFileTracingIncludes: { '/**': ['./db/migrations/**/*'] },
  serverExternalPackages: ['@libsql/client', 'libsql', 'archiver'],
};
module.exports = nextConfig;
