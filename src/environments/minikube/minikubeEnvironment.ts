/**
 * A lab on minikube: minikube is started when it is not running, the lab's image is built and loaded
 * into it, and the nodes are pods of two StatefulSets in one namespace (see ../kubernetes/kubeLab.ts).
 * SQL reaches the pods through port-forwards; Citus metadata holds the pods' stable DNS names.
 */
import type { LabSpec } from '../../config/labSpec.js';
import { LabError, isLabError } from '../../errors.js';
import type {
  ApiEndpoint,
  ApiStartResult,
  ApiState,
  Credentials,
  LabEnvironment,
  LabNode,
  NodeState,
  ProgressReporter,
  ProvisionResult,
  SqlEndpoint,
  StartResult,
} from '../labEnvironment.js';
import { KubeLab } from '../kubernetes/kubeLab.js';
import { readKubeSettings, type KubeSettings } from '../kubernetes/kubeSettings.js';
import { dockerClientVersion, ensureImageInMinikube, labImageTag } from './labImage.js';
import { apiNotOnPlatform } from '../containerApi.js';
import { MinikubeCli } from './minikubeCli.js';
import { readMinikubeSettings, type MinikubeSettings } from './minikubeSettings.js';

export interface MinikubeEnvironmentOptions {
  /** Overrides of the CITUS_LAB_* Kubernetes settings (tests point these at their own API server). */
  readonly kube?: Partial<KubeSettings>;
  readonly minikube?: Partial<MinikubeSettings>;
}

export class MinikubeEnvironment implements LabEnvironment {
  readonly kind = 'minikube' as const;
  readonly kubeSettings: KubeSettings;
  readonly minikubeSettings: MinikubeSettings;
  readonly minikube: MinikubeCli;
  readonly lab: KubeLab;
  private imageName: string | undefined;

  constructor(
    readonly spec: LabSpec,
    options: MinikubeEnvironmentOptions = {},
  ) {
    this.kubeSettings = { ...readKubeSettings(), ...options.kube };
    this.minikubeSettings = { ...readMinikubeSettings(), ...options.minikube };
    this.minikube = new MinikubeCli(this.minikubeSettings.profile);
    this.lab = new KubeLab(spec, {
      // minikube names its kubeconfig context after the profile: never deploy to whatever is current.
      target: { kubeconfigPath: this.kubeSettings.kubeconfigPath, context: this.kubeSettings.context ?? this.minikubeSettings.profile },
      namespace: this.kubeSettings.namespace,
      nodePort: this.kubeSettings.nodePort,
      podReadyTimeoutSeconds: this.kubeSettings.podReadyTimeoutSeconds,
      // Hashing the image's files waits until an image is needed: teardown and status never do.
      image: () => (this.imageName ??= this.minikubeSettings.image ?? labImageTag()),
    });
  }

  /** The tools are installed and the manifests are the lab's; nothing is started or created. */
  async preflight(): Promise<void> {
    await this.minikube.version();
    if (!this.minikubeSettings.image) await dockerClientVersion();
    this.lab.manifests();
  }

  /** minikube running, the image inside it, then the namespace, Secret and Services. */
  async provision(progress: ProgressReporter = () => {}): Promise<ProvisionResult> {
    const state = await this.minikube.status();
    if (state.state !== 'running') {
      progress(`minikube start --profile ${this.minikubeSettings.profile}`);
      await this.minikube.start(this.minikubeSettings, progress);
    }
    if (!this.minikubeSettings.image) await ensureImageInMinikube(this.minikube, this.lab.options.image(), progress);
    return this.lab.provision(progress);
  }

  startNodes(progress?: ProgressReporter): Promise<StartResult> {
    return this.lab.start(progress);
  }

  async stopNodes(): Promise<void> {
    if ((await this.minikube.status()).state !== 'running') return; // nothing runs on a stopped minikube
    await this.lab.stop();
  }

  nodes(): LabNode[] {
    return this.lab.nodes();
  }

  openSqlEndpoint(node: LabNode): Promise<SqlEndpoint> {
    return this.lab.openSqlEndpoint(node);
  }

  credentials(): Promise<Credentials> {
    return this.lab.credentials();
  }

  async status(): Promise<NodeState[]> {
    const state = await this.minikube.status();
    if (state.state !== 'running') {
      const detail = state.state === 'absent' ? `minikube profile ${this.minikube.profile} does not exist` : `minikube is stopped (${state.detail})`;
      return this.lab.nodes().map((n) => ({ name: n.name, running: false, detail }));
    }
    return this.lab.status();
  }

  /** Not yet: see containerApi.ts. infra/k8s/30-api.yaml defines the Deployment for when it can. */
  async startApi(): Promise<ApiStartResult> {
    throw apiNotOnPlatform('minikube');
  }

  openApiEndpoint(): Promise<ApiEndpoint> {
    return Promise.reject(apiNotOnPlatform('minikube'));
  }

  async apiState(): Promise<ApiState> {
    return { url: this.lab.apiUrl(), running: false, detail: 'not run on minikube yet (api serve --env minikube serves it)' };
  }

  /** Deletes the node's pod with no grace period, as a crash would; its StatefulSet creates a new one. */
  injectFault(nodeName: string): Promise<void> {
    return this.lab.deletePod(nodeName);
  }

  /**
   * Removes the lab's objects (and with `removeData` its volumes, Secret and namespace). Works after any
   * failed deploy; with minikube not installed or its profile gone there is nothing to remove.
   */
  async teardown(options: { removeData: boolean }): Promise<void> {
    let state;
    try {
      state = await this.minikube.status();
    } catch (err) {
      if (isLabError(err) && err.type === 'PlatformToolMissing') return;
      throw err;
    }
    if (state.state === 'running') await this.lab.teardown(options);
    else if (state.state === 'stopped' && options.removeData && !this.minikubeSettings.deleteProfileOnCleanup) {
      throw new LabError(
        'PlatformUnavailable',
        `minikube profile ${this.minikube.profile} is stopped, so the lab's volumes cannot be removed: start it ` +
          `(minikube start --profile ${this.minikube.profile}) and run cleanup --volumes again, or set ` +
          'CITUS_LAB_MINIKUBE_DELETE_PROFILE=1 to delete the whole profile.',
        { nonRetryable: true },
      );
    }
    if (options.removeData && this.minikubeSettings.deleteProfileOnCleanup && state.state !== 'absent') {
      await this.minikube.delete();
    }
  }
}
