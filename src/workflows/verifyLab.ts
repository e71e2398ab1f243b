import { proxyActivities, upsertSearchAttributes } from '@temporalio/workflow';
import type { LabActivities } from '../activities/index.js';
import { LAB_OUTCOME } from '../temporal/searchAttributes.js';
import { SQL_STEP } from './activityOptions.js';
import type { LabInput } from './inputs.js';
import type { VerifyLabResult } from './results.js';
import { StepRunner } from './stepRunner.js';

const sql = proxyActivities<LabActivities>(SQL_STEP);

/** Checks a deployed lab end to end and writes the JSON + Markdown reports. A FAIL is a result, not an error. */
export async function verifyLab({ spec }: LabInput): Promise<VerifyLabResult> {
  const steps = new StepRunner('VerifyLab', spec.cluster, ['checks', 'report']);
  const report = await steps.run(
    'checks',
    () => sql.runVerification(spec),
    (r) => `${r.checks.filter((c) => c.status === 'PASS').length}/${r.checks.length} checks passed`,
  );
  const reports = await steps.run(
    'report',
    () =>
      sql.writeReport(spec, {
        kind: 'verify',
        title: `Verification of lab ${spec.cluster} (${spec.env})`,
        status: report.status,
        summary: {
          cluster: spec.cluster,
          env: spec.env,
          status: report.status,
          checks: report.checks.length,
          passed: report.checks.filter((c) => c.status === 'PASS').length,
        },
        checks: report.checks,
        data: report,
      }),
    (r) => r.markdown,
  );
  upsertSearchAttributes([{ key: LAB_OUTCOME, value: report.status }]);
  return { ...report, reports, steps: steps.steps() };
}
