/**
 * FailoverNode: a worker group's primary is gone (or must go); its most advanced standby takes over.
 *
 * plan (standby positions, recorded so a resumed run acts on the same members) -> fence the old
 * primary (fenced in the topology first, standby.signal, then every process killed: it can never come
 * back as a second primary) -> promote the candidate -> citus_update_node on the coordinator (writes
 * resume here; since failover-takeover-v1 these three are one activity, one round trip) -> rebuild the old primary as a standby of the new one (pg_rewind, else a base
 * backup) -> report. Each step is idempotent, so a worker killed at any point resumes cleanly.
 */
import { patched, proxyActivities, upsertSearchAttributes } from '@temporalio/workflow';
import type { NodeUpdate } from '../../activities/failover/failoverTypes.js';
import type { LabActivities } from '../../activities/index.js';
import { LAB_OUTCOME } from '../../temporal/searchAttributes.js';
import { SQL_STEP } from '../activityOptions.js';
import { failureMessage } from '../failureMessage.js';
import { reportFailure } from '../failureReport.js';
import { FAILOVER_TAKEOVER_PATCH } from '../patches.js';
import { StepRunner } from '../stepRunner.js';
import { FAST_HA_STEP, REBUILD_STEP } from './failoverOptions.js';
import type { FailoverNodeInput, FailoverNodeResult } from './failoverTypes.js';

export const FAILOVER_STEPS = ['plan', 'fence', 'promote', 'update-node', 'rebuild', 'report'] as const;

export async function failoverNode(input: FailoverNodeInput): Promise<FailoverNodeResult> {
  const { spec, node } = input;
  const reason = input.reason ?? 'requested (failover command)';
  const ha = proxyActivities<LabActivities>(FAST_HA_STEP);
  const slow = proxyActivities<LabActivities>(REBUILD_STEP);
  const sql = proxyActivities<LabActivities>(SQL_STEP);
  const steps = new StepRunner('FailoverNode', spec.cluster, FAILOVER_STEPS);
  const title = `Failover of ${node} in lab ${spec.cluster} (${spec.env})`;
  try {
    const takeover = patched(FAILOVER_TAKEOVER_PATCH);
    const given = takeover ? input.plan : undefined;
    const plan = await steps.run(
      'plan',
      () => (given ? Promise.resolve(given) : ha.planFailover(spec, node, input.target)),
      (p) => `${p.oldPrimary} -> ${p.candidate}${given ? " (WatchLab's probes)" : ''}`,
    );
    const fenceDetail = (f: { member: string; wasRunning: boolean }) => `${f.member} fenced${f.wasRunning ? ' (was running)' : ''}`;
    const promoteDetail = (p: { member: string; alreadyPrimary: boolean }) => `${p.member} ${p.alreadyPrimary ? 'was already' : 'is now'} primary`;
    const updateDetail = (u: NodeUpdate) => (u.changed ? `${u.from} -> ${u.to}` : `already ${u.to}`);
    let fence: { member: string; wasRunning: boolean; at: number };
    let promoted: { member: string; alreadyPrimary: boolean; at: number };
    let nodeUpdate: NodeUpdate;
    if (takeover) {
      const t = await steps.runTogether(['fence', 'promote', 'update-node'], () => ha.takeOverGroup(spec, plan), (r) => ({
        fence: { ...r.fence, detail: fenceDetail(r.fence) },
        promote: { ...r.promote, detail: promoteDetail(r.promote) },
        'update-node': { ...r.nodeUpdate, detail: updateDetail(r.nodeUpdate) },
      }));
      fence = { member: t.fence.member, wasRunning: t.fence.wasRunning, at: t.fence.endedAt };
      promoted = { member: t.promote.member, alreadyPrimary: t.promote.alreadyPrimary, at: t.promote.endedAt };
      const u = t.nodeUpdate;
      nodeUpdate = { group: u.group, nodeId: u.nodeId, from: u.from, to: u.to, changed: u.changed, at: u.at };
    } else {
      fence = await steps.run('fence', () => ha.fenceMember(spec, plan.oldPrimary, 'kill'), fenceDetail);
      promoted = await steps.run('promote', () => ha.promoteMember(spec, plan.candidate), promoteDetail);
      nodeUpdate = await steps.run('update-node', () => ha.updateGroupNode(spec, node, plan.candidate), updateDetail);
    }
    const writesBackAfterMs = steps.elapsedMs();
    let rebuild: FailoverNodeResult['rebuild'];
    let rebuildError: string | undefined;
    try {
      rebuild = await steps.run('rebuild', () => slow.rebuildMember(spec, plan.oldPrimary), (r) => `${r.member} streams again (${r.method}, ${r.durationMs} ms)`);
    } catch (err) {
      // The group serves from its new primary; only its redundancy is missing, and the report says so.
      rebuildError = failureMessage(err);
    }
    const status = 'PASS' as const;
    const reports = await steps.run('report', () =>
      sql.writeReport(spec, {
        kind: 'failover',
        title,
        status,
        summary: {
          node,
          reason,
          'old primary': plan.oldPrimary,
          'new primary': plan.candidate,
          'writes back after (ms)': writesBackAfterMs,
          rebuild: rebuild ? `${rebuild.method} in ${rebuild.durationMs} ms` : `failed: ${rebuildError ?? ''}`,
        },
        checks: [],
        steps: steps.steps(),
        data: { plan, fence, promoted, nodeUpdate, rebuild, rebuildError, reason },
      }),
    );
    upsertSearchAttributes([{ key: LAB_OUTCOME, value: status }]);
    return {
      status,
      cluster: spec.cluster,
      node,
      reason,
      plan,
      fencedAt: fence.at,
      promotedAt: promoted.at,
      nodeUpdate,
      ...(rebuild ? { rebuild } : {}),
      ...(rebuildError ? { rebuildError } : {}),
      writesBackAfterMs,
      reports,
      steps: steps.steps(),
    };
  } catch (err) {
    await reportFailure(sql, spec, { kind: 'failover', title: `${title} FAILED`, summary: { node, reason, error: failureMessage(err) }, steps: steps.steps() }, err);
    throw err;
  }
}
