/** The activities of RebalanceAndDrain: each resolves the lab's environment and delegates to its module. */
import type { LabSpec } from '../../../config/labSpec.js';
import type {
  DataSnapshot,
  DrainState,
  IdentityChange,
  IdentityFix,
  JobProgress,
  JobStart,
  JobStartRequest,
  NodeRemoval,
  PreflightReport,
  PreflightRequest,
  SessionMovesRequest,
} from '../../../workflows/rebalance/rebalanceTypes.js';
import type { ActivityDeps } from '../../index.js';
import { snapshotData } from '../dataProof.js';
import { markNodeDraining, removeDrainedNode } from './drainNode.js';
import { followRebalanceJob } from './rebalanceFollow.js';
import { startRebalanceJob, stopRebalanceJob } from './rebalanceJob.js';
import { moveShardsInSession } from './sessionMoves.js';
import { rebalancePreflight } from './rebalancePreflight.js';
import { fixReplicaIdentity } from './replicaIdentity.js';

export function createRebalanceActivities(deps: ActivityDeps) {
  const env = async (spec: LabSpec) => deps.environmentFor(spec);
  return {
    async rebalancePreflight(spec: LabSpec, request: PreflightRequest): Promise<PreflightReport> {
      return rebalancePreflight(await env(spec), request);
    },
    async fixReplicaIdentity(spec: LabSpec, fixes: IdentityFix[]): Promise<IdentityChange[]> {
      return fixReplicaIdentity(await env(spec), fixes);
    },
    async snapshotData(spec: LabSpec): Promise<DataSnapshot> {
      return snapshotData(await env(spec));
    },
    async markNodeDraining(spec: LabSpec, node: string): Promise<DrainState & { changed: boolean }> {
      return markNodeDraining(await env(spec), node);
    },
    async startRebalanceJob(spec: LabSpec, request: JobStartRequest): Promise<JobStart> {
      return startRebalanceJob(await env(spec), request);
    },
    async followRebalanceJob(spec: LabSpec, jobId: number, options: { maxTaskFailures: number }): Promise<JobProgress> {
      return followRebalanceJob(await env(spec), jobId, options);
    },
    async moveShardsInSession(spec: LabSpec, request: SessionMovesRequest): Promise<JobProgress> {
      return moveShardsInSession(await env(spec), request);
    },
    async stopRebalanceJob(spec: LabSpec, target: { jobId?: number; afterJobId: number }): Promise<JobProgress | null> {
      return stopRebalanceJob(await env(spec), target);
    },
    async removeDrainedNode(spec: LabSpec, node: string): Promise<NodeRemoval> {
      return removeDrainedNode(await env(spec), node);
    },
  };
}
