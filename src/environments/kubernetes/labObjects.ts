/**
 * Names of the lab's Kubernetes objects (they match infra/k8s/) and how lab nodes map onto pods:
 * `coordinator` is pod citus-coordinator-0, `worker-<i>` is pod citus-worker-<i>, each reachable in the
 * cluster at its StatefulSet's stable DNS name.
 */
import type { LabSpec } from '../../config/labSpec.js';
import { nodeNames, type LabNode } from '../labEnvironment.js';

export const COORDINATOR_SET = 'citus-coordinator';
export const WORKER_SET = 'citus-worker';
export const CREDENTIALS_SECRET = 'citus-lab-credentials';
export const POSTGRES_CONTAINER = 'postgres';
export const POSTGRES_PORT = 5432;
export const SUPERUSER = 'postgres';
export const FIELD_MANAGER = 'citus-lab';

/** On every object the lab creates; the pods carry it too (it is in their template). */
export const PART_OF_LABEL = 'app.kubernetes.io/part-of';
export const PART_OF = 'citus-lab';
/** Which lab (spec.cluster) owns the objects of a namespace. */
export const CLUSTER_LABEL = 'citus-lab/cluster';
export const LAB_SELECTOR = `${PART_OF_LABEL}=${PART_OF}`;

const NODE_NAME = /^(coordinator|worker-(\d+))$/;
const POD_NAME = /^(citus-coordinator-0|citus-worker-(\d+))$/;

/** The pod that is lab node `nodeName`, or undefined for a name that is no node. */
export function podOf(nodeName: string): string | undefined {
  const m = NODE_NAME.exec(nodeName);
  if (!m) return undefined;
  return m[2] === undefined ? `${COORDINATOR_SET}-0` : `${WORKER_SET}-${m[2]}`;
}

export function nodeOfPod(podName: string): string | undefined {
  const m = POD_NAME.exec(podName);
  if (!m) return undefined;
  return m[2] === undefined ? 'coordinator' : `worker-${m[2]}`;
}

export function statefulSetOfPod(podName: string): string {
  return podName.startsWith(`${COORDINATOR_SET}-`) ? COORDINATOR_SET : WORKER_SET;
}

/** The pod's stable DNS name from its StatefulSet's headless Service. */
export function podDnsName(podName: string, namespace: string): string {
  return `${podName}.${statefulSetOfPod(podName)}.${namespace}.svc.cluster.local`;
}

/**
 * Lab nodes on Kubernetes: the cluster-facing address (what goes into Citus metadata) is the pod's DNS
 * name; this process has no route to it and reaches the SQL port through `openSqlEndpoint` instead.
 */
export function kubeLabNodes(spec: Pick<LabSpec, 'workers'>, namespace: string): LabNode[] {
  return nodeNames(spec).map((name) => {
    const dns = podDnsName(podOf(name) as string, namespace);
    return {
      name,
      role: name === 'coordinator' ? 'coordinator' : 'worker',
      host: dns,
      port: POSTGRES_PORT,
      clusterHost: dns,
      clusterPort: POSTGRES_PORT,
    } satisfies LabNode;
  });
}
