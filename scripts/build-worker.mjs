// Compiles the standalone worker (server/worker.ts) and the packages it uses into one minified
// CommonJS file that plain node runs (`npm run worker` builds it first). No TypeScript loader in
// the process and less source for V8 to keep: ~67 MB resident at start instead of ~80 MB with
// the packages loaded from node_modules, or ~130 MB under tsx. libsql and its client stay
// outside: libsql loads its native binary for the platform at run time, and db/statement-cache.ts
// patches the very module instance the client loads. A source map sits next to the bundle
// (`node --enable-source-maps dist/worker.cjs` for readable stack traces). What loads only when
// asked — the OpenTelemetry SDK (OTEL_EXPORTER_OTLP_ENDPOINT) and pino-pretty (LOG_FORMAT=pretty) —
// stays outside too: bundled, its source alone costs the worker about 3.5 MB resident.
import path from 'node:path';
import { build } from 'esbuild';

const root = path.resolve(import.meta.dirname, '..');
const WORKER_BUNDLE = path.join(root, 'dist', 'worker.cjs');

await build({
  absWorkingDir: root,
  entryPoints: ['server/worker.ts'],
  outfile: WORKER_BUNDLE,
  bundle: true,
  platform: 'node',
  format: 'cjs',
  target: 'node20',
  external: [
    'libsql',
    '@libsql/client',
    '@opentelemetry/sdk-trace-node',
    '@opentelemetry/sdk-trace-base',
    '@opentelemetry/exporter-trace-otlp-http',
    '@opentelemetry/resources',
    'pino-pretty',
  ],
  minify: true,
  sourcemap: 'linked',
  tsconfig: 'tsconfig.json',
  logLevel: 'warning',
});
