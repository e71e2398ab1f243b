/**
 * --env minikube for real, minus minikube itself: the CLI in its own process against a real Kubernetes
 * cluster on this host (control plane + a real node running containers, test/support/kubeNode.ts), with
 * only the `minikube` binary replaced by a shim that reports a running profile. deploy PASS (PostgreSQL
 * + Citus in pods, reached through port-forwards, workers registered by their StatefulSet DNS names) ->
 * status -> an unchanged re-deploy (no pod replaced) -> an HA drill whose fault is a pod deletion repaired
 * by the StatefulSet -> `test complete` -> drain -> cleanup (volumes kept), then cleanup --volumes.
 * One cluster and one lab for the whole file: the steps build on each other, as a user's would.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { findFreePortRange } from '../../../src/environments/local/ports.js';
import { AppsV1Api, CoreV1Api } from '@kubernetes/client-node';
import { runCli } from '../../cli/runCli.js';
import { describeIfRealNode, startRealCluster, type RealCluster } from '../../support/kubeNode.js';
import { temporalAddress } from '../../support/temporal.js';

/** The CLI's result: its last JSON line ({} when there is none, e.g. when it was killed: code and stderr say why). */
const lastJson = (stdout: string): Record<string, unknown> => {
  const line = stdout.trim().split('\n').reverse().find((l) => l.startsWith('{'));
  return line ? (JSON.parse(line) as Record<string, unknown>) : {};
};
/** One CLI run may take minutes on 2 busy cores (a drain took 188 s at load 27); each test allows a bit more. */
const CLI_TIMEOUT_MS = 540_000;
const TEST_TIMEOUT_MS = 600_000;
const NODES = ['coordinator', 'worker-0', 'worker-1'];
const NAMESPACE = 'clinical-database';
const LAB_SELECTOR = 'app.kubernetes.io/part-of=citus-lab';

/** minikube's only stand-in: `version` and `status` of a running profile; anything else is refused. */
const MINIKUBE_SHIM = `#!/bin/bash
case "$1" in
  version) echo v1.36.0 ;;
  status) echo '{"Name":"minikube","Host":"Running","Kubelet":"Running","APIServer":"Running","Kubeconfig":"Configured","Worker":false}' ;;
  *) echo "minikube shim: $* is not part of this test" >&2; exit 64 ;;
esac
`;

describeIfRealNode('--env minikube against a real Kubernetes node', () => {
  let cluster: RealCluster;
  let dir: string;
  let labArgs: string[];
  const env = () => ({
    TEMPORAL_ADDRESS: temporalAddress(),
    PATH: `${path.join(dir, 'bin')}:${process.env.PATH ?? ''}`,
    CITUS_LAB_KUBECONFIG: cluster.kubeconfigPath,
    CITUS_LAB_KUBE_CONTEXT: cluster.context,
    CITUS_LAB_IMAGE: cluster.image,
  });
  const cli = async (args: string[]) => {
    const run = await runCli([...args, ...labArgs], env(), undefined, CLI_TIMEOUT_MS);
    if (run.code !== 0) process.stderr.write(`${args.join(' ')} exited ${run.code}:\n${run.stderr.slice(-3000)}${cluster.logs().slice(-4000)}\n`);
    return { ...run, result: lastJson(run.stdout) };
  };

  beforeAll(async () => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'citus-lab-minikube-real-'));
    fs.mkdirSync(path.join(dir, 'bin'));
    fs.writeFileSync(path.join(dir, 'bin', 'minikube'), MINIKUBE_SHIM, { mode: 0o755 });
    cluster = await startRealCluster();
    labArgs = ['--env', 'minikube', '--cluster', 'realnode', '--data-dir', dir, '--base-port', String(await findFreePortRange(3)), '--json'];
  }, 600_000);
  afterAll(async () => {
    if (cluster) {
      await runCli(['cleanup', ...labArgs, '--volumes'], env(), undefined, CLI_TIMEOUT_MS);
      await cluster.stop();
    }
    fs.rmSync(dir, { recursive: true, force: true });
  }, TEST_TIMEOUT_MS);

  /** The lab's pods (name -> uid) and StatefulSets (name -> generation), read straight from the API server. */
  const labObjects = async () => {
    const core = cluster.controlPlane.kubeConfig.makeApiClient(CoreV1Api);
    const apps = cluster.controlPlane.kubeConfig.makeApiClient(AppsV1Api);
    const pods = await core.listNamespacedPod({ namespace: NAMESPACE, labelSelector: LAB_SELECTOR });
    const sets = await apps.listNamespacedStatefulSet({ namespace: NAMESPACE, labelSelector: LAB_SELECTOR });
    const claims = await core.listNamespacedPersistentVolumeClaim({ namespace: NAMESPACE, labelSelector: LAB_SELECTOR });
    return {
      pods: Object.fromEntries(pods.items.map((p) => [p.metadata?.name, p.metadata?.uid])),
      sets: Object.fromEntries(sets.items.map((x) => [x.metadata?.name, x.metadata?.generation])),
      // A claim being deleted (its namespace going) no longer counts.
      claims: claims.items.filter((c) => !c.metadata?.deletionTimestamp).map((c) => c.metadata?.name).sort(),
    };
  };

  test('deploy ends PASS with PostgreSQL and Citus in pods; status shows every node running', async () => {
    const started = Date.now();
    const deploy = await cli(['deploy', '--patients', '200']);
    expect(deploy.code).toBe(0);
    expect(deploy.result.status).toBe('PASS');
    process.stderr.write(`minikube (real node) deploy: ${((Date.now() - started) / 1000).toFixed(1)} s\n`);

    const status = await cli(['status']);
    expect(status.code).toBe(0);
    const nodes = (status.result as { nodes: Array<{ name: string; running: boolean }> }).nodes;
    expect(nodes.map((n) => [n.name, n.running])).toEqual(NODES.map((n) => [n, true]));
  }, TEST_TIMEOUT_MS);

  test('a second deploy finds everything in place and changes nothing (no pod replaced, no StatefulSet changed)', async () => {
    const before = await labObjects();
    expect(Object.keys(before.pods).sort()).toEqual(['citus-coordinator-0', 'citus-worker-0', 'citus-worker-1']);
    const again = await cli(['deploy', '--patients', '200']);
    expect(again.code).toBe(0);
    expect(again.result.status).toBe('PASS');
    const result = again.result as { registration: { unchanged: boolean }; schema: { created: string[] }; load: { skipped: boolean } };
    expect(result.registration.unchanged).toBe(true);
    expect(result.schema.created).toEqual([]);
    expect(result.load.skipped).toBe(true);
    expect(await labObjects()).toEqual(before);
  }, TEST_TIMEOUT_MS);

  test('ha-drill: the worker-0 pod deleted, recreated by its StatefulSet, ends PASS with no lost write', async () => {
    const before = await labObjects();
    const drill = await cli(['ha-drill', '--node', 'worker-0']);
    expect(drill.code).toBe(0);
    const result = drill.result as { status: string; metrics: Record<string, unknown>; after?: { writes: { committed: number; lost: number } } };
    expect(result.status).toBe('PASS');
    expect(result.after?.writes.committed).toBeGreaterThan(0);
    expect(result.after?.writes.lost).toBe(0);
    // The StatefulSet made a new pod of the same name (a new uid); the others were left alone.
    const after = await labObjects();
    expect(after.pods['citus-worker-0']).toBeDefined();
    expect(after.pods['citus-worker-0']).not.toBe(before.pods['citus-worker-0']);
    expect(after.pods['citus-worker-1']).toBe(before.pods['citus-worker-1']);
    process.stderr.write(`minikube (real node) ha-drill metrics: ${JSON.stringify(result.metrics)}\n`);
  }, TEST_TIMEOUT_MS);

  test('test complete ends PASS', async () => {
    const suite = await cli(['test', 'complete']);
    expect(suite.code).toBe(0);
    expect(suite.result.status).toBe('PASS');
  }, TEST_TIMEOUT_MS);

  test('drain moves every shard off worker-1 with the data proven unchanged', async () => {
    const drain = await cli(['drain', '--node', 'worker-1']);
    expect(drain.code).toBe(0);
    const result = drain.result as { status: string; proof?: { ok: boolean; placementsBefore: Record<string, number>; placementsAfter: Record<string, number> } };
    expect(result.status).toBe('PASS');
    expect(result.proof?.ok).toBe(true);
    expect(result.proof?.placementsBefore['worker-1']).toBeGreaterThan(0);
    expect(result.proof?.placementsAfter['worker-1'] ?? 0).toBe(0);
  }, TEST_TIMEOUT_MS);

  test('cleanup removes the pods and keeps the volumes; cleanup --volumes removes them too', async () => {
    const keep = await cli(['cleanup']);
    expect(keep.code).toBe(0);
    const kept = await labObjects();
    expect(kept.pods).toEqual({});
    expect(kept.sets).toEqual({});
    expect(kept.claims).toHaveLength(3);
    const stopped = await cli(['status']);
    expect(((stopped.result as { nodes?: Array<{ running: boolean }> }).nodes ?? []).every((n) => !n.running)).toBe(true);

    const all = await cli(['cleanup', '--volumes']);
    expect(all.code).toBe(0);
    expect((await labObjects()).claims).toEqual([]);
    // The namespace is gone, or going (its controller finishes the deletion on its own).
    const core = cluster.controlPlane.kubeConfig.makeApiClient(CoreV1Api);
    const namespace = (await core.listNamespace()).items.find((n) => n.metadata?.name === NAMESPACE);
    expect(namespace === undefined || namespace.status?.phase === 'Terminating').toBe(true);
  }, TEST_TIMEOUT_MS);
});
