/**
 * One lab in one Kubernetes namespace, whatever runs the cluster (minikube here): its objects from
 * infra/k8s/, its credentials Secret, its pods as lab nodes. Every method observes first and converges.
 */
import type { V1Pod } from '@kubernetes/client-node';
import type { LabSpec } from '../../config/labSpec.js';
import { LabError } from '../../errors.js';
import {
  nodeNames,
  type ApiEndpoint,
  type Credentials,
  type LabNode,
  type NodeState,
  type ProgressReporter,
  type ProvisionResult,
  type SqlEndpoint,
  type StartResult,
} from '../labEnvironment.js';
import { applyManifests } from './applyManifests.js';
import { deleteKubeApi, kubeApiState, openKubeApiEndpoint, startKubeApi, withApiImage } from './kubeApi.js';
import { ensureCredentialsSecret, readCredentials } from './credentialsSecret.js';
import { connectKube, type KubeClients, type KubeTarget } from './kubeClient.js';
import { isNotFound, kubeCall } from './kubeErrors.js';
import {
  CLUSTER_LABEL,
  COORDINATOR_SET,
  CREDENTIALS_SECRET,
  LAB_SELECTOR,
  POSTGRES_PORT,
  WORKER_SET,
  kubeLabNodes,
  podOf,
} from './labObjects.js';
import { API_APP, loadLabManifests, withReplicas, type LabManifests } from './labManifests.js';
import { watchLabUntil } from './namespaceWatch.js';
import { describePod, isPodReady, waitForLabPodsReady, type ExpectedSet } from './podReadiness.js';
import { openPortForward } from './portForwardTunnel.js';

export interface KubeLabOptions {
  readonly target: KubeTarget;
  readonly namespace: string;
  /** The image the pods run; asked for only when manifests are built. */
  readonly image: () => string;
  readonly nodePort: number;
  readonly podReadyTimeoutSeconds: number;
  /** Where the manifests are; infra/k8s/ of this repository unless a test says otherwise. */
  readonly manifestDir?: string;
}

const GONE_TIMEOUT_MS = 120_000;

export class KubeLab {
  private clients: KubeClients | undefined;
  private cachedCredentials: Credentials | undefined;

  constructor(
    readonly spec: LabSpec,
    readonly options: KubeLabOptions,
  ) {}

  get namespace(): string {
    return this.options.namespace;
  }

  nodes(): LabNode[] {
    return kubeLabNodes(this.spec, this.namespace);
  }

  manifests(): LabManifests {
    return loadLabManifests({
      namespace: this.namespace,
      cluster: this.spec.cluster,
      workers: this.spec.workers,
      image: this.options.image(),
      database: this.spec.database,
      nodePort: this.options.nodePort,
    }, this.options.manifestDir);
  }

  /** Namespace, credentials Secret and Services; a node counts as existing when its volume does. */
  async provision(progress: ProgressReporter = () => {}): Promise<ProvisionResult> {
    const { base } = this.manifests();
    const kube = this.kube();
    await this.assertOwnNamespace(kube);
    const [namespace, ...rest] = base;
    if (namespace) await applyManifests(kube, [namespace], progress);
    if (await ensureCredentialsSecret(kube, this.namespace, this.spec.cluster)) progress(`created Secret ${CREDENTIALS_SECRET}`);
    await applyManifests(kube, rest, progress);
    const claims = await kubeCall(kube.server, 'list volumes', () =>
      kube.core.listNamespacedPersistentVolumeClaim({ namespace: this.namespace }),
    );
    const claimed = new Set(claims.items.map((c) => c.metadata?.name));
    const nodes = nodeNames(this.spec);
    const hasVolume = (node: string) => claimed.has(`data-${podOf(node)}`);
    return { created: nodes.filter((n) => !hasVolume(n)), existing: nodes.filter(hasVolume) };
  }

  /** Applies the StatefulSets (workers scaled to the spec) and waits until every pod is Ready. */
  async start(progress: ProgressReporter = () => {}): Promise<StartResult> {
    const { statefulSets } = this.manifests();
    const kube = this.kube();
    await this.assertOwnNamespace(kube);
    const before = await this.podsByNode(kube);
    await applyManifests(kube, statefulSets, progress);
    await waitForLabPodsReady(kube, {
      namespace: this.namespace,
      sets: this.expectedSets(),
      timeoutMs: this.options.podReadyTimeoutSeconds * 1000,
      progress,
    });
    const nodes = nodeNames(this.spec);
    const wasReady = (node: string) => isPodReady(before.get(node));
    return { started: nodes.filter((n) => !wasReady(n)), alreadyRunning: nodes.filter(wasReady) };
  }

  /** Scales both StatefulSets to zero (volumes stay) and waits for the pods to go. */
  async stop(progress: ProgressReporter = () => {}): Promise<void> {
    const kube = this.kube();
    if (!(await this.namespaceExists(kube))) return;
    await this.assertOwnNamespace(kube);
    const { statefulSets } = this.manifests();
    await applyManifests(kube, statefulSets.map((s) => withReplicas(s, 0)), progress);
    await this.waitForNoPods(kube, progress);
  }

  async status(): Promise<NodeState[]> {
    const kube = this.kube();
    const pods = await this.podsByNode(kube);
    return nodeNames(this.spec).map((name) => {
      const pod = pods.get(name);
      return { name, running: isPodReady(pod), detail: pod ? `pod ${pod.metadata?.name} ${describePod(pod)}` : 'no pod' };
    });
  }

  async credentials(): Promise<Credentials> {
    this.cachedCredentials ??= await readCredentials(this.kube(), this.namespace);
    return this.cachedCredentials;
  }

  /** A port-forward to the node's pod; refused early (and waitably) while the pod is not Ready. */
  async openSqlEndpoint(node: LabNode): Promise<SqlEndpoint> {
    const kube = this.kube();
    const podName = this.podName(node.name);
    const pod = await this.readPod(kube, podName);
    if (!pod) {
      throw new LabError('NodeUnreachable', `Pod ${this.namespace}/${podName} (node ${node.name}) does not exist: check \`citus-lab status\`.`, {
        details: { node: node.name, pod: podName },
      });
    }
    if (!isPodReady(pod)) {
      throw new LabError('NodeNotReady', `Pod ${this.namespace}/${podName} (node ${node.name}) is not Ready ${describePod(pod)}.`, {
        details: { node: node.name, pod: podName },
      });
    }
    return openPortForward(kube, { namespace: this.namespace, pod: podName, port: POSTGRES_PORT });
  }

  /** Where pods in the cluster reach the API (ClusterIP only: it has no authentication yet). */
  apiUrl(): string {
    return `http://${API_APP}.${this.namespace}.svc.cluster.local:8080`;
  }

  /** The API's Service and Deployment (running `image`), then a Ready pod of it. */
  async startApi(image: string, progress: ProgressReporter = () => {}): Promise<{ started: boolean }> {
    return startKubeApi(this.kube(), this.namespace, withApiImage(this.manifests().api, image), this.options.podReadyTimeoutSeconds, progress);
  }

  openApiEndpoint(): Promise<ApiEndpoint> {
    return openKubeApiEndpoint(this.kube(), this.namespace);
  }

  async apiState(): Promise<{ running: boolean; detail: string }> {
    if (!(await this.namespaceExists(this.kube()))) return { running: false, detail: `namespace ${this.namespace} does not exist` };
    return kubeApiState(this.kube(), this.namespace);
  }

  /** Deletes the node's pod at once (no grace period) and waits until that pod is gone; its StatefulSet makes a new one. */
  async deletePod(nodeName: string): Promise<void> {
    const kube = this.kube();
    const podName = this.podName(nodeName);
    const pod = await this.readPod(kube, podName);
    const uid = pod?.metadata?.uid;
    if (!pod || !uid) return; // already gone: the fault is in place
    await kubeCall(kube.server, `delete pod ${podName}`, () =>
      kube.core.deleteNamespacedPod({ name: podName, namespace: this.namespace, gracePeriodSeconds: 0 }).catch((err: unknown) => {
        if (!isNotFound(err)) throw err;
      }),
    );
    const stillThere = (pod: V1Pod | undefined) => pod?.metadata?.uid === uid;
    await watchLabUntil(
      kube,
      this.namespace,
      (objects) => (stillThere(objects.pod(podName)) ? { wait: `pod ${podName} to go` } : { done: undefined }),
      {
        timeoutMs: GONE_TIMEOUT_MS,
        onTimeout: () =>
          new LabError('CommandFailed', `Pod ${this.namespace}/${podName} was still there ${GONE_TIMEOUT_MS / 1000} s after its deletion.`),
      },
    );
  }

  /**
   * Deletes the StatefulSets and Services and waits for the pods to go; with `removeData` also the volumes,
   * the Secret and the namespace (when this tool created it). A namespace that never existed is fine.
   */
  async teardown(options: { removeData: boolean }, progress: ProgressReporter = () => {}): Promise<void> {
    const kube = this.kube();
    if (!(await this.namespaceExists(kube))) return;
    await this.assertOwnNamespace(kube);
    const ns = this.namespace;
    const ignoreMissing = (err: unknown) => {
      if (!isNotFound(err)) throw err;
    };
    progress(`delete Deployment ${API_APP}`);
    await deleteKubeApi(kube, ns);
    for (const name of [COORDINATOR_SET, WORKER_SET]) {
      progress(`delete StatefulSet ${name}`);
      await kubeCall(kube.server, `delete StatefulSet ${name}`, () =>
        kube.apps.deleteNamespacedStatefulSet({ name, namespace: ns, propagationPolicy: 'Background' }).catch(ignoreMissing),
      );
    }
    const services = await kubeCall(kube.server, 'list Services', () =>
      kube.core.listNamespacedService({ namespace: ns, labelSelector: LAB_SELECTOR }),
    );
    for (const name of services.items.map((s) => s.metadata?.name).filter((n): n is string => !!n)) {
      await kubeCall(kube.server, `delete Service ${name}`, () => kube.core.deleteNamespacedService({ name, namespace: ns }).catch(ignoreMissing));
    }
    await this.waitForNoPods(kube, progress);
    if (!options.removeData) return;

    const claims = await kubeCall(kube.server, 'list volumes', () =>
      kube.core.listNamespacedPersistentVolumeClaim({ namespace: ns, labelSelector: LAB_SELECTOR }),
    );
    for (const claim of claims.items) {
      const name = claim.metadata?.name;
      if (!name) continue;
      progress(`delete volume ${name}`);
      await kubeCall(kube.server, `delete PersistentVolumeClaim ${name}`, () =>
        kube.core.deleteNamespacedPersistentVolumeClaim({ name, namespace: ns }).catch(ignoreMissing),
      );
    }
    await kubeCall(kube.server, `delete Secret ${CREDENTIALS_SECRET}`, () =>
      kube.core.deleteNamespacedSecret({ name: CREDENTIALS_SECRET, namespace: ns }).catch(ignoreMissing),
    );
    this.cachedCredentials = undefined;
    const namespace = await kubeCall(kube.server, `read namespace ${ns}`, () => kube.core.readNamespace({ name: ns }));
    if (namespace.metadata?.labels?.['app.kubernetes.io/managed-by'] === 'citus-lab') {
      progress(`delete namespace ${ns}`);
      await kubeCall(kube.server, `delete namespace ${ns}`, () => kube.core.deleteNamespace({ name: ns }).catch(ignoreMissing));
    }
  }

  /** Connects on first use, so a lab object costs nothing until it talks to the cluster. */
  kube(): KubeClients {
    this.clients ??= connectKube(this.options.target);
    return this.clients;
  }

  private expectedSets(): ExpectedSet[] {
    return [
      { name: COORDINATOR_SET, replicas: 1 },
      { name: WORKER_SET, replicas: this.spec.workers },
    ];
  }

  private podName(nodeName: string): string {
    const pod = nodeNames(this.spec).includes(nodeName) ? podOf(nodeName) : undefined;
    if (!pod) {
      throw new LabError('UnknownNode', `Unknown node "${nodeName}": this lab has ${nodeNames(this.spec).join(', ')}.`);
    }
    return pod;
  }

  private async readPod(kube: KubeClients, name: string): Promise<V1Pod | undefined> {
    return kubeCall(kube.server, `read pod ${name}`, () =>
      kube.core.readNamespacedPod({ name, namespace: this.namespace }).catch((err: unknown) => {
        if (isNotFound(err)) return undefined;
        throw err;
      }),
    );
  }

  private async podsByNode(kube: KubeClients): Promise<Map<string, V1Pod>> {
    const list = await kubeCall(kube.server, `list pods in namespace ${this.namespace}`, () =>
      kube.core.listNamespacedPod({ namespace: this.namespace, labelSelector: LAB_SELECTOR }),
    );
    const byName = new Map(list.items.map((p) => [p.metadata?.name, p]));
    const result = new Map<string, V1Pod>();
    for (const node of nodeNames(this.spec)) {
      const pod = byName.get(podOf(node));
      if (pod) result.set(node, pod);
    }
    return result;
  }

  private async namespaceExists(kube: KubeClients): Promise<boolean> {
    return kubeCall(kube.server, `read namespace ${this.namespace}`, () =>
      kube.core.readNamespace({ name: this.namespace }).then(
        () => true,
        (err: unknown) => {
          if (isNotFound(err)) return false;
          throw err;
        },
      ),
    );
  }

  /** Two labs in one namespace would share pod names and volumes: refuse a namespace another lab owns. */
  private async assertOwnNamespace(kube: KubeClients): Promise<void> {
    const sts = await kubeCall(kube.server, `read StatefulSet ${COORDINATOR_SET}`, () =>
      kube.apps.readNamespacedStatefulSet({ name: COORDINATOR_SET, namespace: this.namespace }).catch((err: unknown) => {
        if (isNotFound(err)) return undefined;
        throw err;
      }),
    );
    const owner = sts?.metadata?.labels?.[CLUSTER_LABEL];
    if (owner !== undefined && owner !== this.spec.cluster) {
      throw new LabError(
        'ConfigInvalid',
        `Namespace ${this.namespace} already holds lab "${owner}", not "${this.spec.cluster}": use --cluster ${owner}, ` +
          'or give this lab its own namespace with CITUS_LAB_K8S_NAMESPACE.',
      );
    }
  }

  private async waitForNoPods(kube: KubeClients, progress: ProgressReporter): Promise<void> {
    await watchLabUntil(
      kube,
      this.namespace,
      (objects) => {
        const left = objects.pods().map((p) => p.metadata?.name ?? '?');
        return left.length === 0 ? { done: undefined } : { wait: `${left.join(', ')} to go` };
      },
      {
        timeoutMs: GONE_TIMEOUT_MS,
        progress,
        onTimeout: (waitingOn) =>
          new LabError(
            'PlatformUnavailable',
            `The lab's pods did not go away within ${GONE_TIMEOUT_MS / 1000} s (waiting for ${waitingOn}): run cleanup again.`,
          ),
      },
    );
  }
}
