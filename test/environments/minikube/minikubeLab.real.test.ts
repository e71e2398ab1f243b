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
import {
  deployAndExpectRunning,
  drainExpectEmptied,
  drillExpectPass,
  labCli,
  REAL_CLI_TIMEOUT_MS,
  REAL_TEST_TIMEOUT_MS,
  redeployExpectUnchanged,
  testCompleteExpectPass,
} from '../../support/realLabSteps.js';
import { temporalAddress } from '../../support/temporal.js';
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
  const cli = labCli({ labArgs: () => labArgs, env, context: () => cluster.logs().slice(-4000) });

  beforeAll(async () => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'citus-lab-minikube-real-'));
    fs.mkdirSync(path.join(dir, 'bin'));
    fs.writeFileSync(path.join(dir, 'bin', 'minikube'), MINIKUBE_SHIM, { mode: 0o755 });
    cluster = await startRealCluster();
    labArgs = ['--env', 'minikube', '--cluster', 'realnode', '--data-dir', dir, '--base-port', String(await findFreePortRange(3)), '--json'];
  }, 600_000);
  afterAll(async () => {
    if (cluster) {
      await runCli(['cleanup', ...labArgs, '--volumes'], env(), undefined, REAL_CLI_TIMEOUT_MS);
      await cluster.stop();
    }
    fs.rmSync(dir, { recursive: true, force: true });
  }, REAL_TEST_TIMEOUT_MS);

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

  test('deploy ends PASS with PostgreSQL and Citus in pods; status shows every node running', () =>
    deployAndExpectRunning(cli, 'minikube (real node)'), REAL_TEST_TIMEOUT_MS);

  test('a second deploy finds everything in place and changes nothing (no pod replaced, no StatefulSet changed)', async () => {
    const before = await labObjects();
    expect(Object.keys(before.pods).sort()).toEqual(['citus-coordinator-0', 'citus-worker-0', 'citus-worker-1']);
    await redeployExpectUnchanged(cli);
    expect(await labObjects()).toEqual(before);
  }, REAL_TEST_TIMEOUT_MS);

  test('ha-drill: the worker-0 pod deleted, recreated by its StatefulSet, ends PASS with no lost write', async () => {
    const before = await labObjects();
    await drillExpectPass(cli, 'worker-0', 'minikube (real node)');
    // The StatefulSet made a new pod of the same name (a new uid); the others were left alone.
    const after = await labObjects();
    expect(after.pods['citus-worker-0']).toBeDefined();
    expect(after.pods['citus-worker-0']).not.toBe(before.pods['citus-worker-0']);
    expect(after.pods['citus-worker-1']).toBe(before.pods['citus-worker-1']);
  }, REAL_TEST_TIMEOUT_MS);

  test('test complete ends PASS', () => testCompleteExpectPass(cli), REAL_TEST_TIMEOUT_MS);

  test('drain moves every shard off worker-1 with the data proven unchanged', () => drainExpectEmptied(cli, 'worker-1'), REAL_TEST_TIMEOUT_MS);

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
  }, REAL_TEST_TIMEOUT_MS);
});
