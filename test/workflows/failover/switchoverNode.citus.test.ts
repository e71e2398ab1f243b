/**
 * SwitchoverNode against a real Citus lab with one synchronous standby per group, supervised as the
 * lab's own environment is, while a client writes through the coordinator every 10 ms: no acknowledged
 * write is lost, the writes wait instead of failing, the pause is in the result, and afterwards the
 * group has one primary (pg_dist_node and on disk) with the old primary streaming as its standby.
 */
import pg from 'pg';
import { planFailover } from '../../../src/activities/failover/failoverSteps.js';
import { switchoverGroup } from '../../../src/activities/failover/switchover.js';
import { createActivities } from '../../../src/activities/index.js';
import { switchoverNode } from '../../../src/workflows/index.js';
import { describeIfCitus } from '../../support/citus.js';
import { startCitusSampleLab, supervisedCitusEnvironment } from '../../support/citusSampleLab.js';
import { groupPrimaries } from '../../support/groupPrimaries.js';
import { connectNode, type TempLab } from '../../support/localLab.js';
import { missingIds, startPacedWriter } from '../../support/pacedWriter.js';
import { connectTemporal, createTestWorker, uniqueTaskQueue, type TestTemporal } from '../../support/temporal.js';

describeIfCitus('SwitchoverNode on Citus with a synchronous standby per group', () => {
  let lab: TempLab;
  let t: TestTemporal;

  beforeAll(async () => {
    lab = await startCitusSampleLab({ workers: 2, registered: 2, prefix: 'switchover', standbys: 1, sync: true, supervise: true });
    t = await connectTemporal();
  }, 240_000);
  afterAll(async () => {
    await t?.close();
    await lab?.cleanup();
  });

  test('switches worker-1 over under a writer every 10 ms: writes wait, none lost, one primary, the old one a standby', async () => {
    const taskQueue = uniqueTaskQueue('switchover');
    const worker = await createTestWorker(t, taskQueue, createActivities({ environmentFor: supervisedCitusEnvironment }));
    // No statement timeout: a write that waits out the pause must come back by itself, not be cancelled.
    const writer = startPacedWriter(lab, { everyMs: 10, patients: lab.spec.patients, statementTimeoutMs: 0 });
    await new Promise((r) => setTimeout(r, 500));
    const result = await worker.runUntil(
      t.client.workflow.execute(switchoverNode, { taskQueue, workflowId: `switchover-${taskQueue}`, args: [{ spec: lab.spec, node: 'worker-1' }] }),
    );
    await new Promise((r) => setTimeout(r, 300));
    await writer.stop();
    const failed = writer.outcomes.filter((o) => !o.ok);
    process.stderr.write(
      `switchover under a writer every 10 ms: writes paused ${result.switchover.pauseMs} ms (phases ${JSON.stringify(result.switchover.phases ?? {})}), ` +
        `${writer.acked().length} writes acknowledged, ${failed.length} failed ${JSON.stringify([...new Set(failed.map((o) => o.error))].slice(0, 3))}, ` +
        `longest gap between successful writes ${writer.longestGapMs()} ms, rebuild ${result.rebuild?.method} ${result.rebuild?.durationMs} ms\n`,
    );

    expect(result.switchover).toMatchObject({ oldPrimary: 'worker-1', newPrimary: 'worker-1-s1', resumed: false });
    expect(result.switchover.pauseMs).toBeGreaterThan(0);
    expect(result.switchover.resumedAt - result.switchover.pausedAt).toBe(result.switchover.pauseMs);
    // Writes to the group waited on the coordinator's locks: none failed.
    expect(failed).toEqual([]);
    expect(writer.acked().length).toBeGreaterThan(50);
    const client = await connectNode(lab, 'coordinator', lab.spec.database);
    try {
      expect(await missingIds(client, writer.acked())).toBe(0);
    } finally {
      await client.end();
    }
    expect(await groupPrimaries(lab, 'worker-1')).toEqual({ onDisk: ['worker-1-s1'], inCitus: ['worker-1-s1'] });
    expect(result.rebuild).toMatchObject({ member: 'worker-1' });
    const old = lab.env.ha.member('worker-1');
    expect(old).toMatchObject({ primary: false, fenced: false, running: true });
  }, 180_000);

  test('a retry after a crash between the promotion and COMMIT finishes the switch with the recorded plan', async () => {
    const plan = await planFailover(lab.env, 'worker-0');
    expect(plan).toMatchObject({ oldPrimary: 'worker-0', candidate: 'worker-0-s1' });
    // What the crashed attempt left: old primary fenced and stopped, candidate promoted, nothing committed.
    await lab.env.ha.fence(plan.oldPrimary, 'fast');
    const { user, password } = await lab.env.credentials();
    const standby = new pg.Client({ host: '127.0.0.1', port: lab.env.ha.member(plan.candidate).node.port, user, password, database: 'postgres' });
    await standby.connect();
    try {
      await standby.query('SELECT pg_promote(true)');
    } finally {
      await standby.end();
    }
    expect((await groupPrimaries(lab, 'worker-0')).inCitus).toEqual(['worker-0']);

    const retried = await switchoverGroup(lab.env, 'worker-0', { plan });
    expect(retried).toMatchObject({ oldPrimary: 'worker-0', newPrimary: 'worker-0-s1', resumed: true, pauseMs: 0 });
    expect(await groupPrimaries(lab, 'worker-0')).toEqual({ onDisk: ['worker-0-s1'], inCitus: ['worker-0-s1'] });
    expect(lab.env.ha.member('worker-0')).toMatchObject({ primary: false, fenced: true });
    expect(lab.env.ha.member('worker-0-s1').primary).toBe(true);

    // And a retry after the COMMIT (the switch complete, its result lost) recognises it instead of failing.
    const again = await switchoverGroup(lab.env, 'worker-0', { plan });
    expect(again).toMatchObject({ resumed: true, nodeUpdate: { changed: false } });
    expect(await groupPrimaries(lab, 'worker-0')).toEqual({ onDisk: ['worker-0-s1'], inCitus: ['worker-0-s1'] });
    await lab.env.ha.rebuild('worker-0');
  }, 120_000);
});
