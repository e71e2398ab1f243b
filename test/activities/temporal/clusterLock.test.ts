/**
 * The per-cluster lock reads real visibility data from the dev server: a running deploy on a cluster
 * refuses other mutating operations there, but not its own children nor other clusters.
 */
import { MockActivityEnvironment } from '@temporalio/testing';
import { createClusterLockActivities } from '../../../src/activities/temporal/clusterLock.js';
import { LabError } from '../../../src/errors.js';
import { LAB_CLUSTER, LAB_ENV } from '../../../src/temporal/searchAttributes.js';
import { deployLab } from '../../../src/workflows/index.js';
import { createFakeActivities, testSpec } from '../../support/fakeActivities.js';
import { untilVisiblyRunning } from '../../support/polling.js';
import { connectTemporal, createTestWorker, uniqueTaskQueue, type TestTemporal } from '../../support/temporal.js';

let t: TestTemporal;
beforeAll(async () => {
  t = await connectTemporal();
});
afterAll(async () => {
  await t?.close();
});

function lockAs(workflowId: string) {
  const env = new MockActivityEnvironment(
    { workflowExecution: { workflowId, runId: 'test' } },
    { client: t.client },
  );
  const { assertClusterIdle } = createClusterLockActivities();
  return (spec: ReturnType<typeof testSpec>) => env.run(assertClusterIdle, spec, 'ha-drill');
}


test('a running deploy makes the cluster busy for others, not for its own children or other clusters', async () => {
  const cluster = `lock-${Date.now().toString(36)}`;
  const spec = testSpec({ cluster });
  const taskQueue = uniqueTaskQueue('lock');
  let release!: () => void;
  const released = new Promise<void>((resolve) => (release = resolve));
  const fakes = createFakeActivities(() => undefined);
  const worker = await createTestWorker(t, taskQueue, {
    ...fakes,
    async waitForNodes(...args: Parameters<typeof fakes.waitForNodes>) {
      await released;
      return fakes.waitForNodes(...args);
    },
  });
  await worker.runUntil(async () => {
    const handle = await t.client.workflow.start(deployLab, {
      taskQueue,
      workflowId: `citus-lab-local-${cluster}-deploy`,
      args: [{ spec }],
      typedSearchAttributes: [
        { key: LAB_ENV, value: 'local' },
        { key: LAB_CLUSTER, value: cluster },
      ],
    });
    await untilVisiblyRunning(t.client, cluster, handle.workflowId, true);

    const err = await lockAs(`citus-lab-local-${cluster}-ha-drill`)(spec).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(LabError);
    expect((err as LabError).type).toBe('ClusterBusy');
    expect((err as LabError).nonRetryable).toBe(true);
    expect((err as LabError).message).toContain(`deployLab ${handle.workflowId}`);

    await expect(lockAs(`${handle.workflowId}-register-workers`)(spec)).resolves.toBeUndefined();
    await expect(lockAs('someone-else')(testSpec({ cluster: `${cluster}-other` }))).resolves.toBeUndefined();

    release();
    await handle.result();
  });
});
