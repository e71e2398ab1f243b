/**
 * RebalanceAndDrain on the real dev server with activities replaced: step order, the progress query
 * fed by the follow activity's signals, the cancel path (the job is stopped, the report written, the
 * run ends cancelled), typed refusals before anything moves, failures that say what moved and which
 * flag is set, --check, and register-workers --rebalance.
 */
import { WorkflowFailedError } from '@temporalio/client';
import { CancelledFailure } from '@temporalio/common';
import { heartbeat } from '@temporalio/activity';
import { pause } from '../../../src/activities/activityContext.js';
import { toApplicationFailure } from '../../../src/activities/failures.js';
import { workflowPublisher } from '../../../src/activities/postgres/rebalance/rebalanceFollow.js';
import { LabError } from '../../../src/errors.js';
import { rebalanceAndDrain, registerWorkers } from '../../../src/workflows/index.js';
import { progressQuery } from '../../../src/workflows/progress.js';
import { rebalanceProgressQuery } from '../../../src/workflows/rebalance/rebalanceProgress.js';
import type { RebalanceAndDrainInput } from '../../../src/workflows/rebalance/rebalanceTypes.js';
import { createFakeActivities, fakeJobProgress, testSpec } from '../../support/fakeActivities.js';
import { connectTemporal, createTestWorker, uniqueTaskQueue, type TestTemporal } from '../../support/temporal.js';

let t: TestTemporal;
beforeAll(async () => {
  t = await connectTemporal();
});
afterAll(async () => {
  await t?.close();
});

const spec = testSpec();
const drainInput = (extra: Partial<RebalanceAndDrainInput> = {}): RebalanceAndDrainInput => ({ spec, operation: 'drain', node: 'worker-1', ...extra });

async function until<T>(what: string, probe: () => Promise<T | undefined>, timeoutMs = 20_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe().catch(() => undefined);
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

function recorder() {
  const calls: string[] = [];
  return { calls, record: (a: string, d?: string) => calls.push(d ? `${a}(${d})` : a) };
}

test('on a Citus without parallel transfer (12.x) the moves run from the session: no job is started', async () => {
  const { calls, record } = recorder();
  const taskQueue = uniqueTaskQueue('drain-session');
  const base = createFakeActivities(record);
  const worker = await createTestWorker(
    t,
    taskQueue,
    createFakeActivities(record, {
      async rebalancePreflight(s, request) {
        return { ...(await base.rebalancePreflight(s, request)), parallelTransfer: false };
      },
    }),
  );
  const result = await worker.runUntil(t.client.workflow.execute(rebalanceAndDrain, { taskQueue, workflowId: taskQueue, args: [drainInput()] }));
  expect(calls).toEqual([
    'assertClusterIdle(drain --node worker-1)',
    'rebalancePreflight(drain)',
    'snapshotData',
    'markNodeDraining(worker-1)',
    'moveShardsInSession(drain)',
    'snapshotData',
    'writeReport(drain:PASS)',
  ]);
  expect(result.status).toBe('PASS');
  expect(result.job).toMatchObject({ jobId: null, session: true, progress: { movesDone: 16, movesTotal: 16 } });
  const steps = Object.fromEntries(result.steps.map((s) => [s.name, s]));
  expect(steps['start-job']).toMatchObject({ status: 'skipped' });
  expect(steps['move-shards']).toMatchObject({ status: 'done', detail: expect.stringMatching(/^session: 16\/16 moves/) });
});

test('a drain runs lock, preflight, snapshots, flag, job and proof in order, and passes', async () => {
  const { calls, record } = recorder();
  const taskQueue = uniqueTaskQueue('drain-ok');
  const worker = await createTestWorker(t, taskQueue, createFakeActivities(record));
  const result = await worker.runUntil(
    t.client.workflow.execute(rebalanceAndDrain, { taskQueue, workflowId: taskQueue, args: [drainInput({ remove: true })] }),
  );
  expect(calls).toEqual([
    'assertClusterIdle(drain --node worker-1)',
    'rebalancePreflight(drain)',
    'snapshotData',
    'markNodeDraining(worker-1)',
    'startRebalanceJob(drain)',
    'followRebalanceJob(11)',
    'removeDrainedNode(worker-1)',
    'snapshotData',
    'writeReport(drain:PASS)',
  ]);
  expect(result.status).toBe('PASS');
  expect(result.problems).toEqual([]);
  expect(result.job).toMatchObject({ jobId: 11, adopted: false, parallelMoves: 4, progress: { movesDone: 16, movesTotal: 16 } });
  expect(result.proof?.placementsBefore).toEqual({ 'worker-0': 16, 'worker-1': 16 });
  expect(result.proof?.placementsAfter).toEqual({ 'worker-0': 32, 'worker-1': 0 });
  expect(result.proof?.tables.map((p) => p.verdict)).toEqual(['unchanged', 'unchanged']);
  expect(result.drain).toMatchObject({ node: 'worker-1', shouldHaveShards: false, placements: 0, removed: true });
  expect(result.steps.map((s) => `${s.name}:${s.status}`)).toEqual([
    'cluster-idle:done',
    'preflight:done',
    'snapshot-before:done',
    'mark-draining:done',
    'start-job:done',
    'move-shards:done',
    'remove-node:done',
    'snapshot-after:done',
    'report:done',
  ]);
});

test('progress signalled by the follow activity shows in the rebalanceProgress query and the step detail', async () => {
  let release = false;
  const taskQueue = uniqueTaskQueue('drain-progress');
  const fakes = createFakeActivities(() => undefined);
  const worker = await createTestWorker(t, taskQueue, {
    ...fakes,
    async followRebalanceJob(...args: Parameters<typeof fakes.followRebalanceJob>) {
      const jobId = args[1];
      const publish = workflowPublisher();
      for (let done = 0; done <= 2; done++) {
        const progress = fakeJobProgress(jobId, 'running', done);
        heartbeat(progress);
        await publish?.(progress);
        await pause(50);
      }
      while (!release) {
        heartbeat('waiting for the test');
        await pause(50);
      }
      return fakes.followRebalanceJob(...args);
    },
  });
  await worker.runUntil(async () => {
    const handle = await t.client.workflow.start(rebalanceAndDrain, { taskQueue, workflowId: taskQueue, args: [drainInput()] });
    const seen = await until('two moves in the progress query', async () => {
      const p = await handle.query(rebalanceProgressQuery);
      return p && p.movesDone === 2 ? p : undefined;
    });
    expect(seen).toMatchObject({ jobId: 11, state: 'running', movesTotal: 16, running: [{ shard: 102010, from: 'worker-1', to: 'worker-0', phase: 'Catching Up' }] });
    const step = await until('the move-shards detail', async () => {
      const s = (await handle.query(progressQuery)).steps.find((x) => x.name === 'move-shards');
      return s?.detail?.includes('2/16 moves') ? s : undefined;
    });
    expect(step.status).toBe('running');
    expect(step.detail).toBe('job 11 running: 2/16 moves, 128 kB of 1.0 MB; moving shard 102010 worker-1 -> worker-0');
    release = true;
    const result = await handle.result();
    expect(result.status).toBe('PASS');
    expect((await handle.query(rebalanceProgressQuery))?.state).toBe('finished');
  });
});

test('cancelling mid-move stops the job, snapshots, writes a FAIL report and ends the run cancelled', async () => {
  const { calls, record } = recorder();
  const taskQueue = uniqueTaskQueue('drain-cancel');
  const worker = await createTestWorker(
    t,
    taskQueue,
    createFakeActivities(record, {
      async followRebalanceJob(_spec, jobId) {
        record('followRebalanceJob', String(jobId));
        for (;;) {
          heartbeat(fakeJobProgress(jobId, 'running', 5));
          await pause(50); // rejects once the cancel reaches the activity
        }
      },
    }),
  );
  await worker.runUntil(async () => {
    const handle = await t.client.workflow.start(rebalanceAndDrain, { taskQueue, workflowId: taskQueue, args: [drainInput()] });
    await until('the follow activity', async () => (calls.includes('followRebalanceJob(11)') ? true : undefined));
    await handle.cancel();
    const err: unknown = await handle.result().catch((e: unknown) => e);
    expect(err).toBeInstanceOf(WorkflowFailedError);
    expect((err as WorkflowFailedError).cause).toBeInstanceOf(CancelledFailure);
    const progress = await handle.query(progressQuery);
    expect(progress.steps.find((s) => s.name === 'move-shards')?.status).toBe('failed');
  });
  expect(calls.slice(-4)).toEqual(['followRebalanceJob(11)', 'stopRebalanceJob(11)', 'snapshotData', 'writeReport(drain:FAIL)']);
  expect(calls).not.toContain('removeDrainedNode(worker-1)');
});

test('a job that fails says how far it got and which drain flag is set; the job is stopped and the report written', async () => {
  const { calls, record } = recorder();
  const taskQueue = uniqueTaskQueue('drain-fail');
  const worker = await createTestWorker(
    t,
    taskQueue,
    createFakeActivities(record, {
      async followRebalanceJob() {
        throw toApplicationFailure(
          new LabError('CommandFailed', 'background job 11 failed after 5 of 16 moves (last task error: disk full).', { nonRetryable: true }),
        );
      },
    }),
  );
  const err: unknown = await worker
    .runUntil(t.client.workflow.execute(rebalanceAndDrain, { taskQueue, workflowId: taskQueue, args: [drainInput()] }))
    .catch((e: unknown) => e);
  expect(err).toBeInstanceOf(WorkflowFailedError);
  const failure = (err as WorkflowFailedError).cause as Error & { type?: string };
  expect(failure.type).toBe('CommandFailed');
  expect(failure.message).toBe(
    'background job 11 failed after 5 of 16 moves (last task error: disk full); 5 of 16 moves were done (job 11 cancelled); ' +
      'worker-1 has shouldhaveshards = false and holds 16 placements: run drain --node worker-1 again to continue, ' +
      'or set shouldhaveshards back to true to undo. Report: /tmp/drain.md',
  );
  expect(calls.slice(-3)).toEqual(['stopRebalanceJob(11)', 'snapshotData', 'writeReport(drain:FAIL)']);
});

test('refusals before anything moves: bad input in the workflow, preflight types from the activity', async () => {
  const { calls, record } = recorder();
  const taskQueue = uniqueTaskQueue('drain-refused');
  const worker = await createTestWorker(
    t,
    taskQueue,
    createFakeActivities(record, {
      async rebalancePreflight() {
        throw toApplicationFailure(new LabError('RebalanceRunning', 'background rebalance job 9 is running and was not started by this run.'));
      },
    }),
  );
  const failureOf = async (input: RebalanceAndDrainInput, id: string) => {
    const err: unknown = await t.client.workflow
      .execute(rebalanceAndDrain, { taskQueue, workflowId: `${taskQueue}-${id}`, args: [input] })
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(WorkflowFailedError);
    let cause: unknown = (err as WorkflowFailedError).cause;
    while (cause instanceof Error && cause.cause instanceof Error) cause = cause.cause;
    return cause as Error & { type?: string };
  };
  await worker.runUntil(async () => {
    expect(await failureOf(drainInput({ node: 'worker-9' }), 'unknown')).toMatchObject({
      type: 'UnknownNode',
      message: expect.stringContaining('its workers are worker-0, worker-1'),
    });
    expect((await failureOf(drainInput({ node: 'coordinator' }), 'coord')).type).toBe('UnknownNode');
    expect((await failureOf({ spec, operation: 'rebalance', fixIdentity: [{ table: 'Bad-Name' }] }, 'ident')).type).toBe('ConfigInvalid');
    expect(calls).toEqual([]);
    expect((await failureOf(drainInput(), 'running')).type).toBe('RebalanceRunning');
    expect(calls).toEqual(['assertClusterIdle(drain --node worker-1)']);
  });
});

test('--check runs the preflight only and returns its report', async () => {
  const { calls, record } = recorder();
  const taskQueue = uniqueTaskQueue('rebalance-check');
  const worker = await createTestWorker(
    t,
    taskQueue,
    createFakeActivities(record, {
      async rebalancePreflight(_spec, request) {
        record('rebalancePreflight', `enforce=${request.enforce}`);
        const problem = { kind: 'replica_identity' as const, subject: 'notas', message: 'tables without a primary key or replica identity: notas' };
        return {
          status: 'FAIL',
          checks: [{ name: 'replica identity', status: 'FAIL', message: problem.message, durationMs: 1 }],
          problems: [problem],
          lastJobId: 0,
        };
      },
    }),
  );
  const result = await worker.runUntil(
    t.client.workflow.execute(rebalanceAndDrain, { taskQueue, workflowId: taskQueue, args: [{ spec, operation: 'rebalance', checkOnly: true }] }),
  );
  expect(calls).toEqual(['rebalancePreflight(enforce=false)']);
  expect(result).toMatchObject({ status: 'FAIL', checkOnly: true, problems: ['tables without a primary key or replica identity: notas'] });
  expect(result.steps.map((s) => s.name)).toEqual(['preflight']);
});

test('register-workers --rebalance registers, then rebalances as a child', async () => {
  const { calls, record } = recorder();
  const taskQueue = uniqueTaskQueue('register-rebalance');
  const worker = await createTestWorker(t, taskQueue, createFakeActivities(record));
  const result = await worker.runUntil(
    t.client.workflow.execute(registerWorkers, {
      taskQueue,
      workflowId: taskQueue,
      args: [{ spec, rebalance: { transferMode: 'block_writes' } }],
    }),
  );
  expect(result.rebalance).toMatchObject({ status: 'PASS', operation: 'rebalance', transferMode: 'block_writes' });
  expect(result.unchanged).toBe(false);
  expect(result.steps.map((s) => s.name)).toEqual(['ensure-database', 'coordinator-host', 'add-workers', 'check-active-workers', 'rebalance']);
  expect(calls.indexOf('checkActiveWorkers')).toBeLessThan(calls.indexOf('startRebalanceJob(rebalance)'));
  const child = await t.client.workflow.getHandle(`${taskQueue}-rebalance`).describe();
  expect(child.type).toBe('rebalanceAndDrain');
});
