import { patched, proxyActivities, upsertSearchAttributes } from '@temporalio/workflow';
import type { LabActivities } from '../activities/index.js';
import { LAB_OUTCOME } from '../temporal/searchAttributes.js';
import { SQL_STEP, quickHeartbeat } from './activityOptions.js';
import type { LabInput } from './inputs.js';
import { API_VERIFY_PATCH, QUICK_HEARTBEAT_PATCH } from './patches.js';
import type { VerifyLabResult } from './results.js';
import { StepRunner } from './stepRunner.js';

/** Checks a deployed lab end to end and writes the JSON + Markdown reports. A FAIL is a result, not an error. */
export async function verifyLab({ spec }: LabInput): Promise<VerifyLabResult> {
  // Runs recorded before the API checks replay without them.
  const withApi = patched(API_VERIFY_PATCH);
  // A killed worker's check is retried within seconds (added later: older runs keep their timeouts).
  const sql = proxyActivities<LabActivities>(quickHeartbeat(SQL_STEP, patched(QUICK_HEARTBEAT_PATCH)));
  const steps = new StepRunner('VerifyLab', spec.cluster, withApi ? ['checks', 'api-checks', 'report'] : ['checks', 'report']);
  const sqlReport = await steps.run(
    'checks',
    () => sql.runVerification(spec),
    (r) => `${passedOf(r.checks)}/${r.checks.length} checks passed`,
  );
  let report = sqlReport;
  if (withApi) {
    const apiChecks = await steps.run('api-checks', () => sql.runApiChecks(spec), (r) => `${passedOf(r)}/${r.length} API checks passed`);
    const checks = [...sqlReport.checks, ...apiChecks];
    report = { ...sqlReport, checks, status: checks.every((c) => c.status === 'PASS') ? 'PASS' : 'FAIL' };
  }
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
          passed: passedOf(report.checks),
        },
        checks: report.checks,
        data: report,
      }),
    (r) => r.markdown,
  );
  upsertSearchAttributes([{ key: LAB_OUTCOME, value: report.status }]);
  return { ...report, reports, steps: steps.steps() };
}

function passedOf(checks: ReadonlyArray<{ status: string }>): number {
  return checks.filter((c) => c.status === 'PASS').length;
}
