/** Where the lab's Kubernetes objects go: kubeconfig, context, namespace, and how long to wait for pods. */
import os from 'node:os';
import path from 'node:path';
import { z } from 'zod';
import { settingsFromEnv } from '../settingsFromEnv.js';

export interface KubeSettings {
  readonly kubeconfigPath: string;
  /** Context to use; absent: the platform's own (minikube: the profile name), else the kubeconfig's current one. */
  readonly context?: string;
  readonly namespace: string;
  /** NodePort of the coordinator's external Service (for psql from the host; the tool uses a port-forward). */
  readonly nodePort: number;
  /** How long starting nodes waits for every pod to be Ready. */
  readonly podReadyTimeoutSeconds: number;
}

export const DEFAULT_NAMESPACE = 'clinical-database';
export const DEFAULT_NODE_PORT = 30007;

const DNS_LABEL = /^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$/;

const schema = z.object({
  CITUS_LAB_KUBECONFIG: z.string().optional(),
  KUBECONFIG: z.string().optional(),
  CITUS_LAB_KUBE_CONTEXT: z.string().min(1).optional(),
  CITUS_LAB_K8S_NAMESPACE: z
    .string()
    .regex(DNS_LABEL, 'a namespace is lowercase letters, digits and dashes (max 63)')
    .default(DEFAULT_NAMESPACE),
  CITUS_LAB_K8S_NODE_PORT: z.coerce.number().int().min(30000).max(32767, 'NodePorts are 30000-32767').default(DEFAULT_NODE_PORT),
  CITUS_LAB_K8S_READY_TIMEOUT: z.coerce.number().int().min(1).max(3600, 'at most 3600 seconds').default(300),
});

export function readKubeSettings(env: NodeJS.ProcessEnv = process.env): KubeSettings {
  const s = settingsFromEnv(schema, env, Object.keys(schema.shape));
  // kubectl's rule: the first file of KUBECONFIG (a path list) is the one it writes to.
  const fromKubeconfigVar = s.KUBECONFIG?.split(path.delimiter).find((p) => p.length > 0);
  return {
    kubeconfigPath: path.resolve(s.CITUS_LAB_KUBECONFIG ?? fromKubeconfigVar ?? path.join(os.homedir(), '.kube', 'config')),
    context: s.CITUS_LAB_KUBE_CONTEXT,
    namespace: s.CITUS_LAB_K8S_NAMESPACE,
    nodePort: s.CITUS_LAB_K8S_NODE_PORT,
    podReadyTimeoutSeconds: s.CITUS_LAB_K8S_READY_TIMEOUT,
  };
}
