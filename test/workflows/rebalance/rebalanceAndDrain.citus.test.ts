/**
 * RebalanceAndDrain end to end on a real Citus lab (1 coordinator + 3 workers, two registered at
 * first) with the real activities on the dev server: register-workers --rebalance spreads shards onto
 * the third worker; a drain empties a node while a writer keeps inserting (no write fails, none is
 * lost); a drain cancelled mid-way leaves the flag set and the next run finishes it; --remove; and a
 * refused drain (last worker) moves nothing.
 */
import { WorkflowFailedError } from '@temporalio/client';
import { CancelledFailure } from '@temporalio/common';
import fs from 'node:fs';
import { createActivities } from '../../../src/activities/index.js';
import { TABLE_PLAN } from '../../../src/activities/postgres/schema.js';
import { rebalanceAndDrain, registerWorkers } from '../../../src/workflows/index.js';
import { rebalanceProgressQuery } from '../../../src/workflows/rebalance/rebalanceProgress.js';
import type { RebalanceAndDrainInput } from '../../../src/workflows/rebalance/rebalanceTypes.js';
import { describeIfCitus } from '../../support/citus.js';
import {
  backgroundJobBehaviour,
  citusEnvironment,
  citusVersionOf,
  labSql,
  nodeAddress,
  placements,
  startCitusSampleLab,
  startWriter,
} from '../../support/citusSampleLab.js';
import { connectNode, type TempLab } from '../../support/localLab.js';
import { connectTemporal, createTestWorker, uniqueTaskQueue, type TestTemporal } from '../../support/temporal.js';
import { GROWING_TABLES } from '../../../src/activities/postgres/dataProof.js';

/** The proof covers every table but the API's append-only audit trail (dataProof.ts). */
const PROVEN_TABLES = TABLE_PLAN.filter((t) => !GROWING_TABLES.includes(t.table)).length;

// The lab's distributed tables (the seed's five and the FHIR storage's), 32 shards each.
const TOTAL_PLACEMENTS = TABLE_PLAN.filter((p) => p.distribution.kind === 'distributed').length * 32;
const HALF = TOTAL_PLACEMENTS / 2;

describeIfCitus('RebalanceAndDrain on a Citus lab', () => {
  let lab: TempLab;
  let t: TestTemporal;
  const taskQueue = uniqueTaskQueue('rebalance-citus');
  let run = 0;
  const activities = createActivities({ environmentFor: citusEnvironment });
  const drain = (node: string, extra: Partial<RebalanceAndDrainInput> = {}): RebalanceAndDrainInput => ({
    spec: lab.spec,
    operation: 'drain',
    node,
    ...extra,
  });
  const start = (input: RebalanceAndDrainInput) =>
    t.client.workflow.start(rebalanceAndDrain, { taskQueue, workflowId: `${taskQueue}-${++run}`, args: [input] });
  const flag = async (node: string) => {
    const { host, port } = nodeAddress(lab, node);
    const rows = await labSql<{ shouldhaveshards: boolean }>(lab, 'SELECT shouldhaveshards FROM pg_dist_node WHERE nodename = $1 AND nodeport = $2', [
      host,
      port,
    ]);
    return rows[0]?.shouldhaveshards;
  };

  beforeAll(async () => {
    t = await connectTemporal();
    lab = await startCitusSampleLab({ workers: 3, registered: 2, prefix: 'rebal-wf' });
  }, 240_000);
  afterAll(async () => {
    await lab?.cleanup();
    await t?.close();
  });

  test('register-workers --rebalance adds the third worker and spreads shards onto it, proving no row changed', async () => {
    expect(await placements(lab)).toEqual({ 'worker-0': HALF, 'worker-1': HALF });
    const worker = await createTestWorker(t, taskQueue, activities);
    const result = await worker.runUntil(
      t.client.workflow.execute(registerWorkers, { taskQueue, workflowId: `${taskQueue}-register`, args: [{ spec: lab.spec, rebalance: {} }] }),
    );
    expect(result.workers.find((w) => w.node === 'worker-2')?.action).toBe('added');
    const rebalanced = result.rebalance;
    expect(rebalanced?.status).toBe('PASS');
    expect(rebalanced?.proof?.tables.every((p) => p.verdict === 'unchanged')).toBe(true);
    expect(rebalanced?.proof?.tables).toHaveLength(PROVEN_TABLES);
    const after = await placements(lab);
    expect(after['worker-2']).toBeGreaterThanOrEqual(40);
    expect(Object.values(after).reduce((a, b) => a + b, 0)).toBe(TOTAL_PLACEMENTS);
    expect(rebalanced?.proof?.placementsAfter).toEqual(after);
    expect(rebalanced?.job?.progress?.movesDone).toBeGreaterThan(0);

    const markdown = fs.readFileSync(rebalanced?.reports?.markdown ?? '', 'utf8');
    expect(markdown).toContain(`placements_before | worker-0=${HALF}, worker-1=${HALF}, worker-2=0`);
    expect(markdown).toContain(`rows_and_checksums | unchanged in ${PROVEN_TABLES} tables`);
    // 13.2 moves in a background job whose settings are raised (it runs one task at a time by default);
    // 12.x moves one shard group at a time from the run's session, so nothing is changed.
    const { parallelTransfer } = backgroundJobBehaviour(await citusVersionOf(lab));
    expect(markdown).toMatch(
      parallelTransfer
        ? /settings_changed \| citus.max_background_task_executors 1 -> 4 .*citus.max_background_task_executors_per_node 1 -> 4/
        : /settings_changed \| none/,
    );
    expect(rebalanced?.job?.session === true).toBe(!parallelTransfer);
    const json = JSON.parse(fs.readFileSync(rebalanced?.reports?.json ?? '', 'utf8')) as { data: { proof: unknown } };
    expect(json.data.proof).toBeDefined();
  }, 180_000);

  test('an online drain empties worker-1 while writes keep working: none fails, none is lost', async () => {
    const writerClient = await connectNode(lab, 'coordinator', lab.spec.database);
    const writer = startWriter(writerClient, lab.spec.patients);
    const worker = await createTestWorker(t, taskQueue, activities);
    try {
      await new Promise((r) => setTimeout(r, 300)); // the writer is going before the first move
      const result = await worker.runUntil(async () => (await start(drain('worker-1', { writesTo: ['observaciones'] }))).result());
      await writer.stop();
      expect(result.status).toBe('PASS');
      expect(result.transferMode).toBe('auto');
      expect(result.drain).toMatchObject({ node: 'worker-1', shouldHaveShards: false, placements: 0 });
      expect(result.proof?.tables.find((p) => p.table === 'observaciones')?.verdict).toBe('grew');
      expect(result.proof?.tables.filter((p) => p.table !== 'observaciones').every((p) => p.verdict === 'unchanged')).toBe(true);
    } finally {
      await writer.stop();
      await writerClient.end();
    }
    expect(writer.errors).toEqual([]);
    expect(writer.acked.length).toBeGreaterThan(10);
    const [found] = await labSql<{ n: string }>(lab, 'SELECT count(*) AS n FROM observaciones WHERE observacion_id = ANY($1::bigint[])', [writer.acked]);
    expect(Number(found?.n)).toBe(writer.acked.length);
    expect((await placements(lab))['worker-1']).toBeUndefined();
  }, 180_000);

  test('a drain cancelled mid-way leaves the flag set and its moves done; the next run finishes it', async () => {
    const worker = await createTestWorker(t, taskQueue, activities);
    const holding = (await placements(lab))['worker-0'] ?? 0;
    expect(holding).toBeGreaterThan(0);
    await worker.runUntil(async () => {
      // One move at a time, so there is a "mid-way" to cancel in.
      const handle = await start(drain('worker-0', { parallelMoves: 1 }));
      const deadline = Date.now() + 60_000;
      for (;;) {
        const progress = await handle.query(rebalanceProgressQuery).catch(() => undefined);
        if (progress && progress.movesDone >= 1) break;
        if (Date.now() > deadline) throw new Error('no move finished within a minute');
        await new Promise((r) => setTimeout(r, 100));
      }
      await handle.cancel();
      const err: unknown = await handle.result().catch((e: unknown) => e);
      expect(err).toBeInstanceOf(WorkflowFailedError);
      expect((err as WorkflowFailedError).cause).toBeInstanceOf(CancelledFailure);
    });
    if (backgroundJobBehaviour(await citusVersionOf(lab)).parallelTransfer) {
      const jobs = await labSql<{ state: string }>(lab, 'SELECT state::text FROM pg_dist_background_job ORDER BY job_id DESC LIMIT 1');
      expect(jobs[0]?.state).toBe('cancelled');
    } else {
      // 12.x: the moves ran in the run's session; the cancel stopped it (no session still moves).
      const moving = await labSql(lab, `SELECT pid FROM pg_stat_activity WHERE application_name = 'citus-lab session moves' AND state = 'active'`);
      expect(moving).toEqual([]);
    }
    expect(await flag('worker-0')).toBe(false);
    const left = (await placements(lab))['worker-0'] ?? 0;
    expect(left).toBeGreaterThan(0);
    expect(left).toBeLessThan(holding);

    const again = await (await createTestWorker(t, taskQueue, activities)).runUntil(async () => (await start(drain('worker-0'))).result());
    expect(again.status).toBe('PASS');
    expect(again.drain).toMatchObject({ placements: 0, shouldHaveShards: false });
    expect(again.proof?.ok).toBe(true);
    expect(await placements(lab)).toEqual({ 'worker-2': TOTAL_PLACEMENTS });
  }, 180_000);

  test('drain --remove removes the emptied node from Citus, and a re-run finds it done', async () => {
    const worker = await createTestWorker(t, taskQueue, activities);
    await worker.runUntil(async () => {
      const removed = await (await start(drain('worker-1', { remove: true }))).result();
      expect(removed.status).toBe('PASS');
      expect(removed.drain).toMatchObject({ removed: true, registered: false });
      expect(removed.job?.jobId).toBeNull();
      const again = await (await start(drain('worker-1', { remove: true }))).result();
      expect(again.status).toBe('PASS');
      expect(again.steps.find((s) => s.name === 'start-job')?.status).toBe('skipped');
    });
    const rows = await labSql(lab, 'SELECT 1 FROM pg_dist_node WHERE nodeport = $1', [nodeAddress(lab, 'worker-1').port]);
    expect(rows).toEqual([]);
  }, 120_000);

  test('draining the last worker that may hold shards is refused with PreflightFailed, and nothing moves', async () => {
    const before = await placements(lab);
    const jobs = async () => (await labSql<{ n: string }>(lab, 'SELECT count(*) AS n FROM pg_dist_background_job'))[0]?.n;
    const jobsBefore = await jobs();
    const worker = await createTestWorker(t, taskQueue, activities);
    const err: unknown = await worker.runUntil(async () => (await start(drain('worker-2'))).result()).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(WorkflowFailedError);
    let cause: unknown = (err as WorkflowFailedError).cause;
    while (cause instanceof Error && cause.cause instanceof Error) cause = cause.cause;
    expect(cause).toMatchObject({ type: 'PreflightFailed', message: expect.stringContaining('worker-2 is the last node that may hold shards') });
    expect(await placements(lab)).toEqual(before);
    expect(await jobs()).toBe(jobsBefore);
    expect(await flag('worker-2')).toBe(true);
  }, 60_000);
});
