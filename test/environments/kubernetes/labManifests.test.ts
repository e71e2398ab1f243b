/**
 * infra/k8s/ as the tool applies it: fitted to a lab (namespace, workers, image, database, NodePort,
 * cluster label) and nothing else changed; credentials only by reference to the Secret. The API server
 * validating them is in kubeLab.test.ts.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { V1Container, V1Deployment, V1Service } from '@kubernetes/client-node';
import { K8S_MANIFEST_DIR, loadLabManifests, withReplicas } from '../../../src/environments/kubernetes/labManifests.js';
import { kubeLabNodes } from '../../../src/environments/kubernetes/labObjects.js';

const options = { namespace: 'lab-ns', cluster: 'demo', workers: 3, image: 'citus-lab/postgres-citus:12.1-abc', database: 'clinic', nodePort: 30123 };

test('fits the manifests to the lab and keeps the order namespace, services, statefulsets', () => {
  const { base, statefulSets } = loadLabManifests(options);
  expect(base.map((m) => `${m.kind}/${m.metadata.name}`)).toEqual([
    'Namespace/lab-ns',
    'Service/citus-coordinator',
    'Service/citus-coordinator-external',
    'Service/citus-worker',
  ]);
  expect(statefulSets.map((s) => [s.metadata.name, s.spec?.replicas])).toEqual([
    ['citus-coordinator', 1],
    ['citus-worker', 3],
  ]);
  for (const m of [...base, ...statefulSets]) {
    expect(m.metadata.labels?.['citus-lab/cluster']).toBe('demo');
    if (m.kind !== 'Namespace') expect(m.metadata.namespace).toBe('lab-ns');
  }
  for (const sts of statefulSets) {
    const postgres = sts.spec?.template.spec?.containers[0] as V1Container;
    expect(postgres.image).toBe(options.image);
    expect(postgres.env?.find((e) => e.name === 'CITUS_LAB_DATABASE')?.value).toBe('clinic');
  }
  const external = base.find((m) => m.metadata.name === 'citus-coordinator-external') as V1Service;
  expect(external.spec?.type).toBe('NodePort');
  expect(external.spec?.ports?.[0]?.nodePort).toBe(30123);
  const workers = statefulSets[1];
  if (!workers) throw new Error('no worker StatefulSet');
  expect(withReplicas(workers, 0).spec?.replicas).toBe(0);
  expect(workers.spec?.replicas).toBe(3);
});

test('every node: pg_isready probes, logical WAL, resource requests, a volume; credentials only from the Secret', () => {
  const { statefulSets } = loadLabManifests(options);
  for (const sts of statefulSets) {
    const c = sts.spec?.template.spec?.containers[0] as V1Container;
    for (const probe of [c.livenessProbe, c.readinessProbe, c.startupProbe]) expect(probe?.exec?.command?.[0]).toBe('pg_isready');
    expect(c.args?.join(' ')).toContain('wal_level=logical');
    expect(c.resources?.requests).toEqual({ cpu: expect.any(String), memory: expect.any(String) });
    expect(sts.spec?.volumeClaimTemplates?.[0]?.metadata?.name).toBe('data');
    expect(c.volumeMounts?.[0]?.name).toBe('data');
    const secretEnv = (c.env ?? []).filter((e) => /PASSWORD|^POSTGRES_USER$/.test(e.name));
    expect(secretEnv.map((e) => e.name).sort()).toEqual(['PGPASSWORD', 'POSTGRES_PASSWORD', 'POSTGRES_USER']);
    for (const e of secretEnv) {
      expect({ name: e.name, from: e.valueFrom?.secretKeyRef?.name, value: e.value }).toEqual({ name: e.name, from: 'citus-lab-credentials', value: undefined });
    }
  }
  const text = fs
    .readdirSync(K8S_MANIFEST_DIR)
    .map((f) => fs.readFileSync(path.join(K8S_MANIFEST_DIR, f), 'utf8'))
    .join('\n');
  expect(text).not.toMatch(/^kind:\s*Secret/m);
  expect(text).not.toMatch(/^\s*(password|stringData|data):/m);
});

test('the nodes are the pods’ stable DNS names on port 5432', () => {
  expect(kubeLabNodes({ workers: 2 }, 'lab-ns').map((n) => [n.name, n.role, n.clusterHost, n.clusterPort])).toEqual([
    ['coordinator', 'coordinator', 'citus-coordinator-0.citus-coordinator.lab-ns.svc.cluster.local', 5432],
    ['worker-0', 'worker', 'citus-worker-0.citus-worker.lab-ns.svc.cluster.local', 5432],
    ['worker-1', 'worker', 'citus-worker-1.citus-worker.lab-ns.svc.cluster.local', 5432],
  ]);
});

test('a manifests directory that is not the lab’s is refused with the fix', () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'citus-lab-manifests-'));
  try {
    fs.writeFileSync(path.join(dir, 'a.yaml'), 'apiVersion: v1\nkind: Namespace\nmetadata: {name: x}\n');
    expect(() => loadLabManifests(options, dir)).toThrow(/no StatefulSet citus-coordinator\): restore infra\/k8s\//);
    fs.writeFileSync(path.join(dir, 'a.yaml'), 'just: [a, list\n');
    expect(() => loadLabManifests(options, dir)).toThrow(/a\.yaml is not valid YAML/);
    fs.writeFileSync(path.join(dir, 'a.yaml'), '- 1\n- 2\n');
    expect(() => loadLabManifests(options, dir)).toThrow(/document 1 of a\.yaml is not a Kubernetes object/);
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

test('the API: a ClusterIP Service and a Deployment serving the coordinator of this namespace, credentials from the Secret', () => {
  const { base, api } = loadLabManifests(options);
  expect(api.map((m) => `${m.kind}/${m.metadata.name}`)).toEqual(['Service/citus-lab-api', 'Deployment/citus-lab-api']);
  expect(base.some((m) => m.metadata.name === 'citus-lab-api')).toBe(false); // applied by startApi, not with the nodes
  for (const m of api) {
    expect(m.metadata.namespace).toBe('lab-ns');
    expect(m.metadata.labels?.['citus-lab/cluster']).toBe('demo');
  }
  const service = api[0] as V1Service;
  // No NodePort: the API has no authentication yet.
  expect(service.spec?.type).toBe('ClusterIP');
  const deployment = api[1] as unknown as V1Deployment;
  const container = deployment.spec?.template.spec?.containers[0] as V1Container;
  expect(container.args?.slice(0, 2)).toEqual(['api', 'serve']);
  const env = Object.fromEntries((container.env ?? []).map((e) => [e.name, e.value ?? e.valueFrom?.secretKeyRef?.key]));
  expect(env).toMatchObject({
    CITUS_LAB_API_PG_HOST: 'citus-coordinator-0.citus-coordinator.lab-ns.svc.cluster.local',
    CITUS_LAB_DATABASE: 'clinic',
    PGPASSWORD: 'password',
  });
  expect((container.env ?? []).find((e) => e.name === 'PGPASSWORD')?.valueFrom?.secretKeyRef?.name).toBe('citus-lab-credentials');
  expect(container.readinessProbe?.httpGet?.path).toBe('/ready');
  expect(container.livenessProbe?.httpGet?.path).toBe('/health');
  expect(container.resources?.requests).toBeDefined();
  expect(deployment.spec?.selector.matchLabels).toEqual({ 'app.kubernetes.io/name': 'citus-lab-api' });
  expect(deployment.spec?.template.metadata?.labels).toMatchObject({ 'app.kubernetes.io/name': 'citus-lab-api' });
});
