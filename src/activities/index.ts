/**
 * Every side effect of the lab, as Temporal activities. Built by a factory so tests (and other
 * environments) hand in their own dependencies; workflows import only the *type* of this object.
 */
import type { LabSpec } from '../config/labSpec.js';
import type { LabEnvironment } from '../environments/labEnvironment.js';
import { resolveEnvironment } from '../environments/index.js';
import { createApiActivities } from './api/index.js';
import { withLabErrors } from './failures.js';
import type { TakeoverHook } from './failover/failoverSteps.js';
import { createHaActivities } from './failover/haActivities.js';
import { withKeepAlive } from './keepAlive.js';
import { createPlatformActivities } from './platform.js';
import { createPostgresActivities } from './postgres/index.js';
import { createDrillActivities } from './postgres/drill/drillActivities.js';
import { createRebalanceActivities } from './postgres/rebalance/rebalanceActivities.js';
import { createReportActivities } from './reports.js';
import { createClusterLockActivities } from './temporal/clusterLock.js';

export interface ActivityDeps {
  /** Which platform hosts a lab; defaults to the one named in the spec. */
  environmentFor(spec: LabSpec): LabEnvironment | Promise<LabEnvironment>;
  /** Where reports go; defaults to `<dataDir>/<cluster>/reports`. */
  reportsDir?(spec: LabSpec): string;
  /** Called after each part of a failover's takeover (crash tests stop the worker there). */
  afterTakeoverPart?: TakeoverHook;
}

export const defaultDeps: ActivityDeps = { environmentFor: resolveEnvironment };

export function createActivities(deps: ActivityDeps = defaultDeps) {
  // Every activity heartbeats while it runs, so a killed worker's activity is retried within its
  // heartbeat timeout (src/workflows/activityOptions.ts), not its start-to-close timeout.
  return withKeepAlive(withLabErrors({
    ...createPlatformActivities(deps),
    ...createApiActivities(deps),
    ...createPostgresActivities(deps),
    ...createDrillActivities(deps),
    ...createRebalanceActivities(deps),
    ...createReportActivities(deps),
    ...createClusterLockActivities(),
    ...createHaActivities(deps),
  }));
}

export type LabActivities = ReturnType<typeof createActivities>;
