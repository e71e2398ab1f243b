/**
 * The rebalance activities on a real 1 coordinator + 3 worker Citus lab (two workers registered at
 * first): the data proof's sensitivity, every preflight failure (one message naming every offender),
 * --fix-identity, job ownership (adopt our job, refuse someone else's), a real rebalance onto a new
 * worker, and the drain/remove metadata steps.
 */
import { createRebalanceActivities } from '../../../../src/activities/postgres/rebalance/rebalanceActivities.js';
import { createPostgresActivities } from '../../../../src/activities/postgres/index.js';
import { expectedRowCounts } from '../../../../src/activities/postgres/sampleRows.js';
import { TABLE_PLAN } from '../../../../src/activities/postgres/schema.js';
import { LabError } from '../../../../src/errors.js';
import type { PreflightRequest } from '../../../../src/workflows/rebalance/rebalanceTypes.js';
import { describeIfCitus } from '../../../support/citus.js';
import {
  backgroundJobBehaviour,
  citusEnvironment,
  citusVersionOf,
  labSql,
  nodeAddress,
  placements,
  startCitusSampleLab,
} from '../../../support/citusSampleLab.js';
import type { TempLab } from '../../../support/localLab.js';

/** Hash-distributed tables of the lab (the seed's and the FHIR storage's). */
const DISTRIBUTED_TABLES = TABLE_PLAN.filter((p) => p.distribution.kind === 'distributed').length;

describeIfCitus('rebalance activities on a Citus lab', () => {
  let lab: TempLab;
  const activities = createRebalanceActivities({ environmentFor: citusEnvironment });
  const sql = createPostgresActivities({ environmentFor: citusEnvironment });
  const rebalance: PreflightRequest = { operation: 'rebalance', transferMode: 'auto', enforce: false };
  const drain = (node: string, extra: Partial<PreflightRequest> = {}): PreflightRequest => ({
    operation: 'drain',
    node,
    transferMode: 'auto',
    enforce: false,
    ...extra,
  });
  const jobCount = async () => Number((await labSql<{ n: string }>(lab, 'SELECT count(*) AS n FROM pg_dist_background_job'))[0]?.n);

  beforeAll(async () => {
    lab = await startCitusSampleLab({ workers: 3, registered: 2, prefix: 'rebal-act' });
  }, 240_000);
  afterAll(async () => {
    await lab?.cleanup();
  });

  test('snapshotData counts every table and its checksum follows the rows, not their order', async () => {
    const first = await activities.snapshotData(lab.spec);
    const expected = expectedRowCounts(lab.spec.patients);
    for (const [table, rows] of Object.entries(expected)) {
      const kind = ['medicos', 'usuario'].includes(table) ? 'reference' : 'distributed';
      expect(first.tables.find((t) => t.table === table)).toMatchObject({ rows, kind });
    }
    const byNode = Object.fromEntries(first.nodes.map((n) => [n.node, n.placements]));
    // 32 shards per distributed table, half on each worker.
    expect(byNode).toEqual({ coordinator: 0, 'worker-0': DISTRIBUTED_TABLES * 16, 'worker-1': DISTRIBUTED_TABLES * 16 });

    const checksum = () => activities.snapshotData(lab.spec).then((s) => s.tables.find((t) => t.table === 'pacientes')?.checksum);
    const before = first.tables.find((t) => t.table === 'pacientes')?.checksum;
    await labSql(lab, `UPDATE pacientes SET nombre = nombre || 'x' WHERE paciente_id = 1`);
    expect(await checksum()).not.toBe(before);
    await labSql(lab, `UPDATE pacientes SET nombre = left(nombre, -1) WHERE paciente_id = 1`);
    expect(await checksum()).toBe(before);
  });

  test('preflight passes on a healthy lab and records the last job id', async () => {
    const report = await activities.rebalancePreflight(lab.spec, rebalance);
    expect(report.problems).toEqual([]);
    expect(report.status).toBe('PASS');
    expect(report.checks.map((c) => c.name)).toEqual(['wal_level', 'replica identity', 'nodes', 'running rebalance']);
    expect(report.checks[2]?.message).toContain('worker-2 not registered, left out');
    expect(report.lastJobId).toBe(0);
    const target = await activities.rebalancePreflight(lab.spec, drain('worker-1'));
    expect(target.target).toMatchObject({ node: 'worker-1', registered: true, active: true, shouldHaveShards: true });
  });

  test('an unknown node or the coordinator is refused before anything is looked at', async () => {
    for (const node of ['worker-9', 'coordinator']) {
      await expect(activities.rebalancePreflight(lab.spec, drain(node))).rejects.toMatchObject({ type: 'UnknownNode' });
      await expect(activities.markNodeDraining(lab.spec, node)).rejects.toMatchObject({ type: 'UnknownNode' });
    }
  });

  test('tables without identity are all named in one PreflightFailed; --fix-identity fixes them and says how', async () => {
    await labSql(lab, 'CREATE TABLE notas (documento_id bigint NOT NULL, nota_id bigint NOT NULL, texto text)');
    await labSql(lab, `SELECT create_distributed_table('notas', 'documento_id', colocate_with => 'pacientes')`);
    await labSql(lab, 'CREATE TABLE adjuntos (documento_id bigint NOT NULL, nombre text)');
    await labSql(lab, `SELECT create_distributed_table('adjuntos', 'documento_id', colocate_with => 'pacientes')`);
    await labSql(lab, `INSERT INTO notas SELECT 1000000000 + i, i, 'n' FROM generate_series(1, 50) i`);

    const report = await activities.rebalancePreflight(lab.spec, rebalance);
    expect(report.status).toBe('FAIL');
    expect(report.problems).toHaveLength(1);
    expect(report.problems[0]).toMatchObject({ kind: 'replica_identity', subject: 'adjuntos, notas' });
    const failure: unknown = await activities.rebalancePreflight(lab.spec, { ...rebalance, enforce: true }).catch((e: unknown) => e);
    expect(failure).toBeInstanceOf(LabError);
    expect(failure).toMatchObject({ type: 'PreflightFailed', nonRetryable: true });
    expect((failure as LabError).message).toMatch(/adjuntos, notas.*--fix-identity adjuntos,notas.*nothing was moved|nothing was moved.*adjuntos, notas/);
    // block_writes copies without logical replication: no identity needed.
    expect((await activities.rebalancePreflight(lab.spec, { ...rebalance, transferMode: 'block_writes' })).status).toBe('PASS');

    const changes = await activities.fixReplicaIdentity(lab.spec, [{ table: 'notas', key: ['documento_id', 'nota_id'] }, { table: 'adjuntos' }]);
    expect(changes.map((c) => [c.table, c.action])).toEqual([
      ['notas', 'primary-key'],
      ['adjuntos', 'replica-identity-full'],
    ]);
    expect(changes[0]?.message).toBe('notas: added PRIMARY KEY (documento_id, nota_id)');
    const again = await activities.fixReplicaIdentity(lab.spec, [{ table: 'notas' }, { table: 'adjuntos' }]);
    expect(again.map((c) => c.action)).toEqual(['none', 'none']);
    expect((await activities.rebalancePreflight(lab.spec, rebalance)).status).toBe('PASS');
    await expect(activities.fixReplicaIdentity(lab.spec, [{ table: 'no_such_table' }])).rejects.toMatchObject({ type: 'ConfigInvalid' });
  });

  test('draining the last worker that may hold shards is refused', async () => {
    const w1 = nodeAddress(lab, 'worker-1');
    await labSql(lab, `SELECT citus_set_node_property($1, $2, 'shouldhaveshards', false)`, [w1.host, w1.port]);
    try {
      const report = await activities.rebalancePreflight(lab.spec, drain('worker-0'));
      expect(report.problems.map((p) => p.kind)).toEqual(['last_worker']);
      await expect(activities.rebalancePreflight(lab.spec, drain('worker-0', { enforce: true }))).rejects.toMatchObject({
        type: 'PreflightFailed',
        message: expect.stringContaining('worker-0 is the last node that may hold shards'),
      });
    } finally {
      await labSql(lab, `SELECT citus_set_node_property($1, $2, 'shouldhaveshards', true)`, [w1.host, w1.port]);
    }
    const unregistered = await activities.rebalancePreflight(lab.spec, drain('worker-2'));
    expect(unregistered.problems.map((p) => p.kind)).toEqual(['node_not_registered']);
    expect((await activities.rebalancePreflight(lab.spec, drain('worker-2', { remove: true }))).status).toBe('PASS');
  });

  test('wal_level below logical on a node fails the online modes only', async () => {
    const client = await (await import('../../../support/localLab.js')).connectNode(lab, 'worker-1');
    const restart = async () => {
      await lab.env.stopNodes();
      await lab.env.startNodes();
      await sql.waitForNodes(lab.spec, { timeoutSeconds: 60 });
    };
    try {
      await client.query(`ALTER SYSTEM SET wal_level = 'replica'`);
    } finally {
      await client.end();
    }
    await restart();
    try {
      const report = await activities.rebalancePreflight(lab.spec, rebalance);
      expect(report.problems.map((p) => [p.kind, p.subject])).toEqual([['wal_level', 'worker-1']]);
      expect(report.problems[0]?.message).toContain('wal_level is replica on worker-1');
      expect((await activities.rebalancePreflight(lab.spec, { ...rebalance, transferMode: 'block_writes' })).status).toBe('PASS');
    } finally {
      const reset = await (await import('../../../support/localLab.js')).connectNode(lab, 'worker-1');
      await reset.query('ALTER SYSTEM RESET wal_level').finally(() => reset.end());
      await restart();
    }
    expect((await activities.rebalancePreflight(lab.spec, rebalance)).status).toBe('PASS');
  }, 120_000);

  test('a job started by someone else is refused; a job newer than our preflight is adopted, never duplicated', async () => {
    await sql.registerWorker(lab.spec, 'worker-2');
    const before = await activities.rebalancePreflight(lab.spec, rebalance);
    // Someone else starts a rebalance (Citus' default 5 s queue interval keeps it scheduled for a while).
    const [{ job } = { job: '0' }] = await labSql<{ job: string }>(lab, `SELECT citus_rebalance_start(shard_transfer_mode := 'block_writes') AS job`);
    const foreignJob = Number(job);
    expect(foreignJob).toBeGreaterThan(before.lastJobId);
    try {
      const report = await activities.rebalancePreflight(lab.spec, rebalance);
      expect(report.problems.map((p) => p.kind)).toEqual(['rebalance_running']);
      await expect(activities.rebalancePreflight(lab.spec, { ...rebalance, enforce: true })).rejects.toMatchObject({
        type: 'RebalanceRunning',
        message: expect.stringContaining(`citus_job_cancel(${foreignJob})`),
      });
      const request = { operation: 'rebalance' as const, transferMode: 'auto' as const, parallelMoves: 4 };
      // Our preflight saw it: it is someone else's.
      await expect(activities.startRebalanceJob(lab.spec, { ...request, afterJobId: report.lastJobId })).rejects.toMatchObject({
        type: 'RebalanceRunning',
      });
      // Our preflight predates it: an earlier attempt of ours started it, so a retry follows it.
      const adopted = await activities.startRebalanceJob(lab.spec, { ...request, afterJobId: before.lastJobId });
      expect(adopted).toMatchObject({ jobId: foreignJob, adopted: true });
      expect(await jobCount()).toBe(1);
    } finally {
      const stopped = await activities.stopRebalanceJob(lab.spec, { jobId: foreignJob, afterJobId: 0 });
      expect(stopped?.state).toBe('cancelled');
    }
    await expect(activities.followRebalanceJob(lab.spec, foreignJob, { maxTaskFailures: 3 })).rejects.toMatchObject({
      type: 'CommandFailed',
      nonRetryable: true,
      message: expect.stringContaining('was cancelled outside this run'),
    });
    // Nothing to stop after a preflight with no newer job.
    expect(await activities.stopRebalanceJob(lab.spec, { afterJobId: foreignJob })).toBeNull();
  }, 60_000);

  test('a rebalance job spreads shards onto the new worker, reporting the settings it raised', async () => {
    const preflight = await activities.rebalancePreflight(lab.spec, { ...rebalance, enforce: true });
    const start = await activities.startRebalanceJob(lab.spec, {
      operation: 'rebalance',
      transferMode: 'auto',
      parallelMoves: 4,
      afterJobId: preflight.lastJobId,
    });
    expect(start.jobId).toBeGreaterThan(preflight.lastJobId);
    const version = await citusVersionOf(lab);
    const behaviour = backgroundJobBehaviour(version);
    expect(start).toMatchObject({ adopted: false, parallelTransfer: behaviour.parallelTransfer });
    // Only what is below what we asked for is raised: 13.2's single executor, but not 12.1's four.
    expect(start.settings.map((s) => [s.name, s.from, s.to])).toEqual([
      ...(behaviour.executorsDefault < 4 ? [['citus.max_background_task_executors', String(behaviour.executorsDefault), '4']] : []),
      ['citus.max_background_task_executors_per_node', '1', '4'],
      ['citus.background_task_queue_interval', '5000ms', '200ms'],
    ]);
    const seen: number[] = [];
    const { followRebalanceJob } = await import('../../../../src/activities/postgres/rebalance/rebalanceFollow.js');
    const done = await followRebalanceJob(citusEnvironment(lab.spec), start.jobId ?? 0, { maxTaskFailures: 3, pollMs: 100 }, async (p) => {
      seen.push(p.movesDone);
    });
    expect(done.state).toBe('finished');
    expect(done.movesDone).toBe(done.movesTotal);
    expect(done.movesTotal).toBeGreaterThan(0);
    expect(done.bytesDone).toBe(done.bytesTotal);
    expect(done.bytesTotal).toBeGreaterThan(0);
    expect(seen.at(-1)).toBe(done.movesTotal);
    const layout = await placements(lab);
    expect(layout['worker-2']).toBeGreaterThan(0);
    // The lab's distributed tables + notas/adjuntos, 32 shards each.
    expect(Object.values(layout).reduce((a, b) => a + b, 0)).toBe((DISTRIBUTED_TABLES + 2) * 32);

    // Nothing left to move: no job at all, and the settings are already in place.
    const again = await activities.startRebalanceJob(lab.spec, {
      operation: 'rebalance',
      transferMode: 'auto',
      parallelMoves: 4,
      afterJobId: (await activities.rebalancePreflight(lab.spec, rebalance)).lastJobId,
    });
    expect(again).toMatchObject({ jobId: null, settings: [] });
  }, 120_000);

  test('markNodeDraining sets the flag once; removeDrainedNode refuses a node with shards and removes an empty one', async () => {
    const first = await activities.markNodeDraining(lab.spec, 'worker-2');
    expect(first).toMatchObject({ registered: true, shouldHaveShards: false, changed: true });
    expect(first.placements).toBeGreaterThan(0);
    expect((await activities.markNodeDraining(lab.spec, 'worker-2')).changed).toBe(false);
    await expect(activities.removeDrainedNode(lab.spec, 'worker-2')).rejects.toMatchObject({
      type: 'CommandFailed',
      message: expect.stringContaining('still holds'),
    });
    const preflight = await activities.rebalancePreflight(lab.spec, drain('worker-2', { enforce: true, transferMode: 'block_writes' }));
    const start = await activities.startRebalanceJob(lab.spec, {
      operation: 'drain',
      transferMode: 'block_writes',
      parallelMoves: 2,
      afterJobId: preflight.lastJobId,
    });
    await activities.followRebalanceJob(lab.spec, start.jobId ?? 0, { maxTaskFailures: 3 });
    expect((await placements(lab))['worker-2']).toBeUndefined();
    expect(await activities.removeDrainedNode(lab.spec, 'worker-2')).toMatchObject({ removed: true });
    expect(await activities.removeDrainedNode(lab.spec, 'worker-2')).toMatchObject({ removed: false });
    expect((await activities.rebalancePreflight(lab.spec, drain('worker-2'))).problems.map((p) => p.kind)).toEqual(['node_not_registered']);
  }, 120_000);
});
