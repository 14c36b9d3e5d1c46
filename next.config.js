// @ts-check
/** @type {import('next').NextConfig} */
const nextConfig = {
  outputFileTracingIncludes: { '/**': ['./db/migrations/**/*'] },
  serverExternalPackages: ['@libsql/client', 'libsql', 'yazl', 'buffer-crc32'],
};
module.exports = nextConfig;
