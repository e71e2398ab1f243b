/**
 * Waits on the lab's pods and StatefulSets through watches (the client library's informers: list, then
 * watch, re-watching when the server ends a watch), re-checking a condition on every change, reporting
 * progress on a timer (Temporal heartbeats) and giving up at a deadline or on cancellation.
 */
import { makeInformer, type Informer, type ObjectCache, type V1Pod, type V1StatefulSet } from '@kubernetes/client-node';
import { cancellationSignalIfActivity } from '../../activities/activityContext.js';
import type { ProgressReporter } from '../labEnvironment.js';
import type { KubeClients } from './kubeClient.js';
import { kubeFailure } from './kubeErrors.js';
import { LAB_SELECTOR } from './labObjects.js';

export interface LabObjects {
  pods(): readonly V1Pod[];
  pod(name: string): V1Pod | undefined;
  statefulSet(name: string): V1StatefulSet | undefined;
}

/** What a check decides: keep waiting (with a line saying on what), stop with a result, or fail. */
export type Verdict<R> = { wait: string } | { done: R } | { fail: () => Promise<Error> };

export interface UntilOptions {
  readonly timeoutMs: number;
  /** The error at the deadline, given the last `wait` line. */
  readonly onTimeout: (waitingOn: string) => Error;
  readonly progress?: ProgressReporter;
  readonly progressEveryMs?: number;
}

export async function watchLabUntil<R>(
  kube: KubeClients,
  namespace: string,
  check: (objects: LabObjects) => Verdict<R>,
  options: UntilOptions,
): Promise<R> {
  const pods = makeInformer<V1Pod>(
    kube.config,
    `/api/v1/namespaces/${namespace}/pods`,
    () => kube.core.listNamespacedPod({ namespace, labelSelector: LAB_SELECTOR }),
    LAB_SELECTOR,
  );
  const sets = makeInformer<V1StatefulSet>(
    kube.config,
    `/apis/apps/v1/namespaces/${namespace}/statefulsets`,
    () => kube.apps.listNamespacedStatefulSet({ namespace, labelSelector: LAB_SELECTOR }),
    LAB_SELECTOR,
  );
  const objects: LabObjects = {
    pods: () => (pods as ObjectCache<V1Pod>).list(namespace),
    pod: (name) => (pods as ObjectCache<V1Pod>).get(name, namespace),
    statefulSet: (name) => (sets as ObjectCache<V1StatefulSet>).get(name, namespace),
  };
  const signal = cancellationSignalIfActivity();
  let settled = false;
  // Until both first lists are in, an absent object may only be not listed yet.
  let listed = false;
  let waitingOn = 'the first list of pods';
  const timers: NodeJS.Timeout[] = [];
  let onAbort: (() => void) | undefined;

  try {
    return await new Promise<R>((resolve, reject) => {
      const finish = (outcome: () => void) => {
        if (settled) return;
        settled = true;
        outcome();
      };
      const evaluate = () => {
        if (settled || !listed) return;
        const verdict = check(objects);
        if ('done' in verdict) finish(() => resolve(verdict.done));
        else if ('fail' in verdict) {
          settled = true;
          verdict.fail().then(reject, reject);
        } else waitingOn = verdict.wait;
      };
      const failed = (err: unknown) => finish(() => reject(kubeFailure(err, kube.server, `watch pods in namespace ${namespace}`)));

      for (const informer of [pods, sets] as Array<Informer<V1Pod | V1StatefulSet>>) {
        informer.on('change', evaluate);
        informer.on('error', failed);
      }
      timers.push(setTimeout(() => finish(() => reject(options.onTimeout(waitingOn))), options.timeoutMs));
      if (options.progress) {
        const every = options.progressEveryMs ?? 5_000;
        timers.push(setInterval(() => options.progress?.(`waiting: ${waitingOn}`), every));
      }
      if (signal) {
        onAbort = () => finish(() => reject(signal.reason));
        if (signal.aborted) onAbort();
        signal.addEventListener('abort', onAbort, { once: true });
      }
      Promise.all([pods.start(), sets.start()]).then(() => {
        listed = true;
        evaluate();
      }, failed);
    });
  } finally {
    settled = true;
    for (const timer of timers) clearTimeout(timer);
    if (onAbort) signal?.removeEventListener('abort', onAbort);
    // Stopping aborts the watch requests, which informers report as errors: nobody listens any more.
    await Promise.all([pods.stop(), sets.stop()]).catch(() => undefined);
  }
}
