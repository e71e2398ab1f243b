/**
 * WatchLab: one per lab for as long as the lab runs (started by deploy when it has standbys). A
 * heartbeating activity probes every worker group's primary and returns when one is lost; the
 * workflow then starts FailoverNode for that group as a child, with the detection's reason in its
 * input (so in history). The child's id is the group's failover id, shared with the `failover`
 * command, so at most one failover per group runs at a time. The watch resumes on another worker
 * after a crash (the activity is retried) and continues as new every few rounds to bound its history.
 */
import { WorkflowExecutionAlreadyStartedError } from '@temporalio/common';
import {
  ParentClosePolicy,
  continueAsNew,
  patched,
  proxyActivities,
  startChild,
  type ChildWorkflowHandle,
} from '@temporalio/workflow';
import type { LabActivities } from '../../activities/index.js';
import { WATCH_DEFAULTS } from './watchDefaults.js';
import { LAB_CLUSTER, LAB_ENV } from '../../temporal/searchAttributes.js';
import { labWorkflowId } from '../inputs.js';
import { FAILOVER_TAKEOVER_PATCH } from '../patches.js';
import { failoverNode } from './failoverNode.js';
import type { WatchLabInput, WatchLabResult, WatchedFailover } from './failoverTypes.js';

/** Watch activities per run before continueAsNew: each adds a handful of events. */
const ROUNDS_PER_RUN = 50;
const KEEP_FAILOVERS = 20;

export async function watchLab(input: WatchLabInput): Promise<WatchLabResult> {
  const { spec } = input;
  const options = input.options ?? {};
  const watchMs = (options.watchSeconds ?? WATCH_DEFAULTS.maxDurationMs / 1000) * 1000;
  const watch = proxyActivities<LabActivities>({
    startToCloseTimeout: `${Math.ceil(watchMs / 1000) + 60}s`,
    heartbeatTimeout: '5s',
    // Retried without end: a dead worker's watch continues on the next one.
    retry: { initialInterval: '200ms', backoffCoefficient: 2, maximumInterval: '5s' },
  });
  const failovers: WatchedFailover[] = [...(input.failovers ?? [])];
  const active = new Map<string, ChildWorkflowHandle<typeof failoverNode>>();
  const finished = new Set<string>();

  for (let round = 0; round < ROUNDS_PER_RUN; round++) {
    for (const group of finished) active.delete(group);
    finished.clear();
    const outcome = await watch.watchPrimaries(spec, {
      intervalMs: options.intervalMs ?? WATCH_DEFAULTS.intervalMs,
      failures: options.failures ?? WATCH_DEFAULTS.failures,
      frozenGraceMs: options.frozenGraceMs ?? WATCH_DEFAULTS.frozenGraceMs,
      restartGraceMs: options.restartGraceMs ?? WATCH_DEFAULTS.restartGraceMs,
      maxDurationMs: watchMs,
      skip: [...active.keys()],
    });
    if (outcome.kind === 'stopped') return { cluster: spec.cluster, ended: 'lab stopped', failovers };
    if (outcome.kind !== 'lost') continue;
    const { loss } = outcome;
    const workflowId = labWorkflowId(spec, `failover-${loss.group}`);
    let action: WatchedFailover['action'] = 'started';
    try {
      const child = await startChild(failoverNode, {
        workflowId,
        // The plan from the probe round that found the loss saves FailoverNode its plan activity.
        args: [{ spec, node: loss.group, reason: `WatchLab: ${loss.reason}`, ...(loss.plan && patched(FAILOVER_TAKEOVER_PATCH) ? { plan: loss.plan } : {}) }],
        // A failover in flight outlives this run (continueAsNew) and the watch itself.
        parentClosePolicy: ParentClosePolicy.ABANDON,
        typedSearchAttributes: [
          { key: LAB_ENV, value: spec.env },
          { key: LAB_CLUSTER, value: spec.cluster },
        ],
      });
      active.set(loss.group, child);
      void child.result().then(
        () => finished.add(loss.group),
        () => finished.add(loss.group),
      );
    } catch (err) {
      if (!(err instanceof WorkflowExecutionAlreadyStartedError)) throw err;
      action = 'already-running';
    }
    failovers.push({ group: loss.group, reason: loss.reason, detectedAt: loss.detectedAt, workflowId, action });
  }
  // Children in flight finish first, so the next run does not see their group as lost again.
  await Promise.all([...active.values()].map((c) => c.result().catch(() => undefined)));
  return continueAsNew<typeof watchLab>({ ...input, failovers: failovers.slice(-KEEP_FAILOVERS) });
}
