/**
 * The lab's manifests, read from infra/k8s/ (the same files a user can `kubectl apply`) and fitted to
 * one lab: namespace, cluster label, worker count, image, database name and NodePort. Nothing else is
 * changed, so what the API server validates is what the repository holds.
 */
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { KubernetesObject, V1Container, V1Deployment, V1Service, V1StatefulSet } from '@kubernetes/client-node';
import { parseAllDocuments } from 'yaml';
import { LabError } from '../../errors.js';
import { CLUSTER_LABEL, COORDINATOR_SET, POSTGRES_CONTAINER, WORKER_SET } from './labObjects.js';

export const K8S_MANIFEST_DIR = fileURLToPath(new URL('../../../infra/k8s/', import.meta.url));
const EXTERNAL_SERVICE = `${COORDINATOR_SET}-external`;
/** The FHIR API's Deployment and Service (infra/k8s/30-api.yaml) carry this name label. */
export const API_APP = 'citus-lab-api';
const API_CONTAINER = 'api';
const NAME_LABEL = 'app.kubernetes.io/name';

export interface LabManifestOptions {
  readonly namespace: string;
  readonly cluster: string;
  readonly workers: number;
  readonly image: string;
  readonly database: string;
  readonly nodePort: number;
}

/** A manifest as applied: kind and apiVersion are always there (the typed models leave them optional). */
export type Manifest<T extends KubernetesObject = KubernetesObject> = T & {
  apiVersion: string;
  kind: string;
  metadata: NonNullable<KubernetesObject['metadata']> & { name: string };
};

export interface LabManifests {
  /** The Namespace first, then everything else that is not a StatefulSet (Services). */
  readonly base: Manifest[];
  /** Coordinator first, then workers. */
  readonly statefulSets: Array<Manifest<V1StatefulSet>>;
  /** The FHIR API: its Service, then its Deployment; applied by startApi, not with the nodes. */
  readonly api: Manifest[];
}

export function loadLabManifests(options: LabManifestOptions, dir = K8S_MANIFEST_DIR): LabManifests {
  const all = readManifests(dir).map((m) => fitted(m, options));
  const statefulSets = [COORDINATOR_SET, WORKER_SET].map((name) => {
    const sts = all.find((m) => m.kind === 'StatefulSet' && m.metadata.name === name);
    if (!sts) throw damaged(dir, `no StatefulSet ${name}`);
    return sts as Manifest<V1StatefulSet>;
  });
  const namespace = all.filter((m) => m.kind === 'Namespace');
  if (namespace.length !== 1) throw damaged(dir, `${namespace.length} Namespace objects instead of one`);
  if (!all.some((m) => m.kind === 'Service' && m.metadata.name === EXTERNAL_SERVICE)) {
    throw damaged(dir, `no Service ${EXTERNAL_SERVICE}`);
  }
  const isApi = (m: Manifest) => m.metadata.labels?.[NAME_LABEL] === API_APP;
  const api = [...all.filter((m) => isApi(m) && m.kind === 'Service'), ...all.filter((m) => isApi(m) && m.kind === 'Deployment')];
  if (api.length !== 2) throw damaged(dir, `${api.length} API objects instead of its Service and Deployment`);
  return { base: [...namespace, ...all.filter((m) => !isApi(m) && m.kind !== 'Namespace' && m.kind !== 'StatefulSet')], statefulSets, api };
}

/** The same StatefulSet with another replica count (0 stops a node set and keeps its volumes). */
export function withReplicas(sts: Manifest<V1StatefulSet>, replicas: number): Manifest<V1StatefulSet> {
  const copy = structuredClone(sts);
  (copy.spec as NonNullable<V1StatefulSet['spec']>).replicas = replicas;
  return copy;
}

function readManifests(dir: string): Manifest[] {
  let files: string[];
  try {
    files = fs.readdirSync(dir).filter((f) => /\.ya?ml$/.test(f)).sort();
  } catch (err) {
    throw new LabError('ConfigInvalid', `The Kubernetes manifests directory ${dir} cannot be read: restore infra/k8s/ from the repository.`, {
      cause: err,
    });
  }
  if (files.length === 0) throw damaged(dir, 'no .yaml files');
  return files.flatMap((file) => {
    const docs = parseAllDocuments(fs.readFileSync(path.join(dir, file), 'utf8'));
    return docs.flatMap((doc, index) => {
      if (doc.errors.length > 0) throw damaged(dir, `${file} is not valid YAML (${doc.errors[0]?.message ?? ''})`);
      const value: unknown = doc.toJS();
      if (value === null || value === undefined) return [];
      if (!isManifest(value)) {
        throw damaged(dir, `document ${index + 1} of ${file} is not a Kubernetes object with apiVersion, kind and metadata.name`);
      }
      return [value];
    });
  });
}

function isManifest(value: unknown): value is Manifest {
  const m = value as Partial<Manifest> | null;
  return (
    typeof m === 'object' &&
    m !== null &&
    typeof m.apiVersion === 'string' &&
    typeof m.kind === 'string' &&
    typeof m.metadata === 'object' &&
    m.metadata !== null &&
    typeof m.metadata.name === 'string'
  );
}

function fitted(manifest: Manifest, options: LabManifestOptions): Manifest {
  const m = structuredClone(manifest);
  m.metadata.labels = { ...m.metadata.labels, [CLUSTER_LABEL]: options.cluster };
  if (m.kind === 'Namespace') {
    m.metadata.name = options.namespace;
    return m;
  }
  m.metadata.namespace = options.namespace;
  if (m.kind === 'StatefulSet') fitStatefulSet(m as Manifest<V1StatefulSet>, options);
  if (m.kind === 'Deployment' && m.metadata.name === API_APP) fitApi(m as Manifest<V1Deployment>, options);
  if (m.kind === 'Service' && m.metadata.name === EXTERNAL_SERVICE) {
    for (const port of (m as Manifest<V1Service>).spec?.ports ?? []) port.nodePort = options.nodePort;
  }
  return m;
}

function fitStatefulSet(sts: Manifest<V1StatefulSet>, options: LabManifestOptions): void {
  const spec = sts.spec;
  const container = spec?.template.spec?.containers.find((c) => c.name === POSTGRES_CONTAINER);
  if (!spec || !container) throw damaged(K8S_MANIFEST_DIR, `StatefulSet ${sts.metadata.name} has no container "${POSTGRES_CONTAINER}"`);
  if (sts.metadata.name === WORKER_SET) spec.replicas = options.workers;
  container.image = options.image;
  setEnv(container, 'CITUS_LAB_DATABASE', options.database);
}

/** The API serves the lab's database on the coordinator's stable DNS name in this namespace. */
function fitApi(deployment: Manifest<V1Deployment>, options: LabManifestOptions): void {
  const container = deployment.spec?.template.spec?.containers.find((c) => c.name === API_CONTAINER);
  if (!container) throw damaged(K8S_MANIFEST_DIR, `Deployment ${API_APP} has no container "${API_CONTAINER}"`);
  setEnv(container, 'CITUS_LAB_API_PG_HOST', `${COORDINATOR_SET}-0.${COORDINATOR_SET}.${options.namespace}.svc.cluster.local`);
  setEnv(container, 'CITUS_LAB_DATABASE', options.database);
}

function setEnv(container: V1Container, name: string, value: string): void {
  const env = (container.env ??= []);
  const existing = env.find((e) => e.name === name);
  if (existing) existing.value = value;
  else env.push({ name, value });
}

function damaged(dir: string, what: string): LabError {
  return new LabError('ConfigInvalid', `The Kubernetes manifests in ${dir} are not the lab's (${what}): restore infra/k8s/ from the repository.`);
}
