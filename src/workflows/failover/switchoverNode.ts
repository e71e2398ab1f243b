/**
 * SwitchoverNode: a planned change of primary in a worker group, with writes paused (not failed)
 * while it happens. The plan (which standby) is recorded first, so a retried switchover acts on the
 * same members. The pause, the clean stop of the old primary, the catch-up and the promotion are
 * one activity (switchoverGroup): the coordinator transaction that holds the writes cannot span
 * activities, and no Temporal round trip belongs inside the pause. Then the old primary becomes a
 * standby of the new one, and the report gives the pause and where it went.
 */
import { patched, proxyActivities, upsertSearchAttributes } from '@temporalio/workflow';
import type { FailoverPlan } from '../../activities/failover/failoverTypes.js';
import type { LabActivities } from '../../activities/index.js';
import { LAB_OUTCOME } from '../../temporal/searchAttributes.js';
import { SQL_STEP } from '../activityOptions.js';
import { failureMessage } from '../failureMessage.js';
import { reportFailure } from '../failureReport.js';
import { StepRunner } from '../stepRunner.js';
import { SWITCHOVER_PLAN_PATCH } from '../patches.js';
import { FAST_HA_STEP, REBUILD_STEP, SWITCHOVER_STEP } from './failoverOptions.js';
import type { SwitchoverNodeInput, SwitchoverNodeResult } from './failoverTypes.js';

export const SWITCHOVER_STEPS = ['cluster-idle', 'plan', 'switchover', 'rebuild', 'report'] as const;

export async function switchoverNode(input: SwitchoverNodeInput): Promise<SwitchoverNodeResult> {
  const { spec, node } = input;
  const sql = proxyActivities<LabActivities>(SQL_STEP);
  const fast = proxyActivities<LabActivities>(FAST_HA_STEP);
  const ha = proxyActivities<LabActivities>(SWITCHOVER_STEP);
  const slow = proxyActivities<LabActivities>(REBUILD_STEP);
  const steps = new StepRunner('SwitchoverNode', spec.cluster, SWITCHOVER_STEPS);
  const title = `Switchover of ${node} in lab ${spec.cluster} (${spec.env})`;
  try {
    await steps.run('cluster-idle', () => sql.assertClusterIdle(spec, `switchover --node ${node}`), () => 'no other operation runs');
    let plan: FailoverPlan | undefined;
    if (patched(SWITCHOVER_PLAN_PATCH)) {
      plan = await steps.run('plan', () => fast.planFailover(spec, node, input.target), (p) => `${p.oldPrimary} -> ${p.candidate}`);
    } else {
      steps.skip('plan', 'planned inside the switchover step (a run of an earlier version)');
    }
    const switchover = await steps.run(
      'switchover',
      () => (plan ? ha.switchoverGroup(spec, node, input.target, plan) : ha.switchoverGroup(spec, node, input.target)),
      (s) => `${s.oldPrimary} -> ${s.newPrimary}; writes paused ${s.pauseMs} ms${s.phases ? ` (${Object.entries(s.phases).map(([k, v]) => `${k} ${v}`).join(', ')})` : ''}`,
    );
    let rebuild: SwitchoverNodeResult['rebuild'];
    let rebuildError: string | undefined;
    try {
      rebuild = await steps.run('rebuild', () => slow.rebuildMember(spec, switchover.oldPrimary), (r) => `${r.member} streams again (${r.method}, ${r.durationMs} ms)`);
    } catch (err) {
      rebuildError = failureMessage(err);
    }
    const status = 'PASS' as const;
    const reports = await steps.run('report', () =>
      sql.writeReport(spec, {
        kind: 'switchover',
        title,
        status,
        summary: {
          node,
          'old primary': switchover.oldPrimary,
          'new primary': switchover.newPrimary,
          'writes paused (ms)': switchover.pauseMs,
          rebuild: rebuild ? `${rebuild.method} in ${rebuild.durationMs} ms` : `failed: ${rebuildError ?? ''}`,
        },
        checks: [],
        steps: steps.steps(),
        data: { switchover, rebuild, rebuildError },
      }),
    );
    upsertSearchAttributes([{ key: LAB_OUTCOME, value: status }]);
    return {
      status,
      cluster: spec.cluster,
      node,
      switchover,
      ...(rebuild ? { rebuild } : {}),
      ...(rebuildError ? { rebuildError } : {}),
      reports,
      steps: steps.steps(),
    };
  } catch (err) {
    await reportFailure(sql, spec, { kind: 'switchover', title: `${title} FAILED`, summary: { node, error: failureMessage(err) }, steps: steps.steps() }, err);
    throw err;
  }
}
