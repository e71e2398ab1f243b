/**
 * HaDrill on the real Temporal dev server with activities replaced (the cluster lock is the real one):
 * step order, the numbers and the verdict, refusals that touch nothing, the lock, lost writes, a node
 * that never comes back, re-registration, and a fault that cannot be injected.
 */
import { ApplicationFailure } from '@temporalio/common';
import { WorkflowFailedError } from '@temporalio/client';
import { withLabErrors } from '../../../src/activities/failures.js';
import { createClusterLockActivities } from '../../../src/activities/temporal/clusterLock.js';
import type { LabActivities } from '../../../src/activities/index.js';
import type { ReportInput } from '../../../src/activities/results.js';
import { LAB_CLUSTER, LAB_ENV, LAB_OUTCOME } from '../../../src/temporal/searchAttributes.js';
import { deployLab, haDrill } from '../../../src/workflows/index.js';
import type { HaDrillInput } from '../../../src/workflows/drill/haDrillTypes.js';
import { FAKE_FINGERPRINT, createFakeActivities, testSpec } from '../../support/fakeActivities.js';
import { untilVisiblyRunning } from '../../support/polling.js';
import { connectTemporal, createTestWorker, uniqueTaskQueue, type TestTemporal } from '../../support/temporal.js';

let t: TestTemporal;
beforeAll(async () => {
  t = await connectTemporal();
});
afterAll(async () => {
  await t?.close();
});

/** The real lock, wrapped as createActivities wraps it (LabError -> typed, non-retryable failure). */
const lock = withLabErrors(createClusterLockActivities());

function setup(name: string, overrides: Partial<LabActivities> = {}) {
  const calls: string[] = [];
  const reports: ReportInput[] = [];
  const taskQueue = uniqueTaskQueue(name);
  const fakes = createFakeActivities((a, d) => calls.push(d ? `${a}(${d})` : a), {
    ...lock,
    ...overrides,
  });
  const activities: LabActivities = {
    ...fakes,
    async writeReport(spec, input) {
      reports.push(input);
      return fakes.writeReport(spec, input);
    },
    async writeFailureReport(spec, input) {
      reports.push(input);
      return fakes.writeFailureReport(spec, input);
    },
  };
  return { calls, reports, taskQueue, activities };
}

function drillOptions(taskQueue: string, input: Partial<HaDrillInput> = {}, cluster = `drill-${Date.now().toString(36)}`) {
  const spec = testSpec({ cluster });
  return {
    taskQueue,
    workflowId: `citus-lab-local-${cluster}-ha-drill-${input.node ?? 'worker-0'}`,
    args: [{ spec, node: 'worker-0', settleSeconds: 1, ...input }] as [HaDrillInput],
    typedSearchAttributes: [
      { key: LAB_ENV, value: spec.env },
      { key: LAB_CLUSTER, value: spec.cluster },
    ],
  };
}

async function rootFailure(promise: Promise<unknown>): Promise<ApplicationFailure> {
  const err = await promise.catch((e: unknown) => e);
  expect(err).toBeInstanceOf(WorkflowFailedError);
  let cause: unknown = err;
  while (cause instanceof Error && cause.cause) cause = cause.cause;
  expect(cause).toBeInstanceOf(ApplicationFailure);
  return cause as ApplicationFailure;
}

/** Runs a drill to its end; returns its result and the outcome search attribute the Web UI filters on. */
async function runDrill(worker: Awaited<ReturnType<typeof createTestWorker>>, options: ReturnType<typeof drillOptions>) {
  return worker.runUntil(async () => {
    const handle = await t.client.workflow.start(haDrill, options);
    const result = await handle.result();
    return { result, outcome: (await handle.describe()).typedSearchAttributes.get(LAB_OUTCOME) };
  });
}

test('runs the drill, computes the numbers from the probes, reports and tags the run PASS', async () => {
  const { calls, reports, taskQueue, activities } = setup('drill-pass');
  const worker = await createTestWorker(t, taskQueue, activities);
  const options = drillOptions(taskQueue);
  const { result, outcome } = await runDrill(worker, options);

  expect(result.status).toBe('PASS');
  expect(outcome).toBe('PASS');
  expect(result.steps.map((s) => [s.name, s.status])).toEqual([
    ['cluster-idle', 'done'],
    ['validate', 'done'],
    ['self-healing', 'done'],
    ['baseline', 'done'],
    ['probes', 'done'],
    ['inject-fault', 'done'],
    ['recover', 'done'],
    ['verify-after', 'done'],
    ['report', 'done'],
  ]);
  // The probes start before the fault and end after the recovery; everything else is in order.
  // New drills probe through the API too (API_DRILL_PATCH).
  expect(calls.filter((c) => c.startsWith('runProbes'))).toEqual(['runProbes(api)']);
  expect(calls.filter((c) => !c.startsWith('runProbes'))).toEqual([
    'checkDrillReady(worker-0)',
    'startNodes',
    'takeDrillBaseline(worker-0)',
    'injectNodeFault(worker-0)',
    'awaitNodeRecovery(worker-0)',
    'checkActiveWorkers',
    'checkAfterDrill',
    'writeReport(ha-drill:PASS)',
  ]);
  expect(calls.indexOf('runProbes(api)')).toBeLessThan(calls.indexOf('injectNodeFault(worker-0)'));

  expect(result.metrics).toMatchObject({ detectMs: 20, nodeAcceptingMs: 250, firstDistributedQueryMs: 320, recoveryMs: 340 });
  expect(result.metrics.classes.find((c) => c.cls === 'multi-shard')).toMatchObject({ downtimeMs: 300, availabilityPct: 92.5 });
  // What an application sees: the failed node's patient through the API is down, the healthy one never.
  expect(result.metrics.classes.find((c) => c.cls === 'api-read-failed-node')).toMatchObject({ firstFailureMs: 20, recoveredAfterMs: 340 });
  expect(result.metrics.classes.find((c) => c.cls === 'api-read-healthy-node')).toMatchObject({ downtimeMs: 0, availabilityPct: 100 });
  expect(result.after?.writes).toEqual({ committed: 37, present: 37, lost: 0, lostSample: [], unacknowledgedPresent: 0 });
  expect(result.drillId).toMatch(new RegExp(`^${options.workflowId}:`));

  const report = reports[0];
  expect(report).toMatchObject({ kind: 'ha-drill', status: 'PASS' });
  expect(report?.summary).toMatchObject({
    node: 'worker-0',
    'time to detect (ms)': 20,
    'first distributed query after kill (ms)': 320,
    'committed writes lost': 0,
    'read-failed-node: downtime (ms)': 280,
  });
  expect(report?.checks?.every((c) => c.status === 'PASS')).toBe(true);
});

test.each([
  ['coordinator', {}, 'ConfigInvalid', /drilling the coordinator takes the whole cluster down.*--allow-coordinator/],
  ['worker-7', {}, 'UnknownNode', /has no node named "worker-7": use one of coordinator, worker-0, worker-1/],
])('refuses %s before touching anything', async (node, extra, type, message) => {
  const { calls, reports, taskQueue, activities } = setup(`drill-refuse-${node}`);
  const worker = await createTestWorker(t, taskQueue, activities);
  const failure = await rootFailure(worker.runUntil(t.client.workflow.execute(haDrill, drillOptions(taskQueue, { node, ...extra }))));
  expect(failure.type).toBe(type);
  expect(failure.nonRetryable).toBe(true);
  expect(failure.message).toMatch(message);
  expect(calls).toEqual([]);
  expect(reports).toEqual([]);
});

test('a lab that is not deployed is refused at validation: no fault, no report', async () => {
  const { calls, reports, taskQueue, activities } = setup('drill-not-deployed', {
    async checkDrillReady() {
      throw ApplicationFailure.nonRetryable('lab x (local) is not deployed (no node is running): run deploy first.', 'ConfigInvalid');
    },
  });
  const worker = await createTestWorker(t, taskQueue, activities);
  const failure = await rootFailure(worker.runUntil(t.client.workflow.execute(haDrill, drillOptions(taskQueue))));
  expect(failure.message).toBe('lab x (local) is not deployed (no node is running): run deploy first.');
  expect(calls).toEqual([]);
  expect(reports).toEqual([]);
});

test('drilling the coordinator is allowed with allowCoordinator', async () => {
  const { calls, taskQueue, activities } = setup('drill-coordinator');
  const worker = await createTestWorker(t, taskQueue, activities);
  const result = await worker.runUntil(t.client.workflow.execute(haDrill, drillOptions(taskQueue, { node: 'coordinator', allowCoordinator: true })));
  expect(result.status).toBe('PASS');
  expect(calls).toContain('injectNodeFault(coordinator)');
});

test('a drill is refused with ClusterBusy while a deploy runs on the cluster, and nothing is touched', async () => {
  const cluster = `drill-busy-${Date.now().toString(36)}`;
  let release!: () => void;
  const released = new Promise<void>((resolve) => (release = resolve));
  let holding!: () => void;
  const deployHolds = new Promise<void>((resolve) => (holding = resolve));
  const { calls, reports, taskQueue, activities } = setup('drill-busy', {
    async waitForNodes(spec) {
      holding(); // past its own lock check: the deploy now holds the cluster
      await released;
      return [{ node: 'coordinator', readyAfterMs: 1, serverVersion: '15' }, ...Array.from({ length: spec.workers }, (_, i) => ({ node: `worker-${i}`, readyAfterMs: 1, serverVersion: '15' }))];
    },
  });
  const worker = await createTestWorker(t, taskQueue, activities);
  await worker.runUntil(async () => {
    const deploy = await t.client.workflow.start(deployLab, {
      taskQueue,
      workflowId: `citus-lab-local-${cluster}-deploy`,
      args: [{ spec: testSpec({ cluster }) }],
      typedSearchAttributes: [
        { key: LAB_ENV, value: 'local' },
        { key: LAB_CLUSTER, value: cluster },
      ],
    });
    await deployHolds;
    await untilVisiblyRunning(t.client, cluster, deploy.workflowId, true);
    calls.length = 0;
    const failure = await rootFailure(t.client.workflow.execute(haDrill, drillOptions(taskQueue, {}, cluster)));
    expect(failure.type).toBe('ClusterBusy');
    expect(failure.message).toContain(`deployLab ${deploy.workflowId}`);
    expect(failure.message).toContain('run ha-drill --node worker-0 again');
    expect(calls.filter((c) => !c.startsWith('waitForNodes'))).toEqual([]);
    expect(reports.filter((r) => r.kind === 'ha-drill')).toEqual([]);
    // The refused drill must leave visibility's running set first, or the deploy's child would meet it there.
    await untilVisiblyRunning(t.client, cluster, drillOptions(taskQueue, {}, cluster).workflowId, false);
    release();
    await deploy.result();
  });
});



test('a lost committed write makes the drill FAIL, with a report and the FAIL outcome', async () => {
  const { reports, taskQueue, activities } = setup('drill-lost', {
    async checkAfterDrill(_spec, input) {
      const committed = input.committedRanges.reduce((n, [a, b]) => n + b - a + 1, 0);
      return { ...FAKE_FINGERPRINT, writes: { committed, present: committed - 1, lost: 1, lostSample: [17], unacknowledgedPresent: 0 } };
    },
  });
  const worker = await createTestWorker(t, taskQueue, activities);
  const options = drillOptions(taskQueue);
  const { result, outcome } = await runDrill(worker, options);
  expect(result.status).toBe('FAIL');
  expect(outcome).toBe('FAIL');
  expect(result.checks.find((c) => c.name === 'no committed write lost')).toMatchObject({ status: 'FAIL', message: '1 of 37 committed writes missing (seq 17)' });
  expect(reports.map((r) => `${r.kind}:${r.status}`)).toEqual(['ha-drill:FAIL']);
});

test('a node that never comes back is a FAIL result with the reason, not a crash', async () => {
  const { calls, taskQueue, activities } = setup('drill-no-recovery', {
    async awaitNodeRecovery() {
      throw ApplicationFailure.nonRetryable('worker-0 did not accept connections within 1 s of the fault', 'NodeNotReady');
    },
  });
  const worker = await createTestWorker(t, taskQueue, activities);
  const result = await worker.runUntil(t.client.workflow.execute(haDrill, drillOptions(taskQueue, { recoveryTimeoutSeconds: 1 })));
  expect(result.status).toBe('FAIL');
  expect(result.checks[0]).toMatchObject({ name: 'node back', status: 'FAIL', message: 'worker-0 did not accept connections within 1 s of the fault' });
  expect(result.problems).toContain('worker-0 did not accept connections within 1 s of the fault');
  expect(result.steps.find((s) => s.name === 'recover')?.status).toBe('failed');
  expect(calls).not.toContain('checkActiveWorkers');
});

test('a worker that came back inactive in Citus is registered again', async () => {
  let checks = 0;
  const { calls, taskQueue, activities } = setup('drill-reregister', {
    async checkActiveWorkers() {
      checks += 1;
      if (checks === 1) throw ApplicationFailure.create({ message: 'missing 127.0.0.1:40001', type: 'WorkerSetMismatch' });
      return { expected: [], active: [] };
    },
  });
  const worker = await createTestWorker(t, taskQueue, activities);
  const result = await worker.runUntil(t.client.workflow.execute(haDrill, drillOptions(taskQueue)));
  expect(result.status).toBe('PASS');
  expect(calls).toEqual(expect.arrayContaining(['registerWorker(worker-0)', 'registerWorker(worker-1)']));
  expect(calls.indexOf('registerWorker(worker-0)')).toBeGreaterThan(calls.indexOf('awaitNodeRecovery(worker-0)'));
});

test('a fault the platform cannot inject fails the drill and stops the probes', async () => {
  const { calls, reports, taskQueue, activities } = setup('drill-no-fault', {
    async injectNodeFault() {
      throw ApplicationFailure.nonRetryable('The compose environment is not implemented yet; use --env local.', 'NotImplemented');
    },
  });
  const worker = await createTestWorker(t, taskQueue, activities);
  const started = Date.now();
  const failure = await rootFailure(worker.runUntil(t.client.workflow.execute(haDrill, drillOptions(taskQueue))));
  expect(failure.type).toBe('NotImplemented');
  // The fake probes wait up to 10 s for a fault; the cancel ends them well before that.
  expect(Date.now() - started).toBeLessThan(9_000);
  expect(calls).not.toContain('awaitNodeRecovery(worker-0)');
  expect(reports.map((r) => `${r.kind}:${r.status}`)).toEqual(['ha-drill:FAIL']);
});
