/**
 * RegisterWorkers on the real dev server with activities replaced: it reports `unchanged` only when
 * every activity found its target state already in place, and a worker-set mismatch is retried.
 */
import { registerWorkers, verifyLab } from '../../src/workflows/index.js';
import { createFakeActivities, testSpec } from '../support/fakeActivities.js';
import { connectTemporal, createTestWorker, uniqueTaskQueue, type TestTemporal } from '../support/temporal.js';
import { LabError } from '../../src/errors.js';
import { toApplicationFailure } from '../../src/activities/failures.js';

let t: TestTemporal;
beforeAll(async () => {
  t = await connectTemporal();
});
afterAll(async () => {
  await t?.close();
});

const nothingToDo = createFakeActivities(() => undefined, {
  async ensureDatabaseAndExtension(_spec, node) {
    return { node, databaseCreated: false, extensionCreated: false, citusVersion: '13.2-1' };
  },
  async setCoordinatorHost(spec) {
    return { host: '127.0.0.1', port: spec.basePort, changed: false };
  },
  async registerWorker(spec, node) {
    return { node, host: '127.0.0.1', port: spec.basePort + 1, nodeId: 2, action: 'existing' };
  },
});

test('a second registration that finds everything in place reports unchanged', async () => {
  const taskQueue = uniqueTaskQueue('register-idem');
  const worker = await createTestWorker(t, taskQueue, nothingToDo);
  const result = await worker.runUntil(
    t.client.workflow.execute(registerWorkers, { taskQueue, workflowId: taskQueue, args: [{ spec: testSpec() }] }),
  );
  expect(result.unchanged).toBe(true);
  expect(result.workers.map((w) => w.action)).toEqual(['existing', 'existing']);
});

test('a re-activated worker is not "unchanged", and a transient worker-set mismatch is retried', async () => {
  let checks = 0;
  const taskQueue = uniqueTaskQueue('register-react');
  const worker = await createTestWorker(t, taskQueue, {
    ...nothingToDo,
    async registerWorker(spec: ReturnType<typeof testSpec>, node: string) {
      const action = node === 'worker-1' ? 'reactivated' : 'existing';
      return { node, host: '127.0.0.1', port: spec.basePort + 1, nodeId: 2, action };
    },
    async checkActiveWorkers(spec: ReturnType<typeof testSpec>) {
      checks += 1;
      if (checks === 1) throw toApplicationFailure(new LabError('WorkerSetMismatch', 'worker-1 is not active yet'));
      return nothingToDo.checkActiveWorkers(spec);
    },
  });
  const result = await worker.runUntil(
    t.client.workflow.execute(registerWorkers, { taskQueue, workflowId: taskQueue, args: [{ spec: testSpec() }] }),
  );
  expect(result.unchanged).toBe(false);
  expect(checks).toBe(2);
});

test('VerifyLab returns a FAIL report as a result, not an error, and still writes the reports', async () => {
  const written: string[] = [];
  const taskQueue = uniqueTaskQueue('verify-fail');
  const worker = await createTestWorker(
    t,
    taskQueue,
    createFakeActivities((a, d) => a === 'writeReport' && written.push(d ?? ''), {
      async runVerification(spec) {
        return {
          cluster: spec.cluster,
          env: spec.env,
          status: 'FAIL',
          checks: [{ name: 'shards on every worker', status: 'FAIL', message: 'worker-1 holds 0 shards', durationMs: 2 }],
          shardsPerWorker: { '127.0.0.1:40001': 32, '127.0.0.1:40002': 0 },
          generatedAt: new Date().toISOString(),
        };
      },
    }),
  );
  const result = await worker.runUntil(
    t.client.workflow.execute(verifyLab, { taskQueue, workflowId: taskQueue, args: [{ spec: testSpec() }] }),
  );
  expect(result.status).toBe('FAIL');
  expect(result.checks[0]?.message).toBe('worker-1 holds 0 shards');
  expect(written).toEqual(['verify:FAIL']);
});

test('VerifyLab adds the API checks: one failing API check makes the verification FAIL', async () => {
  const calls: string[] = [];
  const taskQueue = uniqueTaskQueue('verify-api-fail');
  const fakes = createFakeActivities(() => undefined);
  const worker = await createTestWorker(
    t,
    taskQueue,
    createFakeActivities((a, d) => calls.push(d ? `${a}(${d})` : a), {
      async runApiChecks(spec) {
        calls.push('runApiChecks');
        const [metadata, read] = await fakes.runApiChecks(spec);
        return [metadata!, read!, { name: 'api search routed to one shard', status: 'FAIL', message: 'GET /Observation?patient=1 answered HTTP 503', durationMs: 3 }];
      },
    }),
  );
  const result = await worker.runUntil(
    t.client.workflow.execute(verifyLab, { taskQueue, workflowId: taskQueue, args: [{ spec: testSpec() }] }),
  );
  expect(result.status).toBe('FAIL');
  expect(result.checks.map((c) => [c.name, c.status])).toEqual([
    ['extension', 'PASS'],
    ['api metadata', 'PASS'],
    ['api read patient', 'PASS'],
    ['api search routed to one shard', 'FAIL'],
  ]);
  expect(result.steps.map((s) => s.name)).toEqual(['checks', 'api-checks', 'report']);
  expect(calls).toEqual(['runVerification', 'runApiChecks', 'writeReport(verify:FAIL)']);
});
