/**
 * The lab's FHIR API on Kubernetes: the Deployment and ClusterIP Service of infra/k8s/30-api.yaml,
 * applied on demand (deploy's start-api step), the Deployment's own controller restarting its pod the
 * way the StatefulSets restart the nodes. This process reaches it through a port-forward to a Ready pod.
 */
import type { V1Deployment, V1Pod } from '@kubernetes/client-node';
import { LabError } from '../../errors.js';
import type { ApiEndpoint, ProgressReporter } from '../labEnvironment.js';
import { applyManifests } from './applyManifests.js';
import type { KubeClients } from './kubeClient.js';
import { isNotFound, kubeCall } from './kubeErrors.js';
import { API_APP, type Manifest } from './labManifests.js';
import { describePod, isPodReady } from './podReadiness.js';
import { openPortForward } from './portForwardTunnel.js';

const API_PORT = 8080;
const API_SELECTOR = `app.kubernetes.io/name=${API_APP}`;
const POLL_MS = 500;

/** The API manifests with the image deploy built (or was told to use). */
export function withApiImage(manifests: readonly Manifest[], image: string): Manifest[] {
  return manifests.map((m) => {
    if (m.kind !== 'Deployment') return m;
    const copy = structuredClone(m) as Manifest<V1Deployment>;
    for (const c of copy.spec?.template.spec?.containers ?? []) c.image = image;
    return copy;
  });
}

async function readDeployment(kube: KubeClients, namespace: string): Promise<V1Deployment | undefined> {
  return kubeCall(kube.server, `read Deployment ${API_APP}`, () =>
    kube.apps.readNamespacedDeployment({ name: API_APP, namespace }).catch((err: unknown) => {
      if (isNotFound(err)) return undefined;
      throw err;
    }),
  );
}

async function apiPods(kube: KubeClients, namespace: string): Promise<V1Pod[]> {
  const list = await kubeCall(kube.server, `list API pods in ${namespace}`, () => kube.core.listNamespacedPod({ namespace, labelSelector: API_SELECTOR }));
  return list.items;
}

const readyReplicas = (d: V1Deployment | undefined) => d?.status?.readyReplicas ?? 0;

/** Applies the API's Service and Deployment and waits until a pod of it is Ready; `started` is false when one already was. */
export async function startKubeApi(
  kube: KubeClients,
  namespace: string,
  manifests: readonly Manifest[],
  timeoutSeconds: number,
  progress: ProgressReporter = () => {},
): Promise<{ started: boolean }> {
  const wasReady = readyReplicas(await readDeployment(kube, namespace)) > 0;
  await applyManifests(kube, manifests, progress);
  const deadline = Date.now() + timeoutSeconds * 1000;
  for (;;) {
    const deployment = await readDeployment(kube, namespace);
    if (readyReplicas(deployment) > 0 && (deployment?.status?.observedGeneration ?? 0) >= (deployment?.metadata?.generation ?? 0)) {
      return { started: !wasReady };
    }
    if (Date.now() > deadline) {
      const pods = await apiPods(kube, namespace);
      const why = pods.length ? pods.map((p) => `${p.metadata?.name ?? '?'} ${describePod(p)}`).join('; ') : 'no pod was created';
      throw new LabError('PodFailing', `The API Deployment ${namespace}/${API_APP} had no Ready pod within ${timeoutSeconds} s: ${why}.`);
    }
    progress(`waiting for Deployment ${API_APP} to have a Ready pod`);
    await new Promise((resolve) => setTimeout(resolve, POLL_MS));
  }
}

/** A port-forward to a Ready API pod. */
export async function openKubeApiEndpoint(kube: KubeClients, namespace: string): Promise<ApiEndpoint> {
  const pod = (await apiPods(kube, namespace)).find(isPodReady);
  const name = pod?.metadata?.name;
  if (!name) {
    throw new LabError('ApiNotReady', `No Ready pod of the API Deployment ${namespace}/${API_APP}: run deploy, or see \`kubectl -n ${namespace} get pods\`.`);
  }
  const forward = await openPortForward(kube, { namespace, pod: name, port: API_PORT });
  return { url: `http://${forward.host}:${forward.port}`, close: () => forward.close() };
}

export async function kubeApiState(kube: KubeClients, namespace: string): Promise<{ running: boolean; detail: string }> {
  const deployment = await readDeployment(kube, namespace);
  if (!deployment) return { running: false, detail: 'no Deployment (deploy creates it)' };
  const ready = readyReplicas(deployment);
  return { running: ready > 0, detail: `Deployment ${API_APP}: ${ready}/${deployment.spec?.replicas ?? 1} Ready` };
}

/** Teardown: the Deployment goes (its pods with it); the Service goes with the lab's other Services. */
export async function deleteKubeApi(kube: KubeClients, namespace: string): Promise<void> {
  await kubeCall(kube.server, `delete Deployment ${API_APP}`, () =>
    kube.apps.deleteNamespacedDeployment({ name: API_APP, namespace, propagationPolicy: 'Background' }).catch((err: unknown) => {
      if (!isNotFound(err)) throw err;
    }),
  );
}
