/**
 * What a lab workflow does on its way out after a failure: mark the run FAIL for the Web UI and write
 * a FAIL report, best effort and even while the run is being cancelled (so nothing is lost), then let
 * the caller rethrow the original failure. A refusal (bad input, busy cluster, nothing deployed) is
 * not a run that did something worth a report: it writes nothing to disk.
 */
import { CancellationScope, patched, proxyActivities, upsertSearchAttributes } from '@temporalio/workflow';
import type { LabActivities } from '../activities/index.js';
import type { ReportInput } from '../activities/results.js';
import type { LabSpec } from '../config/labSpec.js';
import { REFUSAL_TYPES } from '../errors.js';
import { LAB_OUTCOME } from '../temporal/searchAttributes.js';
import { FAILURE_REPORT_STEP } from './activityOptions.js';
import { failureType } from './failureMessage.js';
import { BEST_EFFORT_FAILURE_REPORT_PATCH } from './patches.js';

const bestEffort = proxyActivities<Pick<LabActivities, 'writeFailureReport'>>(FAILURE_REPORT_STEP);

export async function reportFailure(
  activities: Pick<LabActivities, 'writeReport'>,
  spec: LabSpec,
  report: Omit<ReportInput, 'status'>,
  failure: unknown,
): Promise<void> {
  upsertSearchAttributes([{ key: LAB_OUTCOME, value: 'FAIL' }]);
  const ignore = () => undefined;
  if (patched(BEST_EFFORT_FAILURE_REPORT_PATCH)) {
    if (REFUSAL_TYPES.has(failureType(failure) ?? '')) return;
    await CancellationScope.nonCancellable(() => bestEffort.writeFailureReport(spec, { ...report, status: 'FAIL' }).then(ignore, ignore));
    return;
  }
  // Runs recorded before the patch wrote their report with the caller's (retrying) activity options.
  await CancellationScope.nonCancellable(() => activities.writeReport(spec, { ...report, status: 'FAIL' }).then(ignore, ignore));
}
