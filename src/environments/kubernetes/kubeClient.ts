/**
 * The one door to the Kubernetes API: loads a kubeconfig (file + context) into the client library's
 * typed APIs. A missing file or context is a configuration problem no retry fixes.
 */
import fs from 'node:fs';
import {
  AppsV1Api,
  CoreV1Api,
  HttpMethod,
  KubeConfig,
  KubernetesObjectApi,
  type KubernetesObject,
} from '@kubernetes/client-node';
import { LabError } from '../../errors.js';

export interface KubeTarget {
  readonly kubeconfigPath: string;
  /** Absent: the kubeconfig's current context. */
  readonly context?: string;
}

export interface KubeClients {
  readonly config: KubeConfig;
  readonly context: string;
  readonly server: string;
  readonly core: CoreV1Api;
  readonly apps: AppsV1Api;
  readonly objects: ServerSideApplyApi;
}

/**
 * Server-side apply that sends each manifest exactly as written, with strict field validation: the
 * library's own `patch` re-serialises through its models, which silently drops fields it does not know,
 * so a misspelt field would never reach the API server to be refused.
 */
export class ServerSideApplyApi extends KubernetesObjectApi {
  async apply<T extends KubernetesObject>(manifest: T, fieldManager: string): Promise<T> {
    const path = await this.specUriPath(structuredClone(manifest), 'patch');
    const request = this.configuration.baseServer.makeRequestContext(path, HttpMethod.PATCH);
    request.setHeaderParam('Accept', 'application/json');
    request.setHeaderParam('Content-Type', 'application/apply-patch+yaml');
    request.setQueryParam('fieldManager', fieldManager);
    request.setQueryParam('force', 'true');
    request.setQueryParam('fieldValidation', 'Strict');
    request.setBody(JSON.stringify(manifest));
    return this.requestPromise<T>(request);
  }
}

export function connectKube(target: KubeTarget): KubeClients {
  if (!fs.existsSync(target.kubeconfigPath)) {
    throw new LabError(
      'PlatformUnavailable',
      `There is no kubeconfig at ${target.kubeconfigPath}: start the cluster first (deploy starts minikube and writes it), ` +
        'or point CITUS_LAB_KUBECONFIG at yours.',
      { nonRetryable: true },
    );
  }
  const config = new KubeConfig();
  try {
    config.loadFromFile(target.kubeconfigPath);
  } catch (err) {
    throw new LabError(
      'ConfigInvalid',
      `The kubeconfig ${target.kubeconfigPath} cannot be read (${err instanceof Error ? err.message : String(err)}): ` +
        'fix it or set CITUS_LAB_KUBECONFIG.',
      { cause: err },
    );
  }
  if (target.context !== undefined) {
    if (!config.getContextObject(target.context)) {
      const known = config.getContexts().map((c) => c.name).join(', ') || 'none';
      throw new LabError(
        'PlatformUnavailable',
        `The kubeconfig ${target.kubeconfigPath} has no context "${target.context}" (it has: ${known}): ` +
          'start the cluster (minikube start writes its context) or set CITUS_LAB_KUBE_CONTEXT.',
        { nonRetryable: true },
      );
    }
    config.setCurrentContext(target.context);
  }
  const cluster = config.getCurrentCluster();
  if (!cluster) {
    throw new LabError(
      'PlatformUnavailable',
      `The kubeconfig ${target.kubeconfigPath} names no cluster for context "${config.getCurrentContext()}": set CITUS_LAB_KUBE_CONTEXT.`,
      { nonRetryable: true },
    );
  }
  return {
    config,
    context: config.getCurrentContext(),
    server: cluster.server,
    core: config.makeApiClient(CoreV1Api),
    apps: config.makeApiClient(AppsV1Api),
    objects: config.makeApiClient(ServerSideApplyApi),
  };
}
