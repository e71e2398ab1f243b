/**
 * When the lab's pods count as up: every expected pod exists, is Ready, is not being deleted, and runs
 * its StatefulSet's current revision (so a changed manifest is waited out until rolled). A pod that can
 * never get there (CrashLoopBackOff, image problems, bad config) fails the wait at once with its log tail.
 */
import type { V1Pod, V1StatefulSet } from '@kubernetes/client-node';
import { LabError } from '../../errors.js';
import type { ProgressReporter } from '../labEnvironment.js';
import type { KubeClients } from './kubeClient.js';
import { nodeOfPod } from './labObjects.js';
import { watchLabUntil, type LabObjects, type Verdict } from './namespaceWatch.js';
import { lastLogLines } from './podLogs.js';

export interface ExpectedSet {
  readonly name: string;
  readonly replicas: number;
}

export interface ReadyWaitOptions {
  readonly namespace: string;
  readonly sets: readonly ExpectedSet[];
  readonly timeoutMs: number;
  readonly progress?: ProgressReporter;
  readonly progressEveryMs?: number;
}

/** Waiting reasons after which a container will not start by itself. */
const HOPELESS = new Set([
  'CrashLoopBackOff',
  'ImagePullBackOff',
  'ErrImagePull',
  'ErrImageNeverPull',
  'InvalidImageName',
  'CreateContainerConfigError',
  'CreateContainerError',
  'RunContainerError',
]);

export function expectedPods(sets: readonly ExpectedSet[]): string[] {
  return sets.flatMap((s) => Array.from({ length: s.replicas }, (_, i) => `${s.name}-${i}`));
}

export function isPodReady(pod: V1Pod | undefined): boolean {
  return (
    pod !== undefined &&
    pod.metadata?.deletionTimestamp === undefined &&
    (pod.status?.conditions?.some((c) => c.type === 'Ready' && c.status === 'True') ?? false)
  );
}

export async function waitForLabPodsReady(kube: KubeClients, options: ReadyWaitOptions): Promise<void> {
  const pods = expectedPods(options.sets);
  await watchLabUntil<void>(kube, options.namespace, (objects) => readiness(kube, options, objects), {
    timeoutMs: options.timeoutMs,
    progress: options.progress,
    progressEveryMs: options.progressEveryMs,
    onTimeout: (waitingOn) =>
      new LabError(
        'NodeNotReady',
        `The lab's pods were not all Ready within ${Math.round(options.timeoutMs / 1000)} s (${waitingOn}): ` +
          `see \`kubectl -n ${options.namespace} describe pods\`, or wait longer (CITUS_LAB_K8S_READY_TIMEOUT).`,
        { details: { namespace: options.namespace, pods } },
      ),
  });
}

function readiness(kube: KubeClients, options: ReadyWaitOptions, objects: LabObjects): Verdict<void> {
  const waiting: string[] = [];
  for (const set of options.sets) {
    const sts = objects.statefulSet(set.name);
    const revision = currentRevision(sts);
    for (const name of expectedPods([set])) {
      const pod = objects.pod(name);
      const stuck = pod && hopeless(pod);
      if (pod && stuck) return { fail: () => podFailing(kube, options.namespace, pod, stuck) };
      if (isPodReady(pod) && (!revision || pod?.metadata?.labels?.['controller-revision-hash'] === revision)) continue;
      waiting.push(`${name} ${describePod(pod, revision)}`);
    }
  }
  return waiting.length === 0 ? { done: undefined } : { wait: waiting.join('; ') };
}

/** The revision pods must run, once the StatefulSet controller has seen the latest spec. */
function currentRevision(sts: V1StatefulSet | undefined): string | undefined {
  if (!sts) return undefined;
  const seen = sts.status?.observedGeneration ?? 0;
  if (seen < (sts.metadata?.generation ?? 0)) return 'not-observed-yet';
  return sts.status?.updateRevision;
}

interface Stuck {
  readonly reason: string;
  readonly message: string;
  readonly restarts: number;
}

function hopeless(pod: V1Pod): Stuck | undefined {
  for (const status of pod.status?.containerStatuses ?? []) {
    const waiting = status.state?.waiting;
    if (waiting?.reason && HOPELESS.has(waiting.reason)) {
      return { reason: waiting.reason, message: waiting.message ?? '', restarts: status.restartCount };
    }
  }
  return undefined;
}

export function describePod(pod: V1Pod | undefined, revision?: string): string {
  if (!pod) return '(not created yet)';
  if (pod.metadata?.deletionTimestamp) return '(terminating)';
  const unscheduled = pod.status?.conditions?.find((c) => c.type === 'PodScheduled' && c.status === 'False');
  if (unscheduled) return `(unschedulable: ${unscheduled.message ?? unscheduled.reason ?? 'no reason given'})`;
  const waiting = pod.status?.containerStatuses?.find((s) => s.state?.waiting)?.state?.waiting;
  if (waiting) return `(${waiting.reason ?? 'waiting'}${waiting.message ? `: ${waiting.message}` : ''})`;
  if (isPodReady(pod) && revision && pod.metadata?.labels?.['controller-revision-hash'] !== revision) {
    return '(Ready, old revision: waiting for its replacement)';
  }
  if (isPodReady(pod)) return '(Ready)';
  return `(${pod.status?.phase ?? 'Pending'}, not Ready)`;
}

async function podFailing(kube: KubeClients, namespace: string, pod: V1Pod, stuck: Stuck): Promise<Error> {
  const name = pod.metadata?.name ?? '?';
  const logs = await lastLogLines(kube, namespace, name, { previous: stuck.restarts > 0 });
  const node = nodeOfPod(name);
  const image = /Image|image/.test(stuck.reason)
    ? ' The image is not in the cluster: deploy builds it and loads it into minikube (check `minikube image ls`).'
    : '';
  return new LabError(
    'PodFailing',
    `Pod ${namespace}/${name}${node ? ` (node ${node})` : ''} is in ${stuck.reason}` +
      `${stuck.message ? ` (${stuck.message})` : ''} after ${stuck.restarts} restarts.${image} Its last log lines:\n${logs}\n` +
      'Fix what the log says, then run deploy again; cleanup --volumes starts from scratch.',
    { details: { namespace, pod: name, reason: stuck.reason, restarts: stuck.restarts } },
  );
}
