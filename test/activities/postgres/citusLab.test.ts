/**
 * The whole SQL side of a deploy on a real 1 coordinator + 2 worker Citus lab, each step run twice to
 * prove the second run observes and changes nothing, plus COPY throughput at 100,000 patients.
 */
import { createPostgresActivities } from '../../../src/activities/postgres/index.js';
import { expectedRowCounts } from '../../../src/activities/postgres/sampleRows.js';
import { TABLES } from '../../../src/activities/postgres/schema.js';
import type { LabSpec } from '../../../src/config/labSpec.js';
import { LabError } from '../../../src/errors.js';
import { LocalEnvironment } from '../../../src/environments/local/localEnvironment.js';
import { describeIfCitus } from '../../support/citus.js';
import { connectNode, startTempLab, type TempLab } from '../../support/localLab.js';

describeIfCitus('postgres activities on a Citus lab', () => {
  let lab: TempLab;
  const activities = createPostgresActivities({
    environmentFor: (spec: LabSpec) => new LocalEnvironment(spec, { preloadCitus: true }),
  });
  const workerAddress = (name: string) => {
    const node = lab.env.nodes().find((n) => n.name === name);
    if (!node) throw new Error(`no ${name}`);
    return `${node.clusterHost}:${node.clusterPort}`;
  };

  async function sql<T extends Record<string, unknown>>(text: string, params: unknown[] = [], database = lab.spec.database) {
    const client = await connectNode(lab, 'coordinator', database);
    try {
      return (await client.query<T>(text, params)).rows;
    } finally {
      await client.end();
    }
  }

  beforeAll(async () => {
    lab = await startTempLab({ workers: 2, preloadCitus: true });
    await activities.waitForNodes(lab.spec, { timeoutSeconds: 60 });
  }, 180_000);
  afterAll(async () => {
    await lab?.cleanup();
  });

  test('ensureDatabaseAndExtension creates on every node once', async () => {
    const nodes = ['coordinator', 'worker-0', 'worker-1'];
    const first = await Promise.all(nodes.map((n) => activities.ensureDatabaseAndExtension(lab.spec, n)));
    for (const r of first) {
      expect(r).toMatchObject({ databaseCreated: true, extensionCreated: true });
      expect(r.citusVersion).toMatch(/^Citus \d+\.\d+/);
    }
    const second = await Promise.all(nodes.map((n) => activities.ensureDatabaseAndExtension(lab.spec, n)));
    for (const r of second) expect(r).toMatchObject({ databaseCreated: false, extensionCreated: false });
  });

  test('setCoordinatorHost writes the cluster address once', async () => {
    const first = await activities.setCoordinatorHost(lab.spec);
    expect(first).toEqual({ host: '127.0.0.1', port: lab.spec.basePort, changed: true });
    expect(await sql('SELECT nodename, nodeport FROM pg_dist_node WHERE groupid = 0')).toEqual([
      { nodename: '127.0.0.1', nodeport: lab.spec.basePort },
    ]);
    expect((await activities.setCoordinatorHost(lab.spec)).changed).toBe(false);
  });

  test('registerWorker adds each worker once, and reactivates a disabled one', async () => {
    const added = await Promise.all(['worker-0', 'worker-1'].map((w) => activities.registerWorker(lab.spec, w)));
    expect(added.map((r) => r.action)).toEqual(['added', 'added']);
    const again = await Promise.all(['worker-0', 'worker-1'].map((w) => activities.registerWorker(lab.spec, w)));
    expect(again.map((r) => r.action)).toEqual(['existing', 'existing']);
    expect(again.map((r) => r.nodeId)).toEqual(added.map((r) => r.nodeId));

    const worker1 = lab.env.nodes()[2];
    await sql('SELECT citus_disable_node($1, $2, synchronous := true)', [worker1?.clusterHost, worker1?.clusterPort]);
    const mismatch = await activities.checkActiveWorkers(lab.spec).catch((e: unknown) => e);
    expect(mismatch).toBeInstanceOf(LabError);
    expect(mismatch).toMatchObject({ type: 'WorkerSetMismatch', nonRetryable: false });
    expect((mismatch as LabError).message).toContain(`missing ${workerAddress('worker-1')}`);

    const reactivated = await activities.registerWorker(lab.spec, 'worker-1');
    expect(reactivated).toMatchObject({ action: 'reactivated', nodeId: added[1]?.nodeId });
    expect((await activities.registerWorker(lab.spec, 'worker-1')).action).toBe('existing');
  });

  test('registerWorker refuses the coordinator and unknown names', async () => {
    await expect(activities.registerWorker(lab.spec, 'coordinator')).rejects.toMatchObject({ type: 'UnknownNode' });
    await expect(activities.registerWorker(lab.spec, 'worker-9')).rejects.toMatchObject({ type: 'UnknownNode' });
  });

  test('checkActiveWorkers matches the lab', async () => {
    const workers = await activities.checkActiveWorkers(lab.spec);
    expect(workers.active).toEqual([workerAddress('worker-0'), workerAddress('worker-1')].sort());
    expect(workers.expected).toEqual(workers.active);
  });

  test('applySchema distributes every table once', async () => {
    const first = await activities.applySchema(lab.spec);
    expect(first).toEqual({ created: [...TABLES], existing: [] });
    const second = await activities.applySchema(lab.spec);
    expect(second).toEqual({ created: [], existing: [...TABLES] });

    const rows = await sql<{ table: string; partmethod: string; repmodel: string; colocated: boolean }>(
      `SELECT logicalrelid::regclass::text AS table, partmethod, repmodel,
              colocationid = (SELECT colocationid FROM pg_dist_partition WHERE logicalrelid = 'pacientes'::regclass) AS colocated
         FROM pg_dist_partition ORDER BY 1`,
    );
    const byTable = Object.fromEntries(rows.map((r) => [r.table, r]));
    for (const t of ['medicos', 'usuario']) expect(byTable[t]).toMatchObject({ partmethod: 'n', repmodel: 't' });
    for (const t of ['pacientes', 'observaciones', 'medicamentos', 'diagnosticos', 'encuentros']) {
      expect(byTable[t]).toMatchObject({ partmethod: 'h', colocated: true });
    }
  });

  test('applySchema refuses a table distributed another way instead of redistributing it', async () => {
    const spec: LabSpec = { ...lab.spec, database: 'other_layout' };
    for (const node of ['coordinator', 'worker-0', 'worker-1']) await activities.ensureDatabaseAndExtension(spec, node);
    await activities.setCoordinatorHost(spec);
    for (const worker of ['worker-0', 'worker-1']) await activities.registerWorker(spec, worker);
    await sql('CREATE TABLE medicos (medico_id BIGINT PRIMARY KEY)', [], spec.database);
    await sql(`SELECT create_distributed_table('medicos', 'medico_id')`, [], spec.database);
    await expect(activities.applySchema(spec)).rejects.toMatchObject({
      type: 'ConfigInvalid',
      message: expect.stringContaining('table medicos in other_layout is distributed by medico_id, but the lab needs it a reference table'),
    });
  });

  test('loadSampleData loads once, then skips', async () => {
    const first = await activities.loadSampleData(lab.spec);
    expect(first).toMatchObject({ skipped: false, rows: expectedRowCounts(lab.spec.patients) });
    const second = await activities.loadSampleData(lab.spec);
    expect(second).toMatchObject({ skipped: true, rows: expectedRowCounts(lab.spec.patients) });
  });

  test('runVerification passes, with shards on both workers', async () => {
    const report = await activities.runVerification(lab.spec);
    const failed = report.checks.filter((c) => c.status !== 'PASS');
    expect(failed).toEqual([]);
    expect(report.status).toBe('PASS');
    expect(report.checks.map((c) => c.name)).toEqual([
      'citus extension',
      'active workers',
      'shards on every worker',
      'pacientes count',
      'observaciones count',
      'co-located join',
      'aggregate per codigo',
    ]);
    expect(Object.keys(report.shardsPerWorker).sort()).toEqual([workerAddress('worker-0'), workerAddress('worker-1')].sort());
    for (const n of Object.values(report.shardsPerWorker)) expect(n).toBeGreaterThan(0);
    expect(Number.isNaN(Date.parse(report.generatedAt))).toBe(false);
  });

  test('runVerification reports FAIL (without throwing) when the data set differs', async () => {
    const report = await activities.runVerification({ ...lab.spec, patients: lab.spec.patients + 1 });
    expect(report.status).toBe('FAIL');
    const byName = Object.fromEntries(report.checks.map((c) => [c.name, c]));
    expect(byName['citus extension']?.status).toBe('PASS');
    expect(byName['pacientes count']).toMatchObject({ status: 'FAIL' });
    expect(byName['pacientes count']?.message).toContain(`expected ${lab.spec.patients + 1}`);
    expect(byName['aggregate per codigo']?.status).toBe('FAIL');
  });

  test('collectStatus lists both workers as active', async () => {
    const status = await activities.collectStatus(lab.spec);
    expect(status.coordinatorReachable).toBe(true);
    expect(status.nodes.every((n) => n.running)).toBe(true);
    expect(status.citusWorkers.map((w) => `${w.host}:${w.port}`)).toEqual([workerAddress('worker-0'), workerAddress('worker-1')]);
    expect(status.citusWorkers.every((w) => w.active && w.shouldHaveShards)).toBe(true);
  });

  test('COPY throughput at 100,000 patients (printed, not asserted)', async () => {
    const spec: LabSpec = { ...lab.spec, database: 'copy_bench', patients: 100_000 };
    for (const node of ['coordinator', 'worker-0', 'worker-1']) await activities.ensureDatabaseAndExtension(spec, node);
    await activities.setCoordinatorHost(spec);
    for (const worker of ['worker-0', 'worker-1']) await activities.registerWorker(spec, worker);
    await activities.applySchema(spec);
    const load = await activities.loadSampleData(spec);
    const total = Object.values(load.rows).reduce((a, b) => a + b, 0);
    process.stdout.write(
      `COPY throughput: ${total} rows for ${spec.patients} patients in ${load.seconds} s = ${load.rowsPerSecond} rows/s\n`,
    );
    expect(load.rows).toEqual(expectedRowCounts(spec.patients));
    const verify = await activities.runVerification(spec);
    expect(verify.checks.filter((c) => c.status !== 'PASS')).toEqual([]);
  }, 300_000);
});
