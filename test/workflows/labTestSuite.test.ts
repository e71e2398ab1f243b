/**
 * LabTestSuite on the real dev server with activities replaced (the cluster lock is the real one, so
 * the `all` suite's child drill proves it passes its parent's lock).
 */
import { ApplicationFailure } from '@temporalio/common';
import type { LabActivities } from '../../src/activities/index.js';
import { withLabErrors } from '../../src/activities/failures.js';
import type { ReportInput } from '../../src/activities/results.js';
import { createClusterLockActivities } from '../../src/activities/temporal/clusterLock.js';
import { LAB_CLUSTER, LAB_ENV, LAB_OUTCOME } from '../../src/temporal/searchAttributes.js';
import { labTestSuite } from '../../src/workflows/index.js';
import type { LabTestSuiteInput, SuiteName } from '../../src/workflows/drill/haDrillTypes.js';
import { createFakeActivities, testSpec } from '../support/fakeActivities.js';
import { connectTemporal, createTestWorker, uniqueTaskQueue, type TestTemporal } from '../support/temporal.js';

let t: TestTemporal;
beforeAll(async () => {
  t = await connectTemporal();
});
afterAll(async () => {
  await t?.close();
});

async function runSuite(suite: SuiteName, overrides: Partial<LabActivities> = {}) {
  const calls: string[] = [];
  const reports: ReportInput[] = [];
  const taskQueue = uniqueTaskQueue(`suite-${suite}`);
  const fakes = createFakeActivities((a, d) => calls.push(d ? `${a}(${d})` : a), { ...withLabErrors(createClusterLockActivities()), ...overrides });
  const worker = await createTestWorker(t, taskQueue, {
    ...fakes,
    async writeReport(spec: Parameters<LabActivities['writeReport']>[0], input: ReportInput) {
      reports.push(input);
      return fakes.writeReport(spec, input);
    },
  });
  const cluster = `suite-${suite}-${Date.now().toString(36)}`;
  const spec = testSpec({ cluster });
  const { result, outcome } = await worker.runUntil(async () => {
    const handle = await t.client.workflow.start(labTestSuite, {
      taskQueue,
      workflowId: `citus-lab-local-${cluster}-test-${suite}`,
      args: [{ spec, suite, cadenceMs: 50 } satisfies LabTestSuiteInput],
      typedSearchAttributes: [
        { key: LAB_ENV, value: 'local' },
        { key: LAB_CLUSTER, value: cluster },
      ],
    });
    const result = await handle.result();
    return { result, outcome: (await handle.describe()).typedSearchAttributes.get(LAB_OUTCOME) };
  });
  return { result, outcome, calls, reports };
}

test('basic: node checks only, the rest skipped, a report named for the suite', async () => {
  const { result, outcome, calls, reports } = await runSuite('basic');
  expect(result).toMatchObject({ status: 'PASS', suite: 'basic', passed: 2, total: 2 });
  expect(result.suiteDatabase).toBeUndefined();
  expect(outcome).toBe('PASS');
  expect(calls).toEqual(['suiteBasicChecks', 'writeReport(tests-basic:PASS)']);
  expect(result.steps.filter((s) => s.status === 'skipped').map((s) => s.name)).toEqual(['suite-database', 'schema', 'sample-data', 'queries', 'ha-drill']);
  expect(reports[0]?.summary).toMatchObject({ suite: 'basic', checks: 2, passed: 2, 'pass rate (%)': 100 });
});

test('complete: the suite database gets Citus, the schema and 1000 patients, then the query checks', async () => {
  const { result, calls } = await runSuite('complete');
  expect(result.status).toBe('PASS');
  expect(result.suiteDatabase).toBe('hce_distribuida_suite');
  expect(result.checks.map((c) => [c.name, c.status])).toEqual([
    ['connectivity coordinator', 'PASS'],
    ['workers registered', 'PASS'],
    ['suite database hce_distribuida_suite', 'PASS'],
    ['distributed schema present', 'PASS'],
    ['1000 patients + 3000 observations loaded', 'PASS'],
    ['co-located join', 'PASS'],
  ]);
  // The query checks ran against the suite database with the suite's 1000 patients.
  expect(result.checks.find((c) => c.name === 'co-located join')?.message).toBe('3000 rows');
  expect(calls).toContain('suiteQueryChecks(hce_distribuida_suite)');
  expect(calls).toContain('registerWorker(worker-1)');
  expect(calls).not.toContain('runProbes');
});

test('all: complete plus an HA drill as a child, which passes its parent lock', async () => {
  const { result, calls } = await runSuite('all');
  expect(result.status).toBe('PASS');
  expect(result.checks.at(-1)).toMatchObject({ name: 'HA drill (worker-0)', status: 'PASS' });
  expect(result.checks.at(-1)?.message).toMatch(/^PASS: detected after 20 ms, first distributed query 320 ms after the kill, 0 of 37 committed writes lost/);
  // The child drill probes the API too (API_DRILL_PATCH): its failed-node read is the last class back, at 340 ms.
  expect(result.drill).toMatchObject({ status: 'PASS', node: 'worker-0', metrics: { recoveryMs: 340 } });
  expect(calls).toEqual(expect.arrayContaining(['injectNodeFault(worker-0)', 'writeReport(ha-drill:PASS)', 'writeReport(tests-all:PASS)']));
});

test('a failing check fails the suite (non-zero exit) and keeps the drill from running', async () => {
  const { result, outcome, calls, reports } = await runSuite('all', {
    async loadSampleData() {
      throw ApplicationFailure.nonRetryable('the sample tables already hold rows that are not the sample data set for 1000 patients', 'ConfigInvalid');
    },
  });
  expect(result.status).toBe('FAIL');
  expect(outcome).toBe('FAIL');
  expect(result.checks.find((c) => c.name === '1000 patients + 3000 observations loaded')).toMatchObject({
    status: 'FAIL',
    message: 'the sample tables already hold rows that are not the sample data set for 1000 patients',
  });
  expect(result.checks.at(-1)).toMatchObject({ name: 'HA drill', status: 'FAIL', message: 'not run: 1 earlier checks failed' });
  expect(calls).not.toContain('injectNodeFault(worker-0)');
  expect(reports.at(-1)).toMatchObject({ kind: 'tests-all', status: 'FAIL' });
  expect(result.passed).toBe(result.total - 2);
});
