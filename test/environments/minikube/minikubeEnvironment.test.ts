/**
 * The minikube environment against a real Kubernetes control plane on loopback (kube-apiserver,
 * controller-manager with the StatefulSet controller, scheduler, etcd; test/support/kubeControlPlane.ts)
 * with KWOK faking the node: pods are scheduled and reported Ready, deleted pods vanish, but no container
 * ever runs, so nothing here reaches a PostgreSQL. `minikube` and `docker` are the fakes of
 * test/fixtures/bin (no minikube or Docker engine can run on these machines).
 *
 * KWOK has no storage provisioner: each test creates the PersistentVolumes the lab's claims bind to,
 * which minikube's default StorageClass would provision.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { CoreV1Api, PatchStrategy, setHeaderOptions, type V1Pod } from '@kubernetes/client-node';
import { WorkflowFailedError } from '@temporalio/client';
import { parseLabSpec, type LabSpec } from '../../../src/config/labSpec.js';
import { createActivities } from '../../../src/activities/index.js';
import { describeError } from '../../../src/cli/errors.js';
import { KubeLab } from '../../../src/environments/kubernetes/kubeLab.js';
import { K8S_MANIFEST_DIR } from '../../../src/environments/kubernetes/labManifests.js';
import { MinikubeEnvironment } from '../../../src/environments/minikube/minikubeEnvironment.js';
import { cleanupLab, deployLab } from '../../../src/workflows/index.js';
import { describeIfKubeTools, startControlPlane, type ControlPlane } from '../../support/kubeControlPlane.js';
import { connectTemporal, createTestWorker, uniqueTaskQueue, type TestTemporal } from '../../support/temporal.js';
import { useFakeTools, type FakeTools } from '../../fixtures/bin/fakeTools.js';

const ALL = ['coordinator', 'worker-0', 'worker-1'];

describeIfKubeTools('minikube environment on a real Kubernetes API server (KWOK: pods become Ready, no container runs)', () => {
  let cp: ControlPlane;
  let core: CoreV1Api;
  let tools: FakeTools;
  let dataDir: string;
  let volumes = 0;

  beforeAll(async () => {
    const plane = await startControlPlane();
    if (!plane) throw new Error('the control-plane binaries vanished after the availability check');
    cp = plane;
    core = cp.kubeConfig.makeApiClient(CoreV1Api);
    dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'citus-lab-minikube-'));
  }, 240_000);
  afterAll(async () => {
    await cp?.stop();
    if (dataDir) fs.rmSync(dataDir, { recursive: true, force: true });
  });
  beforeEach(() => {
    tools = useFakeTools();
  });
  afterEach(() => tools.restore());

  const specFor = (cluster: string, overrides: Partial<LabSpec> = {}) => parseLabSpec({ env: 'minikube', cluster, dataDir, ...overrides });
  const envFor = (spec: LabSpec, namespace: string, nodePort: number, podReadyTimeoutSeconds = 60) =>
    new MinikubeEnvironment(spec, {
      kube: { kubeconfigPath: cp.kubeconfigPath, context: cp.kubeConfig.getCurrentContext(), namespace, nodePort, podReadyTimeoutSeconds },
      minikube: { profile: 'kwok', image: undefined, deleteProfileOnCleanup: false },
    });

  /**
   * What minikube's storage provisioner would do: a volume for each claim the lab's StatefulSets will make
   * in `namespace`, reserved for it (claimRef) so a test's leftovers can never take another test's volume.
   */
  async function createVolumes(namespace: string, workers = 2): Promise<void> {
    const claims = ['data-citus-coordinator-0', ...Array.from({ length: workers }, (_, i) => `data-citus-worker-${i}`)];
    for (const claim of claims) {
      const name = `pv-${++volumes}`;
      await core.createPersistentVolume({
        body: {
          metadata: { name },
          spec: {
            capacity: { storage: '1Gi' },
            accessModes: ['ReadWriteOnce'],
            hostPath: { path: `/tmp/citus-lab-${name}` },
            claimRef: { namespace, name: claim },
          },
        },
      });
    }
  }

  const pod = (namespace: string, name: string) => core.readNamespacedPod({ namespace, name });
  async function namespaceGone(namespace: string, timeoutMs = 60_000): Promise<boolean> {
    const deadline = Date.now() + timeoutMs;
    while (Date.now() < deadline) {
      const found = await core.readNamespace({ name: namespace }).then(
        () => true,
        () => false,
      );
      if (!found) return true;
      await new Promise((resolve) => setTimeout(resolve, 250));
    }
    return false;
  }

  test('applies infra/k8s/ (the API server validates every manifest strictly), pods become Ready, and a second run changes nothing', async () => {
    await createVolumes('lab-apply');
    const env = envFor(specFor('apply'), 'lab-apply', 30007);
    await env.preflight();
    expect(await env.provision()).toEqual({ created: ALL, existing: [] });
    const { user, password } = await env.credentials();
    expect(user).toBe('postgres');
    expect(password).toMatch(/^[\w-]{32}$/);

    const started = Date.now();
    expect(await env.startNodes()).toEqual({ started: ALL, alreadyRunning: [] });
    process.stderr.write(`3 pods Ready under KWOK in ${((Date.now() - started) / 1000).toFixed(1)} s\n`);
    expect(await env.status()).toEqual([
      { name: 'coordinator', running: true, detail: 'pod citus-coordinator-0 (Ready)' },
      { name: 'worker-0', running: true, detail: 'pod citus-worker-0 (Ready)' },
      { name: 'worker-1', running: true, detail: 'pod citus-worker-1 (Ready)' },
    ]);
    const external = await core.readNamespacedService({ namespace: 'lab-apply', name: 'citus-coordinator-external' });
    expect(external.spec?.ports?.[0]?.nodePort).toBe(30007);
    const sts = await pod('lab-apply', 'citus-worker-1');
    expect(sts.spec?.containers[0]?.image).toMatch(/^citus-lab\/postgres-citus:12\.1-[0-9a-f]{12}$/);

    // Again, from a fresh environment object (as every activity gets): same password, nothing re-created.
    const again = envFor(specFor('apply'), 'lab-apply', 30007);
    expect(await again.provision()).toEqual({ created: [], existing: ALL });
    expect(await again.startNodes()).toEqual({ started: [], alreadyRunning: ALL });
    expect((await again.credentials()).password).toBe(password);
    const externalAgain = await core.readNamespacedService({ namespace: 'lab-apply', name: 'citus-coordinator-external' });
    expect(externalAgain.metadata?.resourceVersion).toBe(external.metadata?.resourceVersion);
    // The image was built and loaded once; the second provision found it in minikube.
    expect(tools.calls('docker').filter((c) => c[0] === 'build')).toHaveLength(1);
    expect(tools.calls('minikube').filter((c) => c[1] === 'load')).toHaveLength(1);
    expect(tools.calls('minikube').some((c) => c[0] === 'start')).toBe(false); // it was running

    await env.teardown({ removeData: true });
    expect(await namespaceGone('lab-apply')).toBe(true);
  }, 120_000);

  test('the API does not run on minikube yet: startApi and openApiEndpoint answer NotImplemented, nothing is built', async () => {
    const env = envFor(specFor('api'), 'lab-api', 30008);
    await expect(env.startApi()).rejects.toMatchObject({ type: 'NotImplemented', message: expect.stringContaining('api serve --env minikube') });
    await expect(env.openApiEndpoint()).rejects.toMatchObject({ type: 'NotImplemented' });
    expect(await env.apiState()).toMatchObject({ running: false });
    expect(tools.calls('docker').filter((c) => c[0] === 'build')).toHaveLength(0);
  });

  test('injectFault deletes a worker pod (the HA drill’s fault); the StatefulSet recreates it and startNodes waits for it', async () => {
    await createVolumes('lab-fault');
    const env = envFor(specFor('fault'), 'lab-fault', 30008);
    await env.provision();
    await env.startNodes();
    const before = await pod('lab-fault', 'citus-worker-1');

    await env.injectFault('worker-1');
    // Gone when injectFault returns: whatever pod has that name now is the replacement.
    const now = await pod('lab-fault', 'citus-worker-1').catch(() => undefined);
    expect(now?.metadata?.uid).not.toBe(before.metadata?.uid);

    await env.startNodes();
    const replacement = await pod('lab-fault', 'citus-worker-1');
    expect(replacement.metadata?.uid).not.toBe(before.metadata?.uid);
    expect(replacement.status?.conditions?.find((c) => c.type === 'Ready')?.status).toBe('True');
    // Same volume: the StatefulSet reattaches the pod's claim.
    expect(replacement.spec?.volumes?.find((v) => v.name === 'data')?.persistentVolumeClaim?.claimName).toBe('data-citus-worker-1');
    expect((await pod('lab-fault', 'citus-worker-0')).metadata?.uid).toBeDefined();
    await expect(env.injectFault('worker-5')).rejects.toMatchObject({ type: 'UnknownNode' });

    await env.teardown({ removeData: true });
  }, 120_000);

  test('a pod stuck in CrashLoopBackOff fails startNodes at once with PodFailing and what its log said; cleanup still works', async () => {
    await createVolumes('lab-crash');
    const env = envFor(specFor('crash'), 'lab-crash', 30009);
    await env.provision();
    await env.startNodes();
    // Play the kubelet reporting a container that keeps crashing (KWOK leaves the status alone afterwards).
    await core.patchNamespacedPodStatus(
      {
        namespace: 'lab-crash',
        name: 'citus-worker-0',
        body: {
          status: {
            conditions: [{ type: 'Ready', status: 'False' }],
            containerStatuses: [
              {
                name: 'postgres',
                image: 'citus-lab/postgres-citus:12.1',
                imageID: '',
                ready: false,
                restartCount: 5,
                state: { waiting: { reason: 'CrashLoopBackOff', message: 'back-off 2m40s restarting failed container=postgres' } },
                lastState: { terminated: { exitCode: 1, reason: 'Error' } },
              },
            ],
          },
        } as V1Pod,
      },
      setHeaderOptions('Content-Type', PatchStrategy.MergePatch),
    );
    const started = Date.now();
    const err = await env.startNodes().catch((e: unknown) => e);
    expect(Date.now() - started).toBeLessThan(20_000); // at once, not at the 60 s deadline
    expect(err).toMatchObject({ type: 'PodFailing', nonRetryable: true });
    const message = (err as Error).message;
    expect(message).toContain('Pod lab-crash/citus-worker-0 (node worker-0) is in CrashLoopBackOff (back-off 2m40s restarting failed container=postgres) after 5 restarts.');
    // KWOK keeps no container logs; the API server's answer is in the error in their place.
    expect(message).toMatch(/Its last log lines:\n\(no log lines: .*no logs found for container/);
    expect((await env.status()).find((n) => n.name === 'worker-0')).toEqual({
      name: 'worker-0',
      running: false,
      detail: 'pod citus-worker-0 (CrashLoopBackOff: back-off 2m40s restarting failed container=postgres)',
    });

    await env.teardown({ removeData: true });
    expect(await namespaceGone('lab-crash')).toBe(true);
  }, 120_000);

  test.each([
    ['a field its schema does not have', 'lab-bad-field', 'readinessProbe:', 'readinessProbes:', /readinessProbes: field not declared in schema/],
    ['an invalid value', 'lab-bad-value', 'containerPort: 5432', 'containerPort: 70000', /containerPort: Invalid value: 70000/],
  ])('a manifest the API server rejects (%s) is ManifestRejected, not retried; cleanup still works', async (_case, namespace, from, to, reason) => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'citus-lab-bad-manifests-'));
    try {
      for (const file of fs.readdirSync(K8S_MANIFEST_DIR)) fs.copyFileSync(path.join(K8S_MANIFEST_DIR, file), path.join(dir, file));
      const workers = path.join(dir, '20-workers.yaml');
      const text = fs.readFileSync(workers, 'utf8');
      expect(text).toContain(from);
      fs.writeFileSync(workers, text.replace(from, to));
      const lab = new KubeLab(specFor('bad'), {
        target: { kubeconfigPath: cp.kubeconfigPath },
        namespace,
        image: () => 'citus-lab/postgres-citus:12.1',
        nodePort: namespace === 'lab-bad-field' ? 30011 : 30012,
        podReadyTimeoutSeconds: 30,
        manifestDir: dir,
      });
      await lab.provision();
      const err = await lab.start().catch((e: unknown) => e);
      expect(err).toMatchObject({ type: 'ManifestRejected', nonRetryable: true });
      expect((err as Error).message).toMatch(new RegExp(`^The Kubernetes API server rejected StatefulSet ${namespace}/citus-worker \\(`));
      expect((err as Error).message).toMatch(reason);
      expect((err as Error).message).toMatch(/fix the manifest under infra\/k8s\/\.$/);
      await lab.teardown({ removeData: true });
      expect(await namespaceGone(namespace)).toBe(true);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  }, 120_000);

  test('stop scales to zero; cleanup keeps volumes and the Secret; cleanup --volumes removes them and the namespace; a second one has nothing to do', async () => {
    await createVolumes('lab-clean');
    const env = envFor(specFor('clean'), 'lab-clean', 30020);
    await env.provision();
    await env.startNodes();

    // stop: both StatefulSets scaled to zero, volumes kept; start brings the same pods back.
    await env.stopNodes();
    expect((await core.listNamespacedPod({ namespace: 'lab-clean' })).items).toEqual([]);
    expect(await env.startNodes()).toEqual({ started: ALL, alreadyRunning: [] });

    await env.teardown({ removeData: false });
    expect((await core.listNamespacedPod({ namespace: 'lab-clean' })).items).toEqual([]);
    expect((await core.listNamespacedPersistentVolumeClaim({ namespace: 'lab-clean' })).items.map((c) => c.metadata?.name).sort()).toEqual([
      'data-citus-coordinator-0',
      'data-citus-worker-0',
      'data-citus-worker-1',
    ]);
    const password = (await env.credentials()).password;
    expect((await env.status()).map((n) => n.running)).toEqual([false, false, false]);

    // Back up on the same volumes and the same password.
    expect(await env.provision()).toEqual({ created: [], existing: ALL });
    await env.startNodes();
    expect((await envFor(specFor('clean'), 'lab-clean', 30020).credentials()).password).toBe(password);

    await env.teardown({ removeData: true });
    expect(await namespaceGone('lab-clean')).toBe(true);
    await env.teardown({ removeData: true });
    await env.teardown({ removeData: false });
  }, 120_000);

  test('refuses a namespace that already holds another lab', async () => {
    await createVolumes('lab-shared');
    const first = envFor(specFor('first'), 'lab-shared', 30021);
    await first.provision();
    await first.startNodes();
    const second = envFor(specFor('second'), 'lab-shared', 30021);
    await expect(second.provision()).rejects.toMatchObject({
      type: 'ConfigInvalid',
      message: expect.stringContaining('Namespace lab-shared already holds lab "first", not "second"'),
    });
    await expect(second.teardown({ removeData: true })).rejects.toMatchObject({ type: 'ConfigInvalid' });
    await first.teardown({ removeData: true });
  }, 120_000);

  describe('DeployLab and CleanupLab workflows with the real activities', () => {
    let t: TestTemporal;
    beforeAll(async () => {
      t = await connectTemporal();
    });
    afterAll(async () => {
      await t?.close();
    });

    const runWith = async <R>(spec: LabSpec, env: () => MinikubeEnvironment, work: (taskQueue: string) => Promise<R>) => {
      const taskQueue = uniqueTaskQueue('minikube-kwok');
      const activities = createActivities({ environmentFor: env, reportsDir: () => path.join(dataDir, spec.cluster, 'reports') });
      const worker = await createTestWorker(t, taskQueue, activities);
      return worker.runUntil(work(taskQueue));
    };

    test('DeployLab --env minikube gets through preflight, provision and start-nodes, and stops at wait-ready: no PostgreSQL runs under KWOK', async () => {
      await createVolumes('lab-deploy');
      const spec = specFor('deploy');
      const env = () => envFor(spec, 'lab-deploy', 30022);
      // The first image load fails like a flaky minikube: provision's retry must get past it.
      tools.set({ FAKE_MINIKUBE_IMAGE_LOAD_FAILURES: '1' });

      const failure = await runWith(spec, env, (taskQueue) =>
        t.client.workflow.execute(deployLab, {
          taskQueue,
          workflowId: `deploy-minikube-kwok-${taskQueue}`,
          args: [{ spec, readyTimeoutSeconds: 3 }],
        }),
      ).catch((e: unknown) => e);

      expect(failure).toBeInstanceOf(WorkflowFailedError);
      const described = describeError(failure);
      expect(described.type).toBe('NodeNotReady');
      expect(described.message).toMatch(/^3 of 3 nodes did not accept connections within 3 s: coordinator \(port-forward to pod lab-deploy\/citus-coordinator-0 port 5432 failed: .*no forward found for port 5432/);

      const report = JSON.parse(fs.readFileSync(path.join(dataDir, 'deploy', 'reports', 'deploy_report.json'), 'utf8')) as {
        steps: Array<{ name: string; status: string }>;
      };
      expect(report.steps.map((s) => [s.name, s.status]).slice(0, 5)).toEqual([
        ['preflight', 'done'],
        ['provision', 'done'],
        ['start-nodes', 'done'],
        ['wait-ready', 'failed'],
        ['register-workers', 'pending'],
      ]);
      expect(tools.calls('minikube').filter((c) => c[1] === 'load')).toHaveLength(2);
      expect((await core.listNamespacedPod({ namespace: 'lab-deploy' })).items.map((p) => p.metadata?.name).sort()).toEqual([
        'citus-coordinator-0',
        'citus-worker-0',
        'citus-worker-1',
      ]);

      await runWith(spec, env, (taskQueue) =>
        t.client.workflow.execute(cleanupLab, { taskQueue, workflowId: `cleanup-minikube-kwok-${taskQueue}`, args: [{ spec, removeData: true }] }),
      );
      expect(await namespaceGone('lab-deploy')).toBe(true);
    }, 180_000);

    test('DeployLab with minikube not installed fails at preflight at once (PlatformToolMissing); cleanup still succeeds', async () => {
      tools.restore();
      tools = useFakeTools(['docker']);
      const spec = specFor('nominikube');
      const env = () => envFor(spec, 'lab-nominikube', 30023);
      const started = Date.now();
      const failure = await runWith(spec, env, (taskQueue) =>
        t.client.workflow.execute(deployLab, { taskQueue, workflowId: `deploy-nominikube-${taskQueue}`, args: [{ spec }] }),
      ).catch((e: unknown) => e);
      expect(describeError(failure)).toMatchObject({
        type: 'PlatformToolMissing',
        message: expect.stringContaining('minikube is not installed (not found on PATH)'),
      });
      expect(Date.now() - started).toBeLessThan(15_000); // not retried
      await runWith(spec, env, (taskQueue) =>
        t.client.workflow.execute(cleanupLab, { taskQueue, workflowId: `cleanup-nominikube-${taskQueue}`, args: [{ spec, removeData: true }] }),
      );
    }, 60_000);
  });
});
