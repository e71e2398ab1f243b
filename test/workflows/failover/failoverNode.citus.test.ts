/**
 * FailoverNode against a real Citus lab with one synchronous standby per group, supervised as the
 * lab's own environment is: a writer every 10 ms through the coordinator loses no acknowledged write;
 * afterwards one row per group in pg_dist_node, one primary on disk, and the old primary a standby.
 * Then WatchLab on its own: a destroyed primary noticed and failed over by one FailoverNode child.
 * Then the drill: `ha-drill --fault destroy --expect failover` under WatchLab, PASS with 0 writes lost,
 * and the same with `--fault partition` (the primary SIGSTOPped: it must be fenced, never a second primary).
 * Then a worker SIGKILLed right after each takeover part's side effect, and the run resumed by a new worker.
 */
import { execa, type ResultPromise } from 'execa';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { createActivities } from '../../../src/activities/index.js';
import { failoverNode, haDrill, watchLab } from '../../../src/workflows/index.js';
import { labWorkflowId } from '../../../src/workflows/inputs.js';
import { describeIfCitus } from '../../support/citus.js';
import { groupPrimaries } from '../../support/groupPrimaries.js';
import { startCitusSampleLab, supervisedCitusEnvironment } from '../../support/citusSampleLab.js';
import { connectNode, type TempLab } from '../../support/localLab.js';
import { missingIds, startPacedWriter } from '../../support/pacedWriter.js';
import { until } from '../../support/polling.js';
import { connectTemporal, createTestWorker, temporalAddress, uniqueTaskQueue, workflowBundle, type TestTemporal } from '../../support/temporal.js';

const crashWorker = fileURLToPath(new URL('../../fixtures/failoverCrashWorker.ts', import.meta.url));

const primaries = (lab: TempLab) => groupPrimaries(lab, 'worker-0');

describeIfCitus('FailoverNode on Citus with a synchronous standby per group', () => {
  let lab: TempLab;
  let t: TestTemporal;
  let dir: string;
  let child: ResultPromise | undefined;

  beforeAll(async () => {
    lab = await startCitusSampleLab({ workers: 2, registered: 2, prefix: 'failover', standbys: 1, sync: true, supervise: true });
    t = await connectTemporal();
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'citus-lab-failover-'));
  }, 240_000);
  afterAll(async () => {
    child?.kill('SIGKILL');
    await t?.close();
    await lab?.cleanup();
    if (dir) fs.rmSync(dir, { recursive: true, force: true });
  });

  test('fails worker-0 over under a writer every 10 ms: no acknowledged write lost, one primary', async () => {
    const taskQueue = uniqueTaskQueue('failover');
    const worker = await createTestWorker(t, taskQueue, createActivities({ environmentFor: supervisedCitusEnvironment }));
    const writer = startPacedWriter(lab, { everyMs: 10, patients: lab.spec.patients });
    await new Promise((r) => setTimeout(r, 500));
    const result = await worker.runUntil(
      t.client.workflow.execute(failoverNode, { taskQueue, workflowId: `failover-${taskQueue}`, args: [{ spec: lab.spec, node: 'worker-0', reason: 'test' }] }),
    );
    process.stderr.write(`failover done: ${JSON.stringify(result.steps.map((st) => [st.name, st.durationMs]))}\n`);
    await new Promise((r) => setTimeout(r, 300));
    await writer.stop();
    const errors = [...new Set(writer.outcomes.filter((o) => !o.ok).map((o) => o.error))].slice(0, 5);
    process.stderr.write(`writer stopped; distinct errors: ${JSON.stringify(errors)}\n`);

    expect(result.plan).toMatchObject({ oldPrimary: 'worker-0', candidate: 'worker-0-s1' });
    expect(result.rebuild?.member).toBe('worker-0');
    const client = await connectNode(lab, 'coordinator', lab.spec.database);
    try {
      expect(await missingIds(client, writer.acked())).toBe(0);
    } finally {
      await client.end();
    }
    expect(writer.acked().length).toBeGreaterThan(50);
    expect(await primaries(lab)).toEqual({ onDisk: ['worker-0-s1'], inCitus: ['worker-0-s1'] });
    process.stderr.write(
      `failover under load: ${writer.acked().length} writes acknowledged, ${writer.outcomes.length - writer.acked().length} failed, ` +
        `longest gap between successful writes ${writer.longestGapMs()} ms, writes back ${result.writesBackAfterMs} ms after the run started\n`,
    );
  }, 180_000);

  test('WatchLab notices a destroyed primary and fails its group over through one FailoverNode child', async () => {
    const before = lab.env.ha.members('worker-0').find((m) => m.primary)!.name;
    const taskQueue = uniqueTaskQueue('watch-real');
    const worker = await createTestWorker(t, taskQueue, createActivities({ environmentFor: supervisedCitusEnvironment }));
    const watchId = labWorkflowId(lab.spec, 'watch');
    const childId = labWorkflowId(lab.spec, 'failover-worker-0');
    const result = await worker.runUntil(async () => {
      const watch = await t.client.workflow.start(watchLab, { taskQueue, workflowId: watchId, args: [{ spec: lab.spec, options: { watchSeconds: 30 } }] });
      // Its probe sessions open before the fault, as on a lab whose watch has run for a while.
      await new Promise((r) => setTimeout(r, 1_500));
      await lab.env.injectFault('worker-0', 'destroy');
      await until('WatchLab to start the failover', async () => {
        try {
          await t.client.workflow.getHandle(childId).describe();
          return true;
        } catch {
          return false;
        }
      }, 60_000, 100);
      const done = await t.client.workflow.getHandle(childId).result();
      await watch.terminate('test over');
      return done;
    });
    expect(result.reason).toMatch(/^WatchLab: \d+ probes of .* failed .*its data directory is gone/);
    expect(result.plan.oldPrimary).toBe(before);
    // The plan came from the watch's probe round: no plan activity in the child.
    expect(result.steps[0]?.detail).toContain("(WatchLab's probes)");
    expect(await primaries(lab)).toEqual({ onDisk: [result.plan.candidate], inCitus: [result.plan.candidate] });
    // One failover for the group: the child's id is the group's, and only one run of it exists.
    const runs: string[] = [];
    for await (const run of t.client.workflow.list({ query: `WorkflowId = "${childId}"` })) runs.push(run.runId);
    expect(runs.length).toBe(1);
  }, 240_000);

  /**
   * `ha-drill --fault <fault> --expect failover` with WatchLab running, as a user runs them. Returns once
   * the group's FailoverNode has finished too: WatchLab's child outlives it and rebuilds the old primary
   * after the drill has its answer, and on a busy machine it was still at it when the next test began
   * (whose drill then found the cluster busy, with no worker left on this task queue to finish it).
   */
  const drillUnderWatch = async (fault: 'destroy' | 'partition') => {
    const taskQueue = uniqueTaskQueue(`drill-${fault}`);
    // The drill probes through the lab's API too, as on a deployed lab: start it as deploy does (a no-op when it runs).
    await supervisedCitusEnvironment(lab.spec).startApi();
    const worker = await createTestWorker(t, taskQueue, createActivities({ environmentFor: supervisedCitusEnvironment, reportsDir: () => dir }));
    const result = await worker.runUntil(async () => {
      const watch = await t.client.workflow.start(watchLab, { taskQueue, workflowId: labWorkflowId(lab.spec, 'watch'), args: [{ spec: lab.spec, options: { watchSeconds: 60 } }] });
      await new Promise((r) => setTimeout(r, 1_500));
      try {
        const drill = await t.client.workflow.execute(haDrill, {
          taskQueue,
          workflowId: labWorkflowId(lab.spec, `ha-drill-worker-0-${fault}`),
          args: [{ spec: lab.spec, node: 'worker-0', fault, expect: 'failover', settleSeconds: 2 }],
        });
        if (drill.recoveredBy?.by === 'failover') await t.client.workflow.getHandle(labWorkflowId(lab.spec, 'failover-worker-0')).result();
        return drill;
      } finally {
        await watch.terminate('test over');
      }
    });
    process.stderr.write(`${fault} drill: ${result.status}; metrics ${JSON.stringify(result.metrics)}; writes ${JSON.stringify(result.after?.writes)}; problems ${JSON.stringify(result.problems)}\n`);
    return result;
  };

  test.each(['destroy', 'partition'] as const)(
    'ha-drill --fault %s --expect failover: WatchLab fails the group over, PASS, no committed write lost, one primary',
    async (fault) => {
      const before = lab.env.ha.members('worker-0').find((m) => m.primary)!.name;
      const result = await drillUnderWatch(fault);
      expect(result.problems).toEqual([]);
      expect(result.status).toBe('PASS');
      expect(result.recoveredBy).toMatchObject({ node: 'worker-0', by: 'failover', primaryBefore: before });
      expect(result.recoveredBy?.primaryNow).not.toBe(before);
      expect(result.after?.writes.committed).toBeGreaterThan(0);
      expect(result.after?.writes.lost).toBe(0);
      expect(result.metrics.recoveryMs).toBeGreaterThan(0);
      // One primary, on disk and in Citus. After a partition the drill let the frozen processes run again
      // (SIGCONT): the fence had killed them, so the old primary never answers as a second one.
      expect(await primaries(lab)).toEqual({ onDisk: [result.recoveredBy!.primaryNow], inCitus: [result.recoveredBy!.primaryNow] });
      expect(lab.env.ha.member(before).frozen).toBe(false);
    },
    240_000,
  );

  test.each(['fence', 'promote', 'update-node'])(
    'a worker SIGKILLed right after %s: the resumed run ends with one primary and the old one fenced',
    async (crashAfter) => {
      const before = lab.env.ha.members('worker-0').find((m) => m.primary)!.name;
      const taskQueue = uniqueTaskQueue(`failover-crash-${crashAfter}`);
      const bundleFile = path.join(dir, 'workflows.js');
      if (!fs.existsSync(bundleFile)) fs.writeFileSync(bundleFile, (await workflowBundle()).code);
      child = execa('node', ['--import', 'tsx', crashWorker, temporalAddress(), taskQueue, bundleFile, crashAfter], { reject: false, stdio: 'inherit' });
      const handle = await t.client.workflow.start(failoverNode, { taskQueue, workflowId: `failover-${taskQueue}`, args: [{ spec: lab.spec, node: 'worker-0' }] });
      const exited = await child;
      expect(exited.signal).toBe('SIGKILL');

      // Between the crash and the resume: never two primaries, and the supervisor left the fenced one down.
      const meanwhile = await primaries(lab);
      expect(meanwhile.onDisk.length).toBeLessThanOrEqual(1);
      expect(meanwhile.onDisk).not.toContain(before);
      expect(lab.env.mayRestart(before)).toBe(false);

      const worker = await createTestWorker(t, taskQueue, createActivities({ environmentFor: supervisedCitusEnvironment }));
      const result = await worker.runUntil(handle.result());
      expect(result.plan.oldPrimary).toBe(before);
      const after = await primaries(lab);
      expect(after).toEqual({ onDisk: [result.plan.candidate], inCitus: [result.plan.candidate] });
      expect(lab.env.ha.member(before).fenced).toBe(false); // rebuilt: a standby now
      const history = await handle.fetchHistory();
      const scheduled = (history.events ?? []).map((e) => e.activityTaskScheduledEventAttributes?.activityType?.name).filter(Boolean);
      // The takeover ran again on the new worker after the crash inside it.
      expect(scheduled.filter((n) => n === 'takeOverGroup').length).toBe(1);
      const attempts = (history.events ?? []).map((e) => e.activityTaskStartedEventAttributes?.attempt).filter((a): a is number => typeof a === 'number');
      expect(Math.max(...attempts)).toBeGreaterThanOrEqual(2);
    },
    240_000,
  );
});
