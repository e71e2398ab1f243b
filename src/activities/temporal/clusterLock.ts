/**
 * One operation at a time per cluster. A mutating workflow calls `assertClusterIdle` first: if
 * visibility shows another mutating lab workflow running on the same env + cluster, it is refused
 * with a ClusterBusy failure that names the other run (refuse, not wait: a scheduled drill that
 * meets a deploy should fail loudly and be visible in the Web UI rather than queue behind it).
 * Read-only workflows (status, verify) never block anyone.
 */
import { Context } from '@temporalio/activity';
import type { LabSpec } from '../../config/labSpec.js';
import { LabError } from '../../errors.js';
import { LAB_CLUSTER, LAB_ENV } from '../../temporal/searchAttributes.js';

// watchLab runs for the lab's whole life and changes nothing itself (its FailoverNode children do).
const READ_ONLY_WORKFLOWS: ReadonlySet<string> = new Set(['verifyLab', 'labStatus', 'watchLab']);

/** Ids of one family (a run, its children, its parent) share a prefix; see workflows/labChildren.ts. */
function sameFamily(a: string, b: string): boolean {
  return a === b || a.startsWith(`${b}-`) || b.startsWith(`${a}-`);
}

export function createClusterLockActivities() {
  return {
    async assertClusterIdle(spec: LabSpec, operation: string): Promise<void> {
      const ctx = Context.current();
      const self = ctx.info.workflowExecution?.workflowId ?? '';
      // env and cluster are validated identifiers (labSpec.ts), so they are safe inside the query.
      const query = `ExecutionStatus = "Running" AND ${LAB_CLUSTER.name} = "${spec.cluster}" AND ${LAB_ENV.name} = "${spec.env}"`;
      for await (const run of ctx.client.workflow.list({ query })) {
        if (sameFamily(run.workflowId, self) || READ_ONLY_WORKFLOWS.has(run.type)) continue;
        throw new LabError(
          'ClusterBusy',
          `Cluster ${spec.cluster} (${spec.env}) is busy: ${run.type} ${run.workflowId} has been running since ${run.startTime.toISOString()}. ` +
            `Wait for it to finish (or cancel it), then run ${operation} again.`,
          { details: { workflowId: run.workflowId, runId: run.runId, type: run.type } },
        );
      }
    },
  };
}
