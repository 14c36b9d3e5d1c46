import { createHash } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { parseAllDocuments } from 'yaml';

/**
 * A small kustomize for the tests: renders an overlay of deploy/kubernetes/ offline, so they run
 * where no kustomize is installed (Debian's kubectl 1.20 has a kustomize too old for components).
 * It knows only what these manifests use, in kustomize's order: resources (files and folders),
 * configMapGenerator (literals, files, behavior create|merge, options, the name's content hash
 * and the references to it), components, then patches (strategic merge by kind and name,
 * `$patch: delete`), namespace, labels (without selectors or templates) and images. Anything else
 * in a kustomization is refused, so it cannot silently render something else than kustomize.
 * deploy/kubernetes.test.ts compares its output with `kubectl kustomize` where kubectl is installed.
 */
export interface K8sObject {
  apiVersion: string;
  kind: string;
  metadata: { name: string; namespace?: string; labels?: Record<string, string>; [key: string]: unknown };
  [key: string]: unknown;
}

type Json = Record<string, unknown>;

const KNOWN_FIELDS = new Set(['apiVersion', 'kind', 'resources', 'components', 'configMapGenerator', 'patches', 'namespace', 'labels', 'images']);

interface Generated {
  /** The ConfigMap's name before its hash suffix. */
  baseName: string;
  hashed: boolean;
}

/** The generated ConfigMaps of a build, keyed by the object itself. */
type Generation = WeakMap<K8sObject, Generated>;

const isMap = (v: unknown): v is Json => typeof v === 'object' && v !== null && !Array.isArray(v);

function readYaml(file: string): unknown[] {
  return parseAllDocuments(fs.readFileSync(file, 'utf8'))
    .map((doc) => doc.toJS() as unknown)
    .filter((doc) => doc !== null);
}

/** Renders the kustomization in `dir` as kustomize build would (objects in no particular order). */
export function renderKustomization(dir: string): K8sObject[] {
  const generation: Generation = new WeakMap();
  const objects = build(dir, 'Kustomization', [], generation);
  hashNames(objects, generation);
  return objects;
}

function build(dir: string, expectedKind: 'Kustomization' | 'Component', input: K8sObject[], generation: Generation): K8sObject[] {
  const [kustomization] = readYaml(path.join(dir, 'kustomization.yaml')) as Json[];
  if (kustomization.kind !== expectedKind) throw new Error(`${dir}: expected a ${expectedKind}, found ${String(kustomization.kind)}`);
  const unknown = Object.keys(kustomization).filter((key) => !KNOWN_FIELDS.has(key));
  if (unknown.length > 0) throw new Error(`${dir}: this renderer does not know ${unknown.join(', ')}`);
  let objects = [...input];
  const own: K8sObject[] = [];
  for (const entry of (kustomization.resources as string[] | undefined) ?? []) {
    const at = path.resolve(dir, entry);
    const added = fs.statSync(at).isDirectory() ? build(at, 'Kustomization', [], generation) : (readYaml(at) as K8sObject[]);
    for (const object of added) {
      if (objects.some((o) => sameObject(o, object))) throw new Error(`${dir}: ${object.kind} ${object.metadata.name} twice`);
    }
    own.push(...added);
    objects.push(...added);
  }
  for (const generator of (kustomization.configMapGenerator as Json[] | undefined) ?? []) {
    objects = generate(dir, generator, objects, generation);
  }
  for (const entry of (kustomization.components as string[] | undefined) ?? []) {
    objects = build(path.resolve(dir, entry), 'Component', objects, generation);
  }
  for (const patchEntry of (kustomization.patches as Json[] | undefined) ?? []) {
    if (typeof patchEntry.path !== 'string' || Object.keys(patchEntry).length !== 1) throw new Error(`${dir}: only patches with a path are known here`);
    for (const patch of readYaml(path.resolve(dir, patchEntry.path)) as K8sObject[]) objects = applyPatch(objects, patch, dir);
  }
  if (typeof kustomization.namespace === 'string') {
    for (const object of objects) object.metadata.namespace = kustomization.namespace;
  }
  for (const labels of (kustomization.labels as Json[] | undefined) ?? []) {
    if (labels.includeSelectors || labels.includeTemplates) throw new Error(`${dir}: labels only without selectors and templates here`);
    for (const object of objects) object.metadata.labels = { ...object.metadata.labels, ...(labels.pairs as Record<string, string>) };
  }
  for (const image of (kustomization.images as Json[] | undefined) ?? []) {
    for (const object of objects) for (const container of containersOf(object)) setImage(container, image);
  }
  return objects;
}

const sameObject = (a: K8sObject, b: K8sObject) =>
  a.kind === b.kind && a.metadata.name === b.metadata.name && groupOf(a.apiVersion) === groupOf(b.apiVersion);
const groupOf = (apiVersion: string) => (apiVersion.includes('/') ? apiVersion.split('/')[0] : '');

function generate(dir: string, generator: Json, objects: K8sObject[], generation: Generation): K8sObject[] {
  const name = generator.name as string;
  const data: Record<string, string> = {};
  for (const literal of (generator.literals as string[] | undefined) ?? []) {
    const at = literal.indexOf('=');
    data[literal.slice(0, at)] = literal.slice(at + 1);
  }
  for (const file of (generator.files as string[] | undefined) ?? []) {
    const [key, source] = file.includes('=') ? file.split('=') : [path.basename(file), file];
    data[key] = fs.readFileSync(path.resolve(dir, source), 'utf8');
  }
  const options = (generator.options as Json | undefined) ?? {};
  const behavior = (generator.behavior as string | undefined) ?? 'create';
  if (behavior === 'merge') {
    const existing = objects.find((o) => o.kind === 'ConfigMap' && generation.get(o)?.baseName === name);
    if (!existing) throw new Error(`${dir}: merge into ${name}, which was not generated`);
    existing.data = { ...(existing.data as Record<string, string>), ...data };
    return objects;
  }
  if (behavior !== 'create') throw new Error(`${dir}: generator behavior ${behavior} is not known here`);
  const configMap: K8sObject = { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name }, data };
  if (options.labels) configMap.metadata.labels = { ...(options.labels as Record<string, string>) };
  generation.set(configMap, { baseName: name, hashed: options.disableNameSuffixHash !== true });
  return [...objects, configMap];
}

/** kustomize's name suffix: the SHA-256 of the ConfigMap's kind, name and data as Go encodes them, 10 characters, a few swapped. */
export function configMapHash(name: string, data: Record<string, string>): string {
  const sortedData = Object.fromEntries(Object.keys(data).sort().map((k) => [k, data[k]]));
  const encoded = JSON.stringify({ data: sortedData, kind: 'ConfigMap', name }).replace(
    /[<>&\u2028\u2029]/g,
    (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`,
  );
  const swaps: Record<string, string> = { '0': 'g', '1': 'h', '3': 'k', a: 'm', e: 't' };
  return [...createHash('sha256').update(encoded).digest('hex').slice(0, 10)].map((c) => swaps[c] ?? c).join('');
}

/** Gives each generated ConfigMap its hashed name and points every reference to it there. */
function hashNames(objects: K8sObject[], generation: Generation): void {
  const renamed = new Map<string, string>();
  for (const object of objects) {
    const generated = generation.get(object);
    if (!generated?.hashed) continue;
    const name = `${generated.baseName}-${configMapHash(generated.baseName, object.data as Record<string, string>)}`;
    renamed.set(generated.baseName, name);
    object.metadata.name = name;
  }
  for (const object of objects) {
    const pod = podSpecOf(object);
    if (!pod) continue;
    const rename = (ref: Json | undefined) => {
      if (ref && typeof ref.name === 'string' && renamed.has(ref.name)) ref.name = renamed.get(ref.name);
    };
    for (const container of containersOf(object)) {
      for (const from of (container.envFrom as Json[] | undefined) ?? []) rename(from.configMapRef as Json | undefined);
      for (const env of (container.env as Json[] | undefined) ?? []) rename((env.valueFrom as Json | undefined)?.configMapKeyRef as Json | undefined);
    }
    for (const volume of (pod.volumes as Json[] | undefined) ?? []) rename(volume.configMap as Json | undefined);
  }
}

function podSpecOf(object: K8sObject): Json | undefined {
  const spec = object.spec as Json | undefined;
  return ((spec?.template as Json | undefined)?.spec as Json | undefined) ?? undefined;
}

function containersOf(object: K8sObject): Json[] {
  const pod = podSpecOf(object);
  return [...((pod?.initContainers as Json[] | undefined) ?? []), ...((pod?.containers as Json[] | undefined) ?? [])];
}

function setImage(container: Json, image: Json): void {
  const current = container.image as string;
  const name = current.split('@')[0].replace(/:[^/:]+$/, '');
  if (name !== image.name) return;
  const tag = current.slice(name.length);
  const newName = (image.newName as string | undefined) ?? name;
  container.image = image.newTag !== undefined ? `${newName}:${String(image.newTag)}` : `${newName}${tag}`;
}

/** The list fields strategic merge merges by a key (the ones these manifests patch), and that key. */
const MERGE_KEYS: Record<string, string> = {
  containers: 'name',
  initContainers: 'name',
  env: 'name',
  volumes: 'name',
  volumeMounts: 'mountPath',
  ports: 'containerPort',
};

function applyPatch(objects: K8sObject[], patch: K8sObject, dir: string): K8sObject[] {
  const target = objects.find((o) => sameObject(o, patch));
  if (!target) throw new Error(`${dir}: the patch's ${patch.kind} ${patch.metadata.name} is not among the resources`);
  if (patch.$patch === 'delete') return objects.filter((o) => o !== target);
  strategicMerge(target, patch);
  return objects;
}

function strategicMerge(target: Json, patch: Json): void {
  for (const [key, value] of Object.entries(patch)) {
    if (key === '$patch') continue;
    if (value === null) {
      delete target[key];
    } else if (isMap(value) && isMap(target[key])) {
      strategicMerge(target[key] as Json, value);
    } else if (Array.isArray(value) && Array.isArray(target[key]) && MERGE_KEYS[key]) {
      const mergeKey = MERGE_KEYS[key];
      const list = target[key] as Json[];
      for (const item of value as Json[]) {
        const existing = list.find((t) => t[mergeKey] === item[mergeKey]);
        if (existing) strategicMerge(existing, item);
        else list.push(structuredClone(item));
      }
    } else {
      target[key] = structuredClone(value);
    }
  }
}
