import { execFileSync, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { PodMonitor } from '@kubernetes-models/prometheus-operator/monitoring.coreos.com/v1/PodMonitor';
import { PrometheusRule } from '@kubernetes-models/prometheus-operator/monitoring.coreos.com/v1/PrometheusRule';
import { ServiceMonitor } from '@kubernetes-models/prometheus-operator/monitoring.coreos.com/v1/ServiceMonitor';
import { Deployment } from 'kubernetes-models/apps/v1/Deployment';
import { StatefulSet } from 'kubernetes-models/apps/v1/StatefulSet';
import { ConfigMap } from 'kubernetes-models/v1/ConfigMap';
import { PersistentVolumeClaim } from 'kubernetes-models/v1/PersistentVolumeClaim';
import { Secret } from 'kubernetes-models/v1/Secret';
import { Service } from 'kubernetes-models/v1/Service';
import { describe, expect, it } from 'vitest';
import { parse, parseAllDocuments } from 'yaml';
import { expectKnownVariables, gracefulStopMs, readRepoFile, root, routeExists } from '@/deploy/deploy-checks';
import { type K8sObject, renderKustomization } from '@/deploy/kubernetes/kustomize';
import { loadConfig } from '@/server/config';
import { METRICS_SERVER_PATHS } from '@/server/observability/metrics-server';

type Json = Record<string, unknown>;
interface Container {
  name: string;
  image: string;
  args?: string[];
  env?: { name: string; value?: string }[];
  envFrom?: { configMapRef?: { name: string } }[];
  ports?: { name: string; containerPort: number }[];
  startupProbe?: Probe;
  readinessProbe?: Probe;
  livenessProbe?: Probe;
  resources?: { requests?: Record<string, string>; limits?: Record<string, string> };
  securityContext?: Json;
  volumeMounts?: { name: string; mountPath: string; readOnly?: boolean }[];
}
interface Probe {
  httpGet?: { path: string; port: string | number };
  tcpSocket?: { port: string | number };
  exec?: unknown;
}
interface PodSpec {
  containers: Container[];
  securityContext?: Json;
  terminationGracePeriodSeconds?: number;
  volumes?: { name: string; secret?: { secretName: string }; persistentVolumeClaim?: { claimName: string }; emptyDir?: Json }[];
}

const kubernetes = path.join(root, 'deploy', 'kubernetes');
const OVERLAYS = ['development', 'staging', 'production', 'production-libsql'];
const rendered = Object.fromEntries(OVERLAYS.map((overlay) => [overlay, renderKustomization(path.join(kubernetes, 'overlays', overlay))]));

/** The Kubernetes schemas (kubernetes-models) of every kind the manifests use. */
const MODELS: Record<string, new (data: never) => { validate(): void }> = {
  'v1/ConfigMap': ConfigMap,
  'v1/Service': Service,
  'v1/Secret': Secret,
  'v1/PersistentVolumeClaim': PersistentVolumeClaim,
  'apps/v1/StatefulSet': StatefulSet,
  'apps/v1/Deployment': Deployment,
  'monitoring.coreos.com/v1/ServiceMonitor': ServiceMonitor,
  'monitoring.coreos.com/v1/PodMonitor': PodMonitor,
  'monitoring.coreos.com/v1/PrometheusRule': PrometheusRule,
};
function validateObject(object: K8sObject): void {
  const Model = MODELS[`${object.apiVersion}/${object.kind}`];
  if (!Model) throw new Error(`${object.apiVersion} ${object.kind} has no schema here`);
  new Model(structuredClone(object) as never).validate();
}

const workloads = (objects: K8sObject[]) => objects.filter((o) => o.kind === 'StatefulSet' || o.kind === 'Deployment');
const podOf = (o: K8sObject) => ((o.spec as Json).template as { metadata: { labels: Record<string, string> }; spec: PodSpec }).spec;
const podLabels = (o: K8sObject) => ((o.spec as Json).template as { metadata: { labels: Record<string, string> } }).metadata.labels;
const matches = (selector: Record<string, string>, labels: Record<string, string> = {}) =>
  Object.entries(selector).every(([k, v]) => labels[k] === v);
const mebibytes = (quantity: string) => {
  const [, number, unit] = /^(\d+)(Mi|Gi)$/.exec(quantity) ?? [];
  expect(number, quantity).toBeDefined();
  return Number(number) * (unit === 'Gi' ? 1024 : 1);
};

/** A container's environment as the pod sees it: its ConfigMaps' data, then its own env. */
function environmentOf(container: Container, objects: K8sObject[]): Record<string, string> {
  const env: Record<string, string> = {};
  for (const from of container.envFrom ?? []) {
    const configMap = objects.find((o) => o.kind === 'ConfigMap' && o.metadata.name === from.configMapRef?.name);
    expect(configMap, `ConfigMap ${from.configMapRef?.name}`).toBeDefined();
    Object.assign(env, configMap?.data);
  }
  for (const variable of container.env ?? []) env[variable.name] = String(variable.value);
  return env;
}

const exampleSecret = parse(readRepoFile('deploy/kubernetes/base/secret.example.yaml')) as K8sObject & { stringData: Record<string, string> };
const entryCommands = [...readRepoFile('deploy/container/entrypoint.sh').matchAll(/^ {2}([a-z]+)\)$/gm)].map((m) => m[1]);
const imageUser = /^USER (\d+):(\d+)$/m.exec(readRepoFile('Dockerfile'));
const imageHeapMb = Number(/--max-old-space-size=(\d+)/.exec(readRepoFile('deploy/container/entrypoint.sh'))?.[1]);

describe.each(OVERLAYS)('deploy/kubernetes/overlays/%s', (overlay) => {
  const objects = rendered[overlay];

  it('renders objects that each validate against the Kubernetes (and Prometheus Operator) schemas', () => {
    expect(objects.length).toBeGreaterThan(5);
    for (const object of objects) expect(() => validateObject(object), `${object.kind} ${object.metadata.name}`).not.toThrow();
    const namespace = objects[0].metadata.namespace;
    expect(namespace).toMatch(/^notion-sync/);
    for (const object of objects) expect(object.metadata.namespace).toBe(namespace);
  });

  it('sets only variables the configuration knows, with values it accepts, secrets read from the mounted Secret', () => {
    for (const workload of workloads(objects)) {
      const pod = podOf(workload);
      for (const container of pod.containers) {
        const env = environmentOf(container, objects);
        expectKnownVariables(Object.keys(env), `${overlay} ${workload.metadata.name}`);
        expect(env.NOTION_SYNC_ENV).toBe(overlay.replace('-libsql', ''));
        const files = Object.fromEntries(
          (container.volumeMounts ?? []).flatMap((mount) => {
            const volume = pod.volumes?.find((v) => v.name === mount.name);
            if (!volume?.secret) return [];
            expect(volume.secret.secretName).toBe(exampleSecret.metadata.name);
            expect(mount.readOnly).toBe(true);
            return Object.keys(exampleSecret.stringData).map((key) => [`${mount.mountPath}/${key}`, 'a-secret-of-thirty-two-characters']);
          }),
        );
        const config = loadConfig(env, (file) => {
          if (!(file in files)) throw new Error(`${file} is no key of the mounted Secret`);
          return files[file];
        });
        expect(config.secret).toBeDefined();
        expect(config.metricsToken).toBeDefined();
        // The database file and the exports are on a mounted volume, not in the image.
        const mounts = (container.volumeMounts ?? []).map((m) => m.mountPath);
        expect(mounts.some((m) => config.exportsDir.startsWith(`${m}/`)), config.exportsDir).toBe(true);
        if (config.databaseUrl.startsWith('file:')) expect(mounts.some((m) => config.dataDir === m || config.dataDir.startsWith(`${m}/`))).toBe(true);
        const port = container.ports?.find((p) => p.name === 'http');
        if (port) expect(port.containerPort).toBe(config.port);
        const metrics = container.ports?.find((p) => p.name === 'metrics');
        if (metrics) expect(metrics.containerPort).toBe(config.metricsPort);
      }
    }
  });

  it('probes only health routes that exist, on ports the container names; the dashboard and the worker are probed at start, for readiness and for life', () => {
    for (const workload of workloads(objects)) {
      for (const container of podOf(workload).containers) {
        const probes = [container.startupProbe, container.readinessProbe, container.livenessProbe].filter((p): p is Probe => p !== undefined);
        expect(probes.length, container.name).toBeGreaterThan(0);
        for (const probe of probes) {
          expect(probe.exec, 'no exec probe: a node process per probe would cost the pod its memory').toBeUndefined();
          const port = probe.httpGet?.port ?? probe.tcpSocket?.port;
          expect(container.ports?.map((p) => p.name)).toContain(port);
          if (probe.httpGet && container.args?.[0] === 'worker') {
            // A worker has no pages: its metrics server on METRICS_PORT answers the probes.
            expect(probe.httpGet.port).toBe('metrics');
            expect(probe.httpGet.path).toMatch(/^\/health\/(live|ready)$/);
            expect(METRICS_SERVER_PATHS as readonly string[], probe.httpGet.path).toContain(probe.httpGet.path);
          } else if (probe.httpGet) {
            expect(probe.httpGet.path).toMatch(/^\/api\/health\/(live|ready)$/);
            expect(routeExists(probe.httpGet.path), probe.httpGet.path).toBe(true);
          }
        }
        const prefix = { dashboard: '/api/health', worker: '/health' }[container.args?.[0] ?? ''];
        expect(prefix, `${container.name} runs ${container.args?.[0]}`).toBeDefined();
        expect(container.startupProbe?.httpGet?.path).toBe(`${prefix}/ready`);
        expect(container.readinessProbe?.httpGet?.path).toBe(`${prefix}/ready`);
        expect(container.livenessProbe?.httpGet?.path).toBe(`${prefix}/live`);
        if (container.args?.[0] === 'worker') expect(environmentOf(container, objects).METRICS_PORT, 'the probes’ port').toMatch(/^\d+$/);
      }
    }
  });

  it('gives each pod longer than a graceful stop to end, and runs commands of the image’s entry script from a pinned image', () => {
    for (const workload of workloads(objects)) {
      const pod = podOf(workload);
      expect(pod.terminationGracePeriodSeconds ?? 30).toBeGreaterThan(gracefulStopMs() / 1000);
      for (const container of pod.containers) {
        expect(entryCommands).toContain(container.args?.[0]);
        expect(container.image).toMatch(/^ghcr\.io\/[a-z0-9-]+\/notion-sync:[\w.-]+$/);
        expect(container.image).not.toMatch(/:latest$/);
      }
    }
  });

  it('routes the Service and the monitors to pods and ports that exist', () => {
    const pods = workloads(objects);
    const services = objects.filter((o) => o.kind === 'Service');
    for (const service of services) {
      const spec = service.spec as { selector: Record<string, string>; ports: { targetPort: string }[] };
      const selected = pods.filter((w) => matches(spec.selector, podLabels(w)));
      expect(selected.length, service.metadata.name).toBeGreaterThan(0);
      for (const port of spec.ports) {
        for (const w of selected) expect(podOf(w).containers.flatMap((c) => c.ports ?? []).map((p) => p.name)).toContain(port.targetPort);
      }
    }
    const serviceMonitor = objects.find((o) => o.kind === 'ServiceMonitor');
    const smSpec = serviceMonitor?.spec as { selector: { matchLabels: Record<string, string> }; endpoints: { port: string; path: string }[] };
    const monitored = services.filter((s) => matches(smSpec.selector.matchLabels, s.metadata.labels));
    expect(monitored.length).toBeGreaterThan(0);
    for (const endpoint of smSpec.endpoints) {
      expect(endpoint.path).toBe('/api/metrics');
      expect(routeExists(endpoint.path)).toBe(true);
      for (const s of monitored) expect((s.spec as { ports: { name: string }[] }).ports.map((p) => p.name)).toContain(endpoint.port);
    }
    for (const podMonitor of objects.filter((o) => o.kind === 'PodMonitor')) {
      const spec = podMonitor.spec as { selector: { matchLabels: Record<string, string> }; podMetricsEndpoints: { port: string; relabelings: Json[] }[] };
      const selected = pods.filter((w) => matches(spec.selector.matchLabels, podLabels(w)));
      expect(selected.length).toBeGreaterThan(0);
      for (const endpoint of spec.podMetricsEndpoints) {
        for (const w of selected) expect(podOf(w).containers.flatMap((c) => c.ports ?? []).map((p) => p.name)).toContain(endpoint.port);
        // The alert rules know the worker's job by this name.
        expect(endpoint.relabelings).toContainEqual({ targetLabel: 'job', replacement: 'notion-sync-worker' });
      }
    }
  });

  it('carries the alert rules of deploy/prometheus/alerts.yml and the Grafana dashboard of deploy/grafana, unchanged', () => {
    const rule = objects.find((o) => o.kind === 'PrometheusRule');
    expect(rule?.spec).toEqual(parse(readRepoFile('deploy/prometheus/alerts.yml')));
    const dashboard = objects.find((o) => o.kind === 'ConfigMap' && o.metadata.labels?.grafana_dashboard === '1');
    expect(dashboard?.metadata.name).toBe('notion-sync-grafana-dashboard');
    expect((dashboard?.data as Record<string, string> | undefined)?.['notion-sync.json']).toBe(readRepoFile('deploy/grafana/notion-sync.json'));
  });

  it('runs every container as the image’s non-root user, without privileges, on a read-only root with writable volumes, with memory requests and limits above the measured peaks', () => {
    expect(imageUser).not.toBeNull();
    for (const workload of workloads(objects)) {
      const pod = podOf(workload);
      expect(pod.securityContext).toMatchObject({ runAsNonRoot: true, runAsUser: Number(imageUser?.[1]), runAsGroup: Number(imageUser?.[2]), fsGroup: Number(imageUser?.[2]) });
      for (const container of pod.containers) {
        expect(container.securityContext).toEqual({ allowPrivilegeEscalation: false, readOnlyRootFilesystem: true, capabilities: { drop: ['ALL'] } });
        const mounts = (container.volumeMounts ?? []).map((m) => m.mountPath);
        expect(mounts).toEqual(expect.arrayContaining(['/tmp', '/data']));
        if (container.args?.[0] === 'dashboard') expect(mounts).toContain('/app/.next/cache');
        const request = mebibytes(container.resources?.requests?.memory ?? '');
        const limit = mebibytes(container.resources?.limits?.memory ?? '');
        expect(container.resources?.requests?.cpu).toBeDefined();
        expect(request).toBeLessThanOrEqual(limit);
        if (container.args?.[0] === 'worker') {
          // A worker's peak: ~100 MB at 10,000 pages; its V8 heap may grow to --max-old-space-size.
          expect(request).toBeGreaterThanOrEqual(100);
          expect(limit).toBeGreaterThan(imageHeapMb);
        } else {
          // The dashboard: ~250 MB, +76 MB during a zip download.
          expect(request).toBeGreaterThanOrEqual(250);
          expect(limit).toBeGreaterThanOrEqual(250 + 76);
        }
      }
    }
  });
});

describe('the embedded database and the libSQL server variant', () => {
  it('keeps the embedded database in one pod on its own ReadWriteOnce volume (never NFS)', () => {
    for (const overlay of ['development', 'staging', 'production']) {
      const sets = rendered[overlay].filter((o) => o.kind === 'StatefulSet');
      expect(sets).toHaveLength(1);
      const spec = sets[0].spec as { replicas: number; volumeClaimTemplates: { metadata: { name: string }; spec: { accessModes: string[] } }[] };
      expect(spec.replicas).toBe(1);
      expect(spec.volumeClaimTemplates.map((t) => [t.metadata.name, t.spec.accessModes])).toEqual([['data', ['ReadWriteOnce']]]);
      expect(rendered[overlay].filter((o) => o.kind === 'Deployment')).toEqual([]);
    }
    expect(readRepoFile('deploy/kubernetes/base/statefulset.yaml')).toMatch(/never NFS/);
    const production = rendered.production.find((o) => o.kind === 'StatefulSet') as K8sObject;
    expect(((production.spec as Json).volumeClaimTemplates as { spec: { resources: { requests: { storage: string } } } }[])[0].spec.resources.requests.storage).toBe('100Gi');
  });

  it('runs three dashboards without a runner and the workers on a libSQL server, sharing the exports volume', () => {
    const objects = rendered['production-libsql'];
    expect(objects.filter((o) => o.kind === 'StatefulSet')).toEqual([]);
    expect(objects.filter((o) => o.kind === 'Service').map((s) => s.metadata.name)).toEqual(['notion-sync']);
    const dashboard = objects.find((o) => o.metadata.name === 'notion-sync-dashboard') as K8sObject;
    const worker = objects.find((o) => o.metadata.name === 'notion-sync-worker') as K8sObject;
    expect((dashboard.spec as Json).replicas).toBe(3);
    expect((worker.spec as Json).replicas).toBeGreaterThanOrEqual(2);
    const dashboardEnv = environmentOf(podOf(dashboard).containers[0], objects);
    const workerEnv = environmentOf(podOf(worker).containers[0], objects);
    expect(dashboardEnv.RUNNER_ENABLED).toBe('false');
    expect(podOf(worker).containers[0].args).toEqual(['worker']);
    for (const env of [dashboardEnv, workerEnv]) expect(env.DATABASE_URL).toMatch(/^(https?|libsql|wss?):\/\//);
    const claim = objects.find((o) => o.kind === 'PersistentVolumeClaim') as K8sObject;
    expect((claim.spec as { accessModes: string[] }).accessModes).toEqual(['ReadWriteMany']);
    for (const w of [dashboard, worker]) expect(podOf(w).volumes?.find((v) => v.persistentVolumeClaim)?.persistentVolumeClaim?.claimName).toBe(claim.metadata.name);
  });

  it('has an example Secret with the keys the manifests read, and valid', () => {
    expect(() => validateObject(exampleSecret)).not.toThrow();
    expect(Object.keys(exampleSecret.stringData).sort()).toEqual(['metrics-token', 'notion-sync-secret']);
  });
});

describe('the renderer and the schemas can fail', () => {
  it('refuses what it does not know rather than render something else', () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'notion-sync-kustomize-'));
    fs.writeFileSync(path.join(dir, 'kustomization.yaml'), 'apiVersion: kustomize.config.k8s.io/v1beta1\nkind: Kustomization\nnamePrefix: x-\n');
    expect(() => renderKustomization(dir)).toThrow(/does not know namePrefix/);
  });

  it('finds a wrongly typed field', () => {
    const broken = structuredClone(rendered.production.find((o) => o.kind === 'StatefulSet') as K8sObject);
    ((broken.spec as Json).template as { spec: PodSpec }).spec.containers[0].ports = [{ name: 'http', containerPort: '3000' as unknown as number }];
    expect(() => validateObject(broken)).toThrow(/containerPort/);
  });
});

/** kubectl with kustomize 4 or later, when installed (not on every machine: Debian's is too old). */
function kubectlKustomize(): boolean {
  const version = spawnSync('kubectl', ['version', '--client'], { encoding: 'utf8' });
  const major = /Kustomize Version: v(\d+)/.exec(version.stdout ?? '')?.[1];
  return version.status === 0 && Number(major) >= 4;
}

describe.runIf(kubectlKustomize())('the renderer against kubectl kustomize', () => {
  // kustomize's name hash of a generated ConfigMap differs from ours (both change with the content).
  const normalize = (objects: unknown) => JSON.parse(JSON.stringify(objects).replace(/"(notion-sync-config)-[a-z0-9]{10}"/g, '"$1"')) as K8sObject[];
  const byKey = (objects: K8sObject[]) => new Map(objects.map((o) => [`${o.kind} ${o.metadata.namespace} ${o.metadata.name}`, o]));

  it.each(OVERLAYS)('renders %s as kubectl kustomize does', (overlay) => {
    const text = execFileSync('kubectl', ['kustomize', path.join(kubernetes, 'overlays', overlay)], { encoding: 'utf8' });
    const theirs = byKey(normalize(parseAllDocuments(text).map((d) => d.toJS())));
    const ours = byKey(normalize(rendered[overlay]));
    expect([...ours.keys()].sort()).toEqual([...theirs.keys()].sort());
    for (const [key, object] of ours) expect(object, key).toEqual(theirs.get(key));
  });
});
