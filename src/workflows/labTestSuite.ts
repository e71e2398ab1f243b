/**
 * LabTestSuite: the seed's `run_tests.sh basic|complete|all` as one workflow.
 * - basic: every node answers and has Citus, the workers are registered, every node is healthy;
 * - complete: basic + in the suite's own database (`<database>_suite`, so the lab's data is left
 *   alone) the distributed schema, 1000 patients + 3000 observations, shards on every worker, and
 *   distributed SELECT / co-located JOIN / aggregates returning exactly the expected values;
 * - all: complete + an HA drill (child workflow) on that data.
 * Every check is PASS or FAIL with its output; the run ends with a timestamped Markdown + JSON report
 * and the status the CLI turns into its exit code.
 */
import { proxyActivities, upsertSearchAttributes } from '@temporalio/workflow';
import type { LabActivities } from '../activities/index.js';
import type { CheckResult } from '../activities/results.js';
import { LAB_OUTCOME } from '../temporal/searchAttributes.js';
import { DATA_STEP, SQL_STEP } from './activityOptions.js';
import { failureMessage } from './failureMessage.js';
import { haDrill } from './drill/haDrill.js';
import { SUITE_PATIENTS, suiteDatabase, type LabTestSuiteInput, type LabTestSuiteResult } from './drill/haDrillTypes.js';
import { childOptions, executeChild } from './labChildren.js';
import { registerWorkers } from './registerWorkers.js';
import { StepRunner } from './stepRunner.js';

const SUITE_STEPS = ['cluster-idle', 'basic', 'suite-database', 'schema', 'sample-data', 'queries', 'ha-drill', 'report'] as const;
type SuiteStep = (typeof SUITE_STEPS)[number];

const sql = proxyActivities<LabActivities>(SQL_STEP);
const data = proxyActivities<LabActivities>(DATA_STEP);

export async function labTestSuite(input: LabTestSuiteInput): Promise<LabTestSuiteResult> {
  const { spec, suite } = input;
  const steps = new StepRunner('LabTestSuite', spec.cluster, SUITE_STEPS);
  const checks: CheckResult[] = [];
  const failedSoFar = () => checks.filter((c) => c.status === 'FAIL').length;

  /** One check from a step: PASS with `describe(result)`, FAIL with the failure's own sentence. */
  async function checkStep<T>(step: SuiteStep, name: string, fn: () => Promise<T>, describe: (r: T) => string): Promise<T | undefined> {
    const startedAt = Date.now();
    try {
      const result = await steps.run(step, fn, describe);
      checks.push({ name, status: 'PASS', message: describe(result), durationMs: Date.now() - startedAt });
      return result;
    } catch (err) {
      checks.push({ name, status: 'FAIL', message: failureMessage(err), durationMs: Date.now() - startedAt });
      return undefined;
    }
  }

  // The suite loads data and may kill a node: it takes the cluster like any mutating operation.
  await steps.run('cluster-idle', () => sql.assertClusterIdle(spec, `test ${suite}`), () => 'no other operation runs');

  const basic = await steps.run('basic', () => sql.suiteBasicChecks(spec), (r) => `${r.filter((c) => c.status === 'PASS').length}/${r.length} passed`);
  checks.push(...basic);

  const suiteSpec = { ...spec, database: suiteDatabase(spec.database), patients: SUITE_PATIENTS };
  let drill: LabTestSuiteResult['drill'];
  if (suite === 'basic') {
    for (const step of ['suite-database', 'schema', 'sample-data', 'queries', 'ha-drill'] as const) steps.skip(step, 'not in the basic suite');
  } else {
    await checkStep(
      'suite-database',
      `suite database ${suiteSpec.database}`,
      () => executeChild(registerWorkers, { args: [{ spec: suiteSpec }], ...childOptions(spec, 'suite-database') }),
      (r) => `citus on ${r.databases.length} nodes, ${r.active.active.length} workers registered${r.unchanged ? ' (already in place)' : ''}`,
    );
    await checkStep('schema', 'distributed schema present', () => sql.applySchema(suiteSpec), (r) =>
      r.created.length ? `created ${r.created.join(', ')}; ${r.existing.length} already there` : `all ${r.existing.length} tables distributed as planned`,
    );
    await checkStep('sample-data', `${SUITE_PATIENTS} patients + ${SUITE_PATIENTS * 3} observations loaded`, () => data.loadSampleData(suiteSpec), (r) =>
      r.skipped
        ? `already loaded: pacientes ${r.rows.pacientes}, observaciones ${r.rows.observaciones}`
        : `loaded pacientes ${r.rows.pacientes}, observaciones ${r.rows.observaciones} at ${r.rowsPerSecond} rows/s`,
    );
    const queries = await steps.run('queries', () => sql.suiteQueryChecks(suiteSpec), (r) => `${r.filter((c) => c.status === 'PASS').length}/${r.length} passed`);
    checks.push(...queries);

    if (suite !== 'all') {
      steps.skip('ha-drill', `not in the ${suite} suite`);
    } else if (failedSoFar() > 0) {
      // A drill on a cluster that already fails its checks would measure the old failure, not the fault.
      steps.skip('ha-drill', 'earlier checks failed');
      checks.push({ name: 'HA drill', status: 'FAIL', message: `not run: ${failedSoFar()} earlier checks failed`, durationMs: 0 });
    } else {
      const node = input.drillNode ?? 'worker-0';
      const name = `HA drill (${node})`;
      const startedAt = Date.now();
      try {
        const r = await steps.run(
          'ha-drill',
          () =>
            executeChild(haDrill, {
              args: [{ spec: suiteSpec, node, ...(input.cadenceMs ? { cadenceMs: input.cadenceMs } : {}) }],
              ...childOptions(spec, 'ha-drill'),
            }),
          (d) => d.status,
        );
        drill = { status: r.status, node: r.node, metrics: r.metrics, reports: r.reports };
        const failed = r.checks.filter((c) => c.status === 'FAIL').map((c) => `${c.name}: ${c.message}`);
        checks.push({
          name,
          status: r.status,
          message:
            `${r.status}: detected after ${r.metrics.detectMs ?? 'n/a'} ms, first distributed query ${r.metrics.firstDistributedQueryMs ?? 'n/a'} ms ` +
            `after the kill, ${r.after?.writes.lost ?? '?'} of ${r.after?.writes.committed ?? '?'} committed writes lost` +
            `${failed.length ? `; ${failed.join('; ')}` : ''} (report ${r.reports.markdown})`,
          durationMs: Date.now() - startedAt,
        });
      } catch (err) {
        checks.push({ name, status: 'FAIL', message: failureMessage(err), durationMs: Date.now() - startedAt });
      }
    }
  }

  const passed = checks.filter((c) => c.status === 'PASS').length;
  const status = passed === checks.length && checks.length > 0 ? 'PASS' : 'FAIL';
  const durationMs = steps.elapsedMs();
  const reports = await steps.run(
    'report',
    () =>
      sql.writeReport(spec, {
        kind: `tests-${suite}`,
        title: `Lab tests (${suite}) of lab ${spec.cluster} (${spec.env})`,
        status,
        summary: {
          suite,
          cluster: spec.cluster,
          env: spec.env,
          status,
          checks: checks.length,
          passed,
          'pass rate (%)': checks.length ? Math.round((passed / checks.length) * 1000) / 10 : 0,
          ...(suite === 'basic' ? {} : { 'suite database': suiteSpec.database }),
          'duration (s)': Math.round(durationMs / 100) / 10,
        },
        checks,
        steps: steps.steps(),
        data: { drill },
      }),
    (r) => r.markdown,
  );
  upsertSearchAttributes([{ key: LAB_OUTCOME, value: status }]);
  return {
    status,
    suite,
    cluster: spec.cluster,
    env: spec.env,
    ...(suite === 'basic' ? {} : { suiteDatabase: suiteSpec.database }),
    checks,
    passed,
    total: checks.length,
    ...(drill ? { drill } : {}),
    durationMs,
    reports,
    steps: steps.steps(),
  };
}
