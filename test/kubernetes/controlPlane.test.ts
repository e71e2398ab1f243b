/**
 * Smoke test of the loopback Kubernetes control plane the Kubernetes tests run against: a real API server,
 * scheduler and controller manager (StatefulSet controller included), with kwok faking the node and pod
 * status. Skips in one line where scripts/k8s-test-tools.sh has not built the binaries.
 */
import {
  AppsV1Api,
  CoreV1Api,
  KubernetesObjectApi,
  PatchStrategy,
  Watch,
  type KubeConfig,
  type V1Pod,
  type V1StatefulSet,
} from '@kubernetes/client-node';
import { describeIfKubeTools, startControlPlane, type ControlPlane } from '../support/kubeControlPlane.js';

const NAMESPACE = 'default';
const FIELD_MANAGER = 'citus-lab-test';
const WAIT_MS = 45_000;

describeIfKubeTools('loopback Kubernetes control plane (kwok)', () => {
  let cp: ControlPlane;
  let core: CoreV1Api;

  beforeAll(async () => {
    const started = Date.now();
    const plane = await startControlPlane();
    if (!plane) throw new Error('the control-plane binaries vanished after the availability check');
    cp = plane;
    core = cp.kubeConfig.makeApiClient(CoreV1Api);
    process.stderr.write(`control plane at ${cp.server} up in ${((Date.now() - started) / 1000).toFixed(1)} s\n`);
  }, 240_000);

  afterAll(async () => {
    await cp?.stop();
  });

  test('serves on loopback and lists the fake node', async () => {
    expect(new URL(cp.server).hostname).toBe('127.0.0.1');
    const nodes = await core.listNode();
    const node = nodes.items.find((n) => n.metadata?.name === cp.nodeName);
    expect(node?.metadata?.annotations?.['kwok.x-k8s.io/node']).toBe('fake');
    expect(node?.status?.conditions?.find((c) => c.type === 'Ready')?.status).toBe('True');
  });

  test('a server-side-applied StatefulSet gets Ready pods, and a deleted pod comes back', async () => {
    const objects = KubernetesObjectApi.makeApiClient(cp.kubeConfig);
    const applied = await objects.patch<V1StatefulSet>(
      statefulSet('smoke', 2),
      undefined,
      undefined,
      FIELD_MANAGER,
      true,
      PatchStrategy.ServerSideApply,
    );
    const applyOwners = applied.metadata?.managedFields?.filter((f) => f.operation === 'Apply').map((f) => f.manager);
    expect(applyOwners).toEqual([FIELD_MANAGER]);

    const selector = 'app=smoke';
    const bothReady = (pods: Map<string, V1Pod>): boolean => readyNames(pods).join() === 'smoke-0,smoke-1';
    const first = await watchPodsUntil(cp.kubeConfig, selector, bothReady);
    // Placed by the real scheduler on kwok's fake node.
    expect([...first.values()].map((p) => p.spec?.nodeName)).toEqual([cp.nodeName, cp.nodeName]);
    const oldUid = first.get('smoke-0')?.metadata?.uid;
    expect(oldUid).toBeDefined();

    const apps = cp.kubeConfig.makeApiClient(AppsV1Api);
    const sts = await apps.readNamespacedStatefulSet({ name: 'smoke', namespace: NAMESPACE });
    expect(sts.spec?.replicas).toBe(2);

    await core.deleteNamespacedPod({ name: 'smoke-0', namespace: NAMESPACE });
    const second = await watchPodsUntil(cp.kubeConfig, selector, (pods) => {
      const pod = pods.get('smoke-0');
      return pod !== undefined && pod.metadata?.uid !== oldUid && isReady(pod) && readyNames(pods).length === 2;
    });
    expect(second.get('smoke-0')?.metadata?.uid).not.toBe(oldUid);
    expect(second.get('smoke-1')?.metadata?.uid).toBe(first.get('smoke-1')?.metadata?.uid);
  }, 60_000);
});

function statefulSet(name: string, replicas: number): V1StatefulSet & { apiVersion: string; kind: string } {
  const labels = { app: name };
  return {
    apiVersion: 'apps/v1',
    kind: 'StatefulSet',
    metadata: { name, namespace: NAMESPACE, labels },
    spec: {
      replicas,
      serviceName: name,
      selector: { matchLabels: labels },
      template: {
        metadata: { labels },
        // kwok never runs it: the image is only a name.
        spec: { containers: [{ name: 'main', image: 'registry.invalid/none:1' }] },
      },
    },
  };
}

function isReady(pod: V1Pod): boolean {
  return (
    pod.metadata?.deletionTimestamp === undefined &&
    (pod.status?.conditions?.some((c) => c.type === 'Ready' && c.status === 'True') ?? false)
  );
}

function readyNames(pods: Map<string, V1Pod>): string[] {
  return [...pods.values()]
    .filter(isReady)
    .map((p) => p.metadata?.name ?? '')
    .sort();
}

/**
 * Watches the pods matching `labelSelector` (a watch without resourceVersion first replays every existing
 * pod as ADDED) and resolves with the current pods by name once `done` holds.
 */
async function watchPodsUntil(
  kubeConfig: KubeConfig,
  labelSelector: string,
  done: (pods: Map<string, V1Pod>) => boolean,
): Promise<Map<string, V1Pod>> {
  const pods = new Map<string, V1Pod>();
  let abort: AbortController | undefined;
  let settled = false;
  let timer: NodeJS.Timeout | undefined;
  try {
    return await new Promise<Map<string, V1Pod>>((resolve, reject) => {
      timer = setTimeout(() => {
        const seen = [...pods.values()].map((p) => `${p.metadata?.name}/${p.status?.phase}/ready=${isReady(p)}`);
        const what = `pods ${labelSelector} did not reach the expected state in ${WAIT_MS} ms`;
        reject(new Error(`${what}; saw ${seen.join(' ') || 'none'}`));
      }, WAIT_MS);
      new Watch(kubeConfig)
        .watch(
          `/api/v1/namespaces/${NAMESPACE}/pods`,
          { labelSelector },
          (phase, pod: V1Pod) => {
            const name = pod.metadata?.name;
            if (!name) return;
            if (phase === 'DELETED') pods.delete(name);
            else pods.set(name, pod);
            if (done(pods)) resolve(new Map(pods));
          },
          (err: unknown) => {
            if (err) reject(err instanceof Error ? err : new Error(String(err)));
          },
        )
        .then((controller) => {
          abort = controller;
          // Events can arrive before this: a watch that already delivered must still be closed.
          if (settled) controller.abort();
        }, reject);
    });
  } finally {
    settled = true;
    clearTimeout(timer);
    abort?.abort();
  }
}
