/**
 * FailoverNode, SwitchoverNode, WatchLab and DeployLab's standby steps on the real dev server with
 * the failover activities replaced (test/support/fakeHaActivities.ts): step order, the plan's members
 * used throughout, a failed rebuild reported rather than thrown, WatchLab starting one failover per
 * lost group with the reason in the child's input, and its end once the lab stops.
 */
import { toApplicationFailure } from '../../../src/activities/failures.js';
import { LabError } from '../../../src/errors.js';
import { deployLab, failoverNode, switchoverNode, watchLab } from '../../../src/workflows/index.js';
import { labWorkflowId } from '../../../src/workflows/inputs.js';
import { createFakeActivities, testSpec } from '../../support/fakeActivities.js';
import { connectTemporal, createTestWorker, uniqueTaskQueue, type TestTemporal } from '../../support/temporal.js';

let t: TestTemporal;
beforeAll(async () => {
  t = await connectTemporal();
});
afterAll(async () => {
  await t?.close();
});

test('FailoverNode fences the planned primary, promotes the planned standby, repoints Citus, then rebuilds', async () => {
  const calls: string[] = [];
  const taskQueue = uniqueTaskQueue('failover-wf');
  const worker = await createTestWorker(t, taskQueue, createFakeActivities((a, d) => calls.push(d ? `${a}(${d})` : a)));
  const result = await worker.runUntil(
    t.client.workflow.execute(failoverNode, { taskQueue, workflowId: taskQueue, args: [{ spec: testSpec({ standbys: 1 }), node: 'worker-0', reason: 'unit' }] }),
  );
  // fence -> promote -> update-node in one activity (failover-takeover-v1), shown as three steps.
  expect(calls).toEqual(['planFailover(worker-0)', 'takeOverGroup(worker-0->worker-0-s1)', 'rebuildMember(worker-0)', 'writeReport(failover:PASS)']);
  expect(result).toMatchObject({ status: 'PASS', reason: 'unit', rebuild: { member: 'worker-0', method: 'rewind' } });
  expect(result.steps.map((s) => s.status)).toEqual(['done', 'done', 'done', 'done', 'done', 'done']);
  // Each part keeps its own timing and detail from the activity's result.
  expect(result.steps.slice(1, 4).map((s) => [s.name, s.durationMs, s.detail])).toEqual([
    ['fence', 5, 'worker-0 fenced (was running)'],
    ['promote', 55, 'worker-0-s1 is now primary'],
    ['update-node', 20, '127.0.0.1:40001 -> 127.0.0.1:40101'],
  ]);
  expect(result.nodeUpdate).toEqual({ group: 'worker-0', nodeId: 2, from: '127.0.0.1:40001', to: '127.0.0.1:40101', changed: true, at: expect.any(Number) as unknown });
});

test('a failed rebuild leaves the failover done and says so; a failed promotion fails the run', async () => {
  const taskQueue = uniqueTaskQueue('failover-wf-rebuild');
  const noRebuild = createFakeActivities(() => undefined, {
    async rebuildMember() {
      throw toApplicationFailure(new LabError('CommandFailed', 'pg_basebackup failed: disk full', { nonRetryable: true }));
    },
  });
  const worker = await createTestWorker(t, taskQueue, noRebuild);
  const result = await worker.runUntil(
    t.client.workflow.execute(failoverNode, { taskQueue, workflowId: taskQueue, args: [{ spec: testSpec({ standbys: 1 }), node: 'worker-0' }] }),
  );
  expect(result.status).toBe('PASS');
  expect(result.rebuild).toBeUndefined();
  expect(result.rebuildError).toMatch(/disk full/);

  const reports: string[] = [];
  const noPromote = createFakeActivities((a, d) => reports.push(`${a}(${d ?? ''})`), {
    async takeOverGroup() {
      // Not a refusal (those write no report): the promotion itself did not finish.
      throw toApplicationFailure(new LabError('NodeNotReady', 'worker-0-s1 did not leave recovery within 60 s of pg_promote().', { nonRetryable: true }));
    },
  });
  const queue2 = uniqueTaskQueue('failover-wf-promote');
  const worker2 = await createTestWorker(t, queue2, noPromote);
  await expect(
    worker2.runUntil(t.client.workflow.execute(failoverNode, { taskQueue: queue2, workflowId: queue2, args: [{ spec: testSpec({ standbys: 1 }), node: 'worker-0' }] })),
  ).rejects.toThrow();
  // FailoverNode reports through the best-effort failure report (best-effort-failure-report-v1) like every lab workflow.
  expect(reports).toContain('writeFailureReport(failover:FAIL)');
  expect(reports).not.toContain('rebuildMember(worker-0)');
});

test('SwitchoverNode checks the lock, records its plan, switches in one activity with it, rebuilds the old primary and reports the pause', async () => {
  const calls: string[] = [];
  const taskQueue = uniqueTaskQueue('switchover-wf');
  const worker = await createTestWorker(t, taskQueue, createFakeActivities((a, d) => calls.push(d ? `${a}(${d})` : a)));
  const result = await worker.runUntil(
    t.client.workflow.execute(switchoverNode, { taskQueue, workflowId: taskQueue, args: [{ spec: testSpec({ standbys: 1 }), node: 'worker-1' }] }),
  );
  expect(calls).toEqual([
    'assertClusterIdle(switchover --node worker-1)',
    'planFailover(worker-1)',
    'switchoverGroup(worker-1, plan worker-1->worker-1-s1)',
    'rebuildMember(worker-1)',
    'writeReport(switchover:PASS)',
  ]);
  expect(result.switchover).toMatchObject({ oldPrimary: 'worker-1', newPrimary: 'worker-1-s1', pauseMs: 120 });
});

test('WatchLab starts FailoverNode for a lost group with the reason, and ends when the lab stops', async () => {
  const spec = testSpec({ standbys: 1, cluster: `watch-${Date.now() % 100000}` });
  const calls: string[] = [];
  let round = 0;
  const taskQueue = uniqueTaskQueue('watch-wf');
  const activities = createFakeActivities((a, d) => calls.push(d ? `${a}(${d})` : a), {
    async watchPrimaries(_spec, options) {
      round += 1;
      calls.push(`watch(skip=${(options.skip ?? []).join(',')})`);
      if (round === 1) {
        const now = Date.now();
        const plan = { group: 'worker-0', oldPrimary: 'worker-0', candidate: 'worker-0-s1', positions: [{ member: 'worker-0-s1', inRecovery: true, lsn: '0/3000060' }] };
        return { kind: 'lost' as const, loss: { group: 'worker-0', member: 'worker-0', reason: '2 probes failed; its data directory is gone', firstFailureAt: now - 100, detectedAt: now, plan } };
      }
      // Give the child time to finish before the lab "stops".
      await new Promise((r) => setTimeout(r, 1_500));
      return { kind: 'stopped' as const };
    },
  });
  const worker = await createTestWorker(t, taskQueue, activities);
  const result = await worker.runUntil(async () => {
    const watched = await t.client.workflow.execute(watchLab, { taskQueue, workflowId: labWorkflowId(spec, 'watch'), args: [{ spec }] });
    const child = t.client.workflow.getHandle(labWorkflowId(spec, 'failover-worker-0'));
    const done = await child.result();
    const described = await child.fetchHistory();
    const input = described.events?.[0]?.workflowExecutionStartedEventAttributes?.input?.payloads?.[0]?.data;
    return { watched, done, input: input ? Buffer.from(input).toString('utf8') : '' };
  });
  expect(result.watched).toMatchObject({ ended: 'lab stopped', failovers: [{ group: 'worker-0', action: 'started' }] });
  expect(result.done.status).toBe('PASS');
  expect(result.input).toContain('WatchLab: 2 probes failed; its data directory is gone');
  // The watch's plan goes to the child, which takes over without a plan activity of its own.
  expect(result.input).toContain('"candidate":"worker-0-s1"');
  expect(calls).not.toContain('planFailover(worker-0)');
  expect(calls).toContain('takeOverGroup(worker-0->worker-0-s1)');
  expect(result.done.steps[0]).toMatchObject({ name: 'plan', status: 'done', detail: "worker-0 -> worker-0-s1 (WatchLab's probes)" });
  // While its failover ran, the group was left out of the watch.
  expect(calls.filter((c) => c.startsWith('watch('))[1]).toBe('watch(skip=worker-0)');
});

test('DeployLab with standbys creates them after wait-ready and starts the lab watch last; without, neither', async () => {
  const spec = testSpec({ standbys: 1, sync: true, cluster: `deploy-sb-${Date.now() % 100000}` });
  const calls: string[] = [];
  const taskQueue = uniqueTaskQueue('deploy-standbys');
  const worker = await createTestWorker(t, taskQueue, createFakeActivities((a) => calls.push(a)));
  const result = await worker.runUntil(t.client.workflow.execute(deployLab, { taskQueue, workflowId: taskQueue, args: [{ spec }] }));
  expect(calls.indexOf('ensureStandbys')).toBe(calls.indexOf('waitForNodes') + 1);
  expect(result.steps.map((s) => s.name)).toContain('standbys');
  expect(result.steps.at(-1)).toMatchObject({ name: 'watch', status: 'done' });
  await t.client.workflow.getHandle(labWorkflowId(spec, 'watch')).terminate('test over').catch(() => undefined);

  const plain: string[] = [];
  const queue2 = uniqueTaskQueue('deploy-no-standbys');
  const worker2 = await createTestWorker(t, queue2, createFakeActivities((a) => plain.push(a)));
  const plainResult = await worker2.runUntil(t.client.workflow.execute(deployLab, { taskQueue: queue2, workflowId: queue2, args: [{ spec: testSpec() }] }));
  expect(plain).not.toContain('ensureStandbys');
  expect(plainResult.steps.map((s) => s.name)).not.toContain('standbys');
});
