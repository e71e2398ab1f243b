/**
 * DeployLab and its children on the real Temporal dev server, with activities replaced.
 */
import { ApplicationFailure } from '@temporalio/common';
import { WorkflowFailedError } from '@temporalio/client';
import type { Worker } from '@temporalio/worker';
import { deployLab } from '../../src/workflows/index.js';
import type { ReportInput } from '../../src/activities/results.js';
import type { Progress } from '../../src/workflows/progress.js';
import { progressQuery } from '../../src/workflows/progress.js';
import { createFakeActivities, testSpec } from '../support/fakeActivities.js';
import { connectTemporal, createTestWorker, uniqueTaskQueue, type TestTemporal } from '../support/temporal.js';

let t: TestTemporal;
beforeAll(async () => {
  t = await connectTemporal();
});
afterAll(async () => {
  await t?.close();
});

async function runDeploy(worker: Worker, taskQueue: string, workflowId: string) {
  return worker.runUntil(
    t.client.workflow.execute(deployLab, { taskQueue, workflowId, args: [{ spec: testSpec() }] }),
  );
}

test('runs every step in order and returns the verification status', async () => {
  const calls: string[] = [];
  const taskQueue = uniqueTaskQueue('deploy-order');
  const worker = await createTestWorker(t, taskQueue, createFakeActivities((a, d) => calls.push(d ? `${a}(${d})` : a)));
  const result = await runDeploy(worker, taskQueue, `deploy-order-${taskQueue}`);

  expect(result.status).toBe('PASS');
  expect(result.steps.map((s) => [s.name, s.status])).toEqual([
    ['preflight', 'done'],
    ['provision', 'done'],
    ['start-nodes', 'done'],
    ['wait-ready', 'done'],
    ['register-workers', 'done'],
    ['apply-schema', 'done'],
    ['load-sample-data', 'done'],
    ['start-api', 'done'],
    ['wait-api-ready', 'done'],
    ['verify', 'done'],
    ['report', 'done'],
  ]);
  // Databases are ensured in parallel, so only their set is fixed; everything else is sequential.
  const ensure = calls.filter((c) => c.startsWith('ensureDatabaseAndExtension'));
  expect(ensure.sort()).toEqual([
    'ensureDatabaseAndExtension(coordinator)',
    'ensureDatabaseAndExtension(worker-0)',
    'ensureDatabaseAndExtension(worker-1)',
  ]);
  expect(calls.filter((c) => !c.startsWith('ensureDatabaseAndExtension'))).toEqual([
    'assertClusterIdle(deploy)',
    'preflight',
    'provisionPlatform',
    'startNodes',
    'waitForNodes',
    'assertClusterIdle(register-workers)',
    'setCoordinatorHost',
    'registerWorker(worker-0)',
    'registerWorker(worker-1)',
    'checkActiveWorkers',
    'applySchema',
    'loadSampleData',
    'startApi',
    'waitForApiReady',
    'runVerification',
    'runApiChecks',
    'writeReport(verify:PASS)',
    'writeReport(deploy:PASS)',
  ]);
  expect(result.registration.unchanged).toBe(false);
  expect(result.api).toEqual({ url: 'http://127.0.0.1:40100', started: true, readyAfterMs: 7 });
  expect(result.verification.checks.map((c) => c.name)).toContain('api search routed to one shard');
});

test('a platform without an API yet skips the API steps; the lab is still deployed and verified', async () => {
  const calls: string[] = [];
  const taskQueue = uniqueTaskQueue('deploy-no-api');
  const worker = await createTestWorker(
    t,
    taskQueue,
    createFakeActivities((a) => calls.push(a), {
      async startApi() {
        calls.push('startApi');
        throw ApplicationFailure.nonRetryable('The FHIR API is not supported on minikube yet.', 'NotImplemented');
      },
    }),
  );
  const result = await runDeploy(worker, taskQueue, `deploy-no-api-${taskQueue}`);
  expect(result.status).toBe('PASS');
  expect(result.api).toBeUndefined();
  const byName = Object.fromEntries(result.steps.map((s) => [s.name, [s.status, s.detail]]));
  expect(byName['start-api']).toEqual(['skipped', 'The FHIR API is not supported on minikube yet.']);
  expect(byName['wait-api-ready']).toEqual(['skipped', 'no API on this platform yet']);
  expect(calls.filter((c) => c === 'startApi')).toHaveLength(1);
  expect(calls).not.toContain('waitForApiReady');
});

test('an API that never gets ready fails the deploy at wait-api-ready, with the reason', async () => {
  const reports: ReportInput[] = [];
  const taskQueue = uniqueTaskQueue('deploy-api-not-ready');
  const fakes = createFakeActivities(() => undefined);
  const worker = await createTestWorker(
    t,
    taskQueue,
    createFakeActivities(() => undefined, {
      async waitForApiReady() {
        throw ApplicationFailure.nonRetryable('The API of lab "wf-test" at http://127.0.0.1:40100 was not ready within 120 s (last answer: HTTP 503).', 'ApiNotReady');
      },
      async writeFailureReport(spec, input) {
        reports.push(input);
        return fakes.writeFailureReport(spec, input);
      },
    }),
  );
  const err = await runDeploy(worker, taskQueue, `deploy-api-not-ready-${taskQueue}`).catch((e: unknown) => e);
  expect((rootCause(err) as ApplicationFailure).type).toBe('ApiNotReady');
  expect(reports.map((r) => r.status)).toEqual(['FAIL']);
  expect(reports[0]?.steps?.find((s) => s.name === 'wait-api-ready')).toMatchObject({ status: 'failed', detail: expect.stringContaining('HTTP 503') });
});

test('retries a transient activity failure and completes', async () => {
  let attempts = 0;
  const taskQueue = uniqueTaskQueue('deploy-retry');
  const worker = await createTestWorker(
    t,
    taskQueue,
    createFakeActivities(() => undefined, {
      async startNodes(spec) {
        attempts += 1;
        if (attempts === 1) throw new Error('pg_ctl: could not start server (transient)');
        return { started: [`coordinator`, ...Array.from({ length: spec.workers }, (_, i) => `worker-${i}`)], alreadyRunning: [] };
      },
    }),
  );
  const result = await runDeploy(worker, taskQueue, `deploy-retry-${taskQueue}`);
  expect(attempts).toBe(2);
  expect(result.status).toBe('PASS');
});

test('surfaces a non-retryable failure at once, with its type and message, and writes a FAIL report', async () => {
  const calls: string[] = [];
  const reports: ReportInput[] = [];
  let preflights = 0;
  const taskQueue = uniqueTaskQueue('deploy-fatal');
  const fakes = createFakeActivities((a, d) => calls.push(d ? `${a}(${d})` : a));
  const worker = await createTestWorker(
    t,
    taskQueue,
    createFakeActivities(() => undefined, {
      async writeFailureReport(spec, input) {
        reports.push(input);
        return fakes.writeFailureReport(spec, input);
      },
      async preflight() {
        preflights += 1;
        throw ApplicationFailure.nonRetryable('Citus is not installed for this PostgreSQL.', 'CitusNotInstalled');
      },
    }),
  );
  const err = await runDeploy(worker, taskQueue, `deploy-fatal-${taskQueue}`).catch((e: unknown) => e);
  expect(err).toBeInstanceOf(WorkflowFailedError);
  const root = rootCause(err);
  expect(root).toBeInstanceOf(ApplicationFailure);
  expect((root as ApplicationFailure).type).toBe('CitusNotInstalled');
  expect((root as ApplicationFailure).message).toBe('Citus is not installed for this PostgreSQL.');
  expect(preflights).toBe(1);
  expect(calls).toEqual(['writeFailureReport(deploy:FAIL)']);
  // The report and the progress name the cause, not the wrapper's "Activity task failed".
  expect(reports[0]?.summary.error).toBe('Citus is not installed for this PostgreSQL.');
  expect(reports[0]?.steps?.[0]).toMatchObject({ name: 'preflight', status: 'failed', detail: 'Citus is not installed for this PostgreSQL.' });
});

test('the progress query shows the running step while the run waits', async () => {
  let release!: () => void;
  const released = new Promise<void>((resolve) => (release = resolve));
  let markWaiting!: () => void;
  const waiting = new Promise<void>((resolve) => (markWaiting = resolve));
  const taskQueue = uniqueTaskQueue('deploy-progress');
  const fakes = createFakeActivities(() => undefined);
  const worker = await createTestWorker(
    t,
    taskQueue,
    createFakeActivities(() => undefined, {
      async waitForNodes(spec, options) {
        markWaiting();
        await released;
        return fakes.waitForNodes(spec, options);
      },
    }),
  );
  const workflowId = `deploy-progress-${taskQueue}`;
  const progress = await worker.runUntil(async () => {
    const handle = await t.client.workflow.start(deployLab, { taskQueue, workflowId, args: [{ spec: testSpec() }] });
    await waiting;
    const seen: Progress = await handle.query(progressQuery);
    release();
    await handle.result();
    return seen;
  });
  expect(progress.workflow).toBe('DeployLab');
  expect(progress.current).toBe('wait-ready');
  const byName = Object.fromEntries(progress.steps.map((s) => [s.name, s.status]));
  expect(byName).toMatchObject({
    preflight: 'done',
    provision: 'done',
    'start-nodes': 'done',
    'wait-ready': 'running',
    'register-workers': 'pending',
    report: 'pending',
  });
});

function rootCause(err: unknown): unknown {
  let current = err;
  while (current instanceof Error && (current as { cause?: unknown }).cause) current = (current as { cause?: unknown }).cause;
  return current;
}

test('a busy cluster refuses the deploy before anything is touched, and writes no report', async () => {
  const calls: string[] = [];
  const taskQueue = uniqueTaskQueue('deploy-busy');
  const worker = await createTestWorker(
    t,
    taskQueue,
    createFakeActivities((a, d) => calls.push(d ? `${a}(${d})` : a), {
      async assertClusterIdle() {
        throw ApplicationFailure.nonRetryable('Cluster wf-test (local) is busy: haDrill x is running.', 'ClusterBusy');
      },
    }),
  );
  const err = await runDeploy(worker, taskQueue, `deploy-busy-${taskQueue}`).catch((e: unknown) => e);
  expect((rootCause(err) as ApplicationFailure).type).toBe('ClusterBusy');
  expect(calls).toEqual([]);
});

test('a failure report is best effort: one attempt, and its own failure does not replace the run failure', async () => {
  let attempts = 0;
  const taskQueue = uniqueTaskQueue('deploy-report-once');
  const worker = await createTestWorker(
    t,
    taskQueue,
    createFakeActivities(() => undefined, {
      async preflight() {
        throw ApplicationFailure.nonRetryable('Port 15432 (for node coordinator) is already in use.', 'PortInUse');
      },
      async writeFailureReport() {
        attempts += 1;
        throw ApplicationFailure.retryable('disk full', 'ReportWriteFailed');
      },
    }),
  );
  const started = Date.now();
  const err = await runDeploy(worker, taskQueue, `deploy-report-once-${taskQueue}`).catch((e: unknown) => e);
  expect((rootCause(err) as ApplicationFailure).type).toBe('PortInUse');
  expect(attempts).toBe(1);
  // The SQL steps' retry policy would have tried five times with back-off (1 + 2 + 4 + 8 s).
  expect(Date.now() - started).toBeLessThan(10_000);
});
