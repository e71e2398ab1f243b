/**
 * The drill's probes against a real PostgreSQL (no Citus needed).
 *
 * They reach the coordinator through the environment's endpoint (`openSqlEndpoint`), like
 * every other SQL path. On Kubernetes a node's `host` is an in-cluster DNS name this process cannot
 * resolve and the endpoint is a port-forward; here a real PostgreSQL (no Citus needed) stands behind
 * nodes with such a name and a TCP relay plays the port-forward, counting what goes through it.
 */
import net from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';
import { runProbes } from '../../../../src/activities/postgres/drill/probes.js';
import type { DrillPlan } from '../../../../src/activities/postgres/drill/drillTypes.js';
import type { LabEnvironment, LabNode, SqlEndpoint } from '../../../../src/environments/labEnvironment.js';
import { connectNode, startTempLab, type TempLab } from '../../../support/localLab.js';

let lab: TempLab;
const IN_CLUSTER = (name: string) => `citus-${name}-0.citus-${name}.clinical-database.svc.cluster.local.invalid`;
const plan: DrillPlan = { drillId: 'endpoint-test', node: 'worker-0', failedNodeKey: 1, healthyNodeKey: 2, writeKeys: [1, 2], keysExist: true, patients: 2 };
const options = { cadenceMs: 50, settleMs: 200, maxDurationMs: 1_200 };

beforeAll(async () => {
  lab = await startTempLab({ workers: 1, preloadCitus: false });
  const admin = await connectNode(lab);
  try {
    await admin.query(`CREATE DATABASE ${lab.spec.database}`);
  } finally {
    await admin.end();
  }
  const db = await connectNode(lab, 'coordinator', lab.spec.database);
  try {
    await db.query('CREATE TABLE pacientes (documento_id BIGINT PRIMARY KEY, nombre TEXT)');
    await db.query(`INSERT INTO pacientes VALUES (1, 'Ana'), (2, 'Luis')`);
    await db.query('CREATE TABLE ha_drill_writes (documento_id BIGINT, drill_id TEXT, seq BIGINT, PRIMARY KEY (documento_id, drill_id, seq))');
  } finally {
    await db.end();
  }
}, 120_000);
afterAll(async () => {
  await lab?.cleanup();
});

/** A relay to the node's real port, as a port-forward would be; records each open and close. */
interface Relays {
  opened: string[];
  open: number;
  connections: number;
}

/** The local lab seen as a Kubernetes lab: unresolvable hosts; `withEndpoint` adds the way in. */
function kubeLike(withEndpoint: boolean, relays: Relays): LabEnvironment {
  const real = new Map(lab.env.nodes().map((n) => [n.name, n]));
  const env: LabEnvironment = Object.assign(Object.create(lab.env) as LabEnvironment, {
    nodes: (): LabNode[] => lab.env.nodes().map((n) => ({ ...n, host: IN_CLUSTER(n.name), port: 5432 })),
  });
  if (!withEndpoint) return Object.assign(env, { openSqlEndpoint: undefined });
  return Object.assign(env, {
    async openSqlEndpoint(node: LabNode): Promise<SqlEndpoint> {
      const target = real.get(node.name) as LabNode;
      const server = net.createServer((socket) => {
        relays.connections++;
        const upstream = net.connect(target.port, target.host);
        socket.pipe(upstream).pipe(socket);
        const drop = () => {
          socket.destroy();
          upstream.destroy();
        };
        socket.on('error', drop).on('close', drop);
        upstream.on('error', drop).on('close', drop);
      });
      await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
      relays.opened.push(node.name);
      relays.open++;
      return {
        host: '127.0.0.1',
        port: (server.address() as net.AddressInfo).port,
        async close() {
          relays.open--;
          server.close();
        },
      };
    },
  });
}

test('every probe class goes through the endpoint and succeeds; every endpoint is closed afterwards', async () => {
  const relays: Relays = { opened: [], open: 0, connections: 0 };
  const summary = await runProbes(kubeLike(true, relays), plan, options);
  expect(summary.classes.map((c) => c.cls).sort()).toEqual(['multi-shard', 'read-failed-node', 'read-healthy-node', 'write']);
  for (const c of summary.classes) {
    expect({ cls: c.cls, failed: c.failed, errors: c.errors }).toEqual({ cls: c.cls, failed: 0, errors: {} });
    expect(c.ok).toBeGreaterThan(3);
  }
  expect(summary.writes.committed).toBeGreaterThan(3);
  // One session per class, to the coordinator only, each through its own relay, all closed again.
  expect(relays.opened).toEqual(['coordinator', 'coordinator', 'coordinator', 'coordinator']);
  expect(relays.connections).toBe(4);
  expect(relays.open).toBe(0);
}, 30_000);

test('without the endpoint the same probes cannot reach the in-cluster name (what the drill hit on Kubernetes)', async () => {
  const relays: Relays = { opened: [], open: 0, connections: 0 };
  const summary = await runProbes(kubeLike(false, relays), plan, options);
  for (const c of summary.classes) {
    expect(c.ok).toBe(0);
    expect(Object.keys(c.errors).join(' ')).toMatch(/ENOTFOUND|EAI_AGAIN/);
  }
  expect(summary.writes.committed).toBe(0);
}, 30_000);

test('a probe still in flight when the run ends is left out of the verdict; writes committed are not', async () => {
  // From 600 ms every read of pacientes waits on a lock the test holds until the run is over: the reads in
  // flight at the 900 ms end fail only at their 1.5 s statement timeout, after the window that was judged.
  const holder = await connectNode(lab, 'coordinator', lab.spec.database);
  try {
    const locked = sleep(600).then(async () => {
      await holder.query('BEGIN');
      await holder.query('LOCK TABLE pacientes IN ACCESS EXCLUSIVE MODE');
    });
    const summary = await runProbes(lab.env, { ...plan, drillId: 'in-flight-at-end' }, { cadenceMs: 50, settleMs: 200, maxDurationMs: 900, statementTimeoutMs: 1_500 });
    await locked;
    expect(summary.endedBy).toBe('max-duration');
    for (const c of summary.classes) expect({ cls: c.cls, failed: c.failed }).toEqual({ cls: c.cls, failed: 0 });
    // The reads stopped answering at 600 ms; the writes (another table) kept committing to the end.
    const readsAnswered = summary.classes.find((c) => c.cls === 'multi-shard')!.ok;
    expect(readsAnswered).toBeGreaterThan(0);
    expect(summary.writes.committed).toBeGreaterThan(readsAnswered);
  } finally {
    await holder.query('ROLLBACK').catch(() => undefined);
    await holder.end();
  }
}, 30_000);
