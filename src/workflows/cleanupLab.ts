import { patched, proxyActivities } from '@temporalio/workflow';
import type { LabActivities } from '../activities/index.js';
import { PLATFORM_STEP } from './activityOptions.js';
import { CLUSTER_LOCK_PATCH } from './patches.js';
import type { CleanupInput } from './inputs.js';
import type { CleanupLabResult } from './results.js';
import { StepRunner } from './stepRunner.js';

const platform = proxyActivities<LabActivities>(PLATFORM_STEP);

/** Stops the lab; deletes its data only when asked (`cleanup --volumes`). */
export async function cleanupLab({ spec, removeData }: CleanupInput): Promise<CleanupLabResult> {
  const steps = new StepRunner('CleanupLab', spec.cluster, ['teardown']);
  if (patched(CLUSTER_LOCK_PATCH)) await platform.assertClusterIdle(spec, 'cleanup');
  await steps.run(
    'teardown',
    () => platform.teardownPlatform(spec, { removeData }),
    () => (removeData ? 'stopped, data removed' : 'stopped, data kept'),
  );
  return { cluster: spec.cluster, env: spec.env, removedData: removeData, steps: steps.steps() };
}
