/**
 * --env minikube for real, minus minikube itself: the CLI in its own process against a real Kubernetes
 * cluster on this host (control plane + a real node running containers, test/support/kubeNode.ts), with
 * only the `minikube` binary replaced by a shim that reports a running profile. deploy PASS (PostgreSQL
 * + Citus in pods, reached through port-forwards, workers registered by their StatefulSet DNS names) ->
 * an HA drill whose fault is a pod deletion repaired by the StatefulSet -> cleanup --volumes.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { findFreePortRange } from '../../../src/environments/local/ports.js';
import { runCli } from '../../cli/runCli.js';
import { describeIfRealNode, startRealCluster, type RealCluster } from '../../support/kubeNode.js';
import { temporalAddress } from '../../support/temporal.js';

const lastJson = (stdout: string) => JSON.parse(stdout.trim().split('\n').pop() ?? '{}') as Record<string, unknown>;

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
    const run = await runCli([...args, ...labArgs], env());
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
      await runCli(['cleanup', ...labArgs, '--volumes'], env());
      await cluster.stop();
    }
    fs.rmSync(dir, { recursive: true, force: true });
  }, 300_000);

  test('deploy ends PASS with PostgreSQL and Citus in pods', async () => {
    const started = Date.now();
    const deploy = await cli(['deploy', '--patients', '200']);
    expect(deploy.code).toBe(0);
    expect(deploy.result.status).toBe('PASS');
    process.stderr.write(`minikube (real node) deploy: ${((Date.now() - started) / 1000).toFixed(1)} s\n`);
  }, 300_000);

  test('ha-drill: the worker-0 pod deleted, recreated by its StatefulSet, ends PASS with no lost write', async () => {
    const drill = await cli(['ha-drill', '--node', 'worker-0']);
    expect(drill.code).toBe(0);
    const result = drill.result as { status: string; metrics: Record<string, unknown>; after?: { writes: { committed: number; lost: number } } };
    expect(result.status).toBe('PASS');
    expect(result.after?.writes.committed).toBeGreaterThan(0);
    expect(result.after?.writes.lost).toBe(0);
    process.stderr.write(`minikube (real node) ha-drill metrics: ${JSON.stringify(result.metrics)}\n`);
  }, 300_000);

  test('cleanup --volumes removes the lab', async () => {
    const cleanup = await cli(['cleanup', '--volumes']);
    expect(cleanup.code).toBe(0);
    const status = await cli(['status']);
    const nodes = (status.result as { nodes?: Array<{ running: boolean }> }).nodes ?? [];
    expect(nodes.every((n) => !n.running)).toBe(true);
  }, 300_000);
});
