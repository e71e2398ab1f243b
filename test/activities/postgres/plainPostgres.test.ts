/**
 * The PostgreSQL activities that need no Citus, against a real two-node lab without it: readiness,
 * connection errors, and the sample data generator + COPY + idempotent skip on plain tables.
 */
import { MockActivityEnvironment } from '@temporalio/testing';
import { createPostgresActivities } from '../../../src/activities/postgres/index.js';
import { expectedObservationAggregates, expectedRowCounts } from '../../../src/activities/postgres/sampleRows.js';
import type { NodeReadiness } from '../../../src/activities/results.js';
import { readSchemaSql } from '../../../src/activities/postgres/schema.js';
import type { LabSpec } from '../../../src/config/labSpec.js';
import { LabError } from '../../../src/errors.js';
import type { LabEnvironment } from '../../../src/environments/labEnvironment.js';
import { LocalEnvironment } from '../../../src/environments/local/localEnvironment.js';
import { connectNode, startTempLab, type TempLab } from '../../support/localLab.js';

let lab: TempLab;
const plainEnvFor = (spec: LabSpec): LabEnvironment => new LocalEnvironment(spec, { preloadCitus: false });
const activities = () => createPostgresActivities({ environmentFor: plainEnvFor });

beforeAll(async () => {
  lab = await startTempLab({ workers: 1, preloadCitus: false });
}, 120_000);
afterAll(async () => {
  await lab?.cleanup();
});

async function rejection(promise: Promise<unknown>): Promise<LabError> {
  const err = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  if (!(err instanceof LabError)) throw new Error(`expected a LabError, got ${String(err)}`);
  return err;
}

describe('waitForNodes', () => {
  test('reports every node ready with its server version', async () => {
    const ready = await activities().waitForNodes(lab.spec, { timeoutSeconds: 30 });
    expect(ready.map((r) => r.node)).toEqual(['coordinator', 'worker-0']);
    for (const r of ready) expect(r.serverVersion).toMatch(/^\d+\.\d+/);
  });

  test('rejects a wrong password at once with AuthFailed', async () => {
    const wrong = Object.assign(Object.create(lab.env) as LabEnvironment, {
      credentials: async () => ({ user: 'postgres', password: 'not-the-lab-password' }),
    });
    const started = Date.now();
    const err = await rejection(
      createPostgresActivities({ environmentFor: () => wrong }).waitForNodes(lab.spec, { timeoutSeconds: 30 }),
    );
    expect(err.type).toBe('AuthFailed');
    expect(err.nonRetryable).toBe(true);
    expect(err.message).not.toContain('not-the-lab-password');
    expect(Date.now() - started).toBeLessThan(10_000);
  });

  test('times out with NodeNotReady naming the stopped node, then sees it again once restarted', async () => {
    await lab.env.injectFault('worker-0');
    try {
      const err = await rejection(activities().waitForNodes(lab.spec, { timeoutSeconds: 2 }));
      expect(err.type).toBe('NodeNotReady');
      expect(err.nonRetryable).toBe(false);
      expect(err.message).toContain('worker-0');
      expect(err.message).not.toContain('coordinator (');
      expect(err.details).toEqual({ waiting: [{ node: 'worker-0', lastError: expect.stringMatching(/ECONNREFUSED|terminated|timeout/) }] });
    } finally {
      await lab.env.startNodes();
    }
    const ready = await activities().waitForNodes(lab.spec, { timeoutSeconds: 30 });
    expect(ready).toHaveLength(2);
  });
});

describe('waitForNodes as a Temporal activity', () => {
  test('heartbeats ready and waiting nodes while a node comes back', async () => {
    await lab.env.injectFault('worker-0');
    const activity = new MockActivityEnvironment();
    const beats: unknown[] = [];
    activity.on('heartbeat', (d: unknown) => beats.push(d));
    const { waitForNodes } = activities();
    const waiting: Promise<NodeReadiness[]> = activity.run(waitForNodes, lab.spec, { timeoutSeconds: 60 });
    await new Promise((r) => setTimeout(r, 1_500));
    await lab.env.startNodes();
    const ready = await waiting;
    expect(ready.map((r) => r.node)).toEqual(['coordinator', 'worker-0']);
    expect(beats[0]).toEqual({ ready: ['coordinator'], waiting: ['worker-0'] });
    expect(beats.at(-1)).toEqual({ ready: expect.arrayContaining(['coordinator', 'worker-0']), waiting: [] });
    expect(ready[1]?.readyAfterMs).toBeGreaterThan(1_000);
  });
});

describe('without Citus', () => {
  test('ensureDatabaseAndExtension creates the database, then fails with CitusNotInstalled', async () => {
    const err = await rejection(activities().ensureDatabaseAndExtension(lab.spec, 'coordinator'));
    expect(err.type).toBe('CitusNotInstalled');
    expect(err.nonRetryable).toBe(true);
    expect(err.message).toMatch(/citus/i);
    const client = await connectNode(lab, 'coordinator');
    try {
      const { rowCount } = await client.query('SELECT 1 FROM pg_database WHERE datname = $1', [lab.spec.database]);
      expect(rowCount).toBe(1);
    } finally {
      await client.end();
    }
  });

  test('Citus metadata activities say the extension is missing instead of a raw SQL error', async () => {
    const a = activities();
    for (const attempt of [
      () => a.setCoordinatorHost(lab.spec),
      () => a.registerWorker(lab.spec, 'worker-0'),
      () => a.checkActiveWorkers(lab.spec),
      () => a.applySchema(lab.spec),
    ]) {
      const err = await rejection(attempt());
      expect(err.type).toBe('CitusNotInstalled');
      expect(err.message).toBe(
        `the citus extension does not exist in database ${lab.spec.database} on coordinator: run deploy, which creates it on every node first.`,
      );
    }
  });

  test('ensureDatabaseAndExtension refuses a node the lab does not have', async () => {
    const err = await rejection(activities().ensureDatabaseAndExtension(lab.spec, 'worker-7'));
    expect(err.type).toBe('UnknownNode');
  });

  test('collectStatus reports the coordinator reachable but without Citus metadata', async () => {
    const status = await activities().collectStatus(lab.spec);
    expect(status.nodes.map((n) => n.running)).toEqual([true, true]);
    expect(status.coordinatorReachable).toBe(true);
    expect(status.citusWorkers).toEqual([]);
    expect(status.message).toMatch(/pg_dist_node/);
  });
});

describe('a down or unready cluster', () => {
  test('collectStatus counts a coordinator without the lab database as reachable', async () => {
    const status = await activities().collectStatus({ ...lab.spec, database: 'not_created_yet' });
    expect(status.coordinatorReachable).toBe(true);
    expect(status.message).toContain('"not_created_yet" does not exist');
  });

  test('collectStatus and runVerification report a dead coordinator without throwing', async () => {
    await lab.env.injectFault('coordinator');
    try {
      const status = await activities().collectStatus(lab.spec);
      expect(status.coordinatorReachable).toBe(false);
      expect(status.nodes).toEqual([
        expect.objectContaining({ name: 'coordinator', running: false }),
        expect.objectContaining({ name: 'worker-0', running: true }),
      ]);
      expect(status.message).toMatch(/cannot connect to coordinator/);

      const report = await activities().runVerification(lab.spec);
      expect(report.status).toBe('FAIL');
      expect(report.checks.length).toBeGreaterThan(5);
      for (const check of report.checks) {
        expect(check).toMatchObject({ status: 'FAIL', message: expect.stringMatching(/^coordinator unavailable: cannot connect/) });
      }
    } finally {
      await lab.env.startNodes();
    }
  });
});

describe('loadSampleData into plain tables from sql/schema.sql', () => {
  const patients = 1_000;
  const spec = () => ({ ...lab.spec, patients });

  beforeAll(async () => {
    const client = await connectNode(lab, 'coordinator', lab.spec.database);
    try {
      await client.query(readSchemaSql());
      // Applying the DDL twice must be harmless.
      await client.query(readSchemaSql());
    } finally {
      await client.end();
    }
  });

  test('loads the expected row counts, then skips the identical second load', async () => {
    const first = await activities().loadSampleData(spec());
    expect(first.skipped).toBe(false);
    expect(first.rows).toEqual(expectedRowCounts(patients));
    expect(first.rows).toMatchObject({ pacientes: 1000, observaciones: 3000, medicos: 20, usuario: 10 });
    expect(first.rowsPerSecond).toBeGreaterThan(0);

    const client = await connectNode(lab, 'coordinator', lab.spec.database);
    try {
      for (const [table, n] of Object.entries(expectedRowCounts(patients))) {
        const { rows } = await client.query<{ n: string }>(`SELECT count(*) AS n FROM ${table}`);
        expect({ table, n: Number(rows[0]?.n) }).toEqual({ table, n });
      }
      // The aggregates verification expects are what was actually loaded.
      const { rows } = await client.query<{ codigo: string; count: string; sum: string }>(
        'SELECT codigo, count(*) AS count, sum(valor)::text AS sum FROM observaciones GROUP BY codigo ORDER BY codigo',
      );
      const loaded = rows.map((r) => ({ codigo: r.codigo, count: Number(r.count), sum: r.sum }));
      const byCode = (a: { codigo: string }, b: { codigo: string }) => (a.codigo < b.codigo ? -1 : 1);
      expect(loaded.sort(byCode)).toEqual(expectedObservationAggregates(patients).sort(byCode));
      // Every patient's records share its documento_id.
      const orphans = await client.query(
        'SELECT 1 FROM observaciones o WHERE NOT EXISTS (SELECT 1 FROM pacientes p WHERE p.documento_id = o.documento_id)',
      );
      expect(orphans.rowCount).toBe(0);
    } finally {
      await client.end();
    }

    const second = await activities().loadSampleData(spec());
    expect(second).toMatchObject({ skipped: true, rows: expectedRowCounts(patients), rowsPerSecond: 0 });
  });

  test('refuses to touch tables holding another data set', async () => {
    const err = await rejection(activities().loadSampleData({ ...lab.spec, patients: 500 }));
    expect(err.type).toBe('ConfigInvalid');
    expect(err.message).toContain('pacientes 1000 (the sample set has 500)');
    const again = await activities().loadSampleData(spec());
    expect(again.skipped).toBe(true);
  });

  test('fails with NodeNotReady when the schema is missing', async () => {
    const err = await rejection(activities().loadSampleData({ ...lab.spec, database: 'postgres' }));
    expect(err.type).toBe('NodeNotReady');
    expect(err.message).toMatch(/schema is not applied/);
  });
});
