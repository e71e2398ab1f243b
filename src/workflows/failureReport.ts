/**
 * What a lab workflow does on its way out after a failure: mark the run FAIL for the Web UI and write
 * a FAIL report, best effort and even while the run is being cancelled (so nothing is lost), then let
 * the caller rethrow the original failure.
 */
import { CancellationScope, upsertSearchAttributes } from '@temporalio/workflow';
import type { LabActivities } from '../activities/index.js';
import type { ReportInput } from '../activities/results.js';
import type { LabSpec } from '../config/labSpec.js';
import { LAB_OUTCOME } from '../temporal/searchAttributes.js';

export async function reportFailure(
  activities: Pick<LabActivities, 'writeReport'>,
  spec: LabSpec,
  report: Omit<ReportInput, 'status'>,
): Promise<void> {
  upsertSearchAttributes([{ key: LAB_OUTCOME, value: 'FAIL' }]);
  await CancellationScope.nonCancellable(() =>
    activities.writeReport(spec, { ...report, status: 'FAIL' }).then(
      () => undefined,
      () => undefined,
    ),
  );
}
