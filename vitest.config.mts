import { defineConfig } from 'vitest/config';

export default defineConfig({
  resolve: { tsconfigPaths: true },
  test: {
    environment: 'node',
    include: [
      'server/**/*.test.ts',
      'db/**/*.test.ts',
      'e2e/notion-twin/**/*.test.ts',
      'scripts/**/*.test.ts',
      // Prometheus rules and the Grafana dashboard (promtool from Debian's prometheus package).
      'deploy/**/*.test.ts',
      // The dashboard's logic (pure functions: node is enough).
      'app/**/*.test.ts',
      'components/**/*.test.ts',
    ],
    testTimeout: 60_000,
    hookTimeout: 60_000,
    pool: 'forks',
    coverage: {
      provider: 'v8',
      include: ['server/**/*.ts', 'db/**/*.ts'],
      exclude: ['**/*.test.ts', 'server/testing/**', 'server/cli.ts', 'server/worker.ts', 'server/boot.ts'],
      reporter: ['text-summary', 'json-summary'],
      thresholds: { lines: 90 },
    },
  },
});
