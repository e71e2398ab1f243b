/**
 * The worker running a drain dies (SIGKILL) while the follow activity watches the job; a new worker
 * picks the run up once the heartbeat timeout expires. The job is started exactly once (its id is in
 * history), and the retried follow activity follows that same job, starting from the progress the
 * dead attempt last heartbeated.
 */
import { execa, type ResultPromise } from 'execa';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { activityInfo } from '@temporalio/activity';
import { rebalanceAndDrain } from '../../../src/workflows/index.js';
import type { JobProgress } from '../../../src/workflows/rebalance/rebalanceTypes.js';
import type { LabSpec } from '../../../src/config/labSpec.js';
import { createFakeActivities, fakeSnapshot, testSpec } from '../../support/fakeActivities.js';
import { readLines, until } from '../../support/polling.js';
import { connectTemporal, createTestWorker, temporalAddress, uniqueTaskQueue, workflowBundle, type TestTemporal } from '../../support/temporal.js';

const crashWorker = fileURLToPath(new URL('../../fixtures/rebalanceCrashWorker.ts', import.meta.url));
let t: TestTemporal;
let dir: string;
let child: ResultPromise | undefined;

beforeAll(async () => {
  t = await connectTemporal();
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'citus-lab-rebalance-crash-'));
});
afterAll(async () => {
  child?.kill('SIGKILL');
  await t?.close();
  fs.rmSync(dir, { recursive: true, force: true });
});


test('a drain whose worker was SIGKILLed mid-move resumes on a new worker, following the same job', async () => {
  const taskQueue = uniqueTaskQueue('rebalance-crash');
  const counter = path.join(dir, 'calls.log');
  const bundleFile = path.join(dir, 'workflows.js');
  fs.writeFileSync(bundleFile, (await workflowBundle()).code);

  child = execa('node', ['--import', 'tsx', crashWorker, temporalAddress(), taskQueue, bundleFile, counter], { reject: false, stdio: 'inherit' });
  const handle = await t.client.workflow.start(rebalanceAndDrain, {
    taskQueue,
    workflowId: `drain-crash-${taskQueue}`,
    args: [{ spec: testSpec(), operation: 'drain', node: 'worker-1' }],
  });
  await until('the first worker to follow the job', () => readLines(counter).some((l) => l.endsWith(' followRebalanceJob(11)')));
  // Let a heartbeat with progress reach the server before the crash.
  await new Promise((r) => setTimeout(r, 1_500));
  child.kill('SIGKILL');
  await child;

  const calls: string[] = [];
  let resumedFrom: JobProgress | undefined;
  const fakes = createFakeActivities((a, d) => calls.push(d ? `${a}(${d})` : a));
  const worker = await createTestWorker(t, taskQueue, {
    ...fakes,
    async followRebalanceJob(...args: Parameters<typeof fakes.followRebalanceJob>) {
      resumedFrom = activityInfo().heartbeatDetails as JobProgress | undefined;
      return fakes.followRebalanceJob(...args);
    },
    // This process never saw markNodeDraining: its fake cluster learns the flag from the dead one's run.
    async snapshotData(spec: LabSpec) {
      await fakes.snapshotData(spec);
      return fakeSnapshot(spec, { draining: 'worker-1', moved: true });
    },
  });
  const result = await worker.runUntil(handle.result());

  expect(result.status).toBe('PASS');
  expect(result.job).toMatchObject({ jobId: 11, progress: { movesDone: 16 } });
  const before = readLines(counter).map((l) => l.split(' ')[1]);
  expect(before).toEqual([
    'assertClusterIdle(drain',
    'rebalancePreflight(drain)',
    'snapshotData',
    'markNodeDraining(worker-1)',
    'startRebalanceJob(drain)',
    'followRebalanceJob(11)',
  ]);
  // The new worker only followed the job the dead one started, from its last heartbeat.
  expect(calls).toEqual(['followRebalanceJob(11)', 'snapshotData', 'writeReport(drain:PASS)']);
  expect(resumedFrom).toMatchObject({ jobId: 11, movesDone: 3, state: 'running' });

  const events = (await handle.fetchHistory()).events ?? [];
  const scheduled = events.map((e) => e.activityTaskScheduledEventAttributes?.activityType?.name).filter(Boolean);
  expect(scheduled.filter((n) => n === 'startRebalanceJob')).toHaveLength(1);
  expect(scheduled.filter((n) => n === 'followRebalanceJob')).toHaveLength(1);
  const followAttempts = events.map((e) => e.activityTaskStartedEventAttributes?.attempt).filter((a) => a !== undefined && a !== null);
  expect(Math.max(...followAttempts.map(Number))).toBe(2);
}, 180_000);
