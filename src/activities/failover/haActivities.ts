/** The activities of standbys, failover, switchover and the watch; each resolves the lab's environment and delegates. */
import type { LabSpec } from '../../config/labSpec.js';
import type { RebuildResult, StandbysResult } from '../../environments/haControl.js';
import { heartbeatIfActivity } from '../activityContext.js';
import type { ActivityDeps } from '../index.js';
import { fenceMember, planFailover, promoteMember, rebuildMember, takeOverGroup, updateGroupNode } from './failoverSteps.js';
import type { FailoverPlan, NodeUpdate, SwitchoverOutcome, TakeoverOutcome, WatchOutcome } from './failoverTypes.js';
import type { FaultInjected } from '../postgres/drill/drillTypes.js';
import { groupRecovery, healNodeFault, type GroupRecovery } from './drillFaults.js';
import { requireHa } from './memberClient.js';
import { switchoverGroup } from './switchover.js';
import { watchPrimaries, type WatchOptions } from './watchPrimaries.js';

export function createHaActivities(deps: ActivityDeps) {
  const env = async (spec: LabSpec) => deps.environmentFor(spec);
  return {
    async ensureStandbys(spec: LabSpec): Promise<StandbysResult> {
      return requireHa(await env(spec)).ensureStandbys(heartbeatIfActivity);
    },
    async planFailover(spec: LabSpec, group: string, target?: string): Promise<FailoverPlan> {
      return planFailover(await env(spec), group, target);
    },
    async fenceMember(spec: LabSpec, member: string, how: 'fast' | 'kill'): Promise<{ member: string; wasRunning: boolean; at: number }> {
      return { ...(await fenceMember(await env(spec), member, how)), at: Date.now() };
    },
    async promoteMember(spec: LabSpec, member: string): Promise<{ member: string; alreadyPrimary: boolean; at: number }> {
      return promoteMember(await env(spec), member);
    },
    async updateGroupNode(spec: LabSpec, group: string, member: string): Promise<NodeUpdate> {
      return updateGroupNode(await env(spec), group, member);
    },
    async takeOverGroup(spec: LabSpec, plan: FailoverPlan): Promise<TakeoverOutcome> {
      return takeOverGroup(await env(spec), plan, deps.afterTakeoverPart);
    },
    async rebuildMember(spec: LabSpec, member: string): Promise<RebuildResult> {
      return rebuildMember(await env(spec), member);
    },
    /** `plan`: recorded by the workflow (since SWITCHOVER_PLAN_PATCH), so a retry knows what it was doing. */
    async switchoverGroup(spec: LabSpec, group: string, target?: string, plan?: FailoverPlan): Promise<SwitchoverOutcome> {
      return switchoverGroup(await env(spec), group, { ...(target ? { target } : {}), ...(plan ? { plan } : {}) });
    },
    async healNodeFault(spec: LabSpec, node: string): Promise<void> {
      await healNodeFault(await env(spec), node);
    },
    async groupRecovery(spec: LabSpec, fault: FaultInjected): Promise<GroupRecovery> {
      return groupRecovery(await env(spec), fault);
    },
    async watchPrimaries(spec: LabSpec, options: WatchOptions): Promise<WatchOutcome> {
      return watchPrimaries(await env(spec), options);
    },
  };
}
