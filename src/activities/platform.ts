/** Activities that drive the platform (start, stop, observe nodes) through the environment interface. */
import type { LabSpec } from '../config/labSpec.js';
import { heartbeatIfActivity } from './activityContext.js';
import type { ActivityDeps } from './index.js';
import type { NodeState, ProvisionResult, StartResult } from './results.js';

export function createPlatformActivities(deps: ActivityDeps) {
  return {
    async preflight(spec: LabSpec): Promise<void> {
      await (await deps.environmentFor(spec)).preflight();
    },

    async provisionPlatform(spec: LabSpec): Promise<ProvisionResult> {
      return (await deps.environmentFor(spec)).provision(heartbeatIfActivity);
    },

    async startNodes(spec: LabSpec): Promise<StartResult> {
      return (await deps.environmentFor(spec)).startNodes(heartbeatIfActivity);
    },

    async nodeStates(spec: LabSpec): Promise<NodeState[]> {
      return (await deps.environmentFor(spec)).status();
    },

    async teardownPlatform(spec: LabSpec, options: { removeData: boolean }): Promise<void> {
      await (await deps.environmentFor(spec)).teardown(options);
    },
  };
}
