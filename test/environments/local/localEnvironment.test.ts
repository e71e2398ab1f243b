import fs from 'node:fs';
import path from 'node:path';
import pg from 'pg';
import { parseLabSpec } from '../../../src/config/labSpec.js';
import { LocalEnvironment } from '../../../src/environments/local/localEnvironment.js';
import { resolveServerUser } from '../../../src/environments/local/serverUser.js';
import { connectNode, makeTempLab, type TempLab } from '../../support/localLab.js';
import { rejectionOf } from '../../support/rejection.js';

function pidsOf(states: Array<{ name: string; pid?: number }>): Record<string, number | undefined> {
  return Object.fromEntries(states.map((s) => [s.name, s.pid]));
}

describe('LocalEnvironment with one coordinator and one worker', () => {
  let lab: TempLab;

  beforeAll(async () => {
    lab = await makeTempLab({ workers: 1 });
  });
  afterAll(async () => {
    await lab?.cleanup();
  });

  it('refuses credentials and stops quietly before the lab was ever provisioned', async () => {
    const err = await rejectionOf(lab.env.credentials());
    expect(err.type).toBe('ConfigInvalid');
    expect(err.message).toMatch(/never provisioned/);
    await expect(lab.env.stopNodes()).resolves.toBeUndefined();
    await expect(lab.env.startNodes()).rejects.toMatchObject({ type: 'ConfigInvalid' });
  });

  it('provisions and starts every node, reporting progress per node', async () => {
    await lab.env.preflight();
    const progress: string[] = [];
    const provisioned = await lab.env.provision((detail) => progress.push(detail));
    expect(provisioned).toEqual({ created: ['coordinator', 'worker-0'], existing: [] });
    expect(progress.sort()).toEqual(['initdb coordinator', 'initdb worker-0']);

    // A caller's PG* variables must not reach the postmaster, whose env every Citus connection inherits.
    process.env.PGSSLMODE = 'verify-full';
    let started;
    try {
      started = await lab.env.startNodes();
    } finally {
      delete process.env.PGSSLMODE;
    }
    expect(started).toEqual({ started: ['coordinator', 'worker-0'], alreadyRunning: [] });
    const states = await lab.env.status();
    expect(states.map((s) => [s.name, s.running])).toEqual([
      ['coordinator', true],
      ['worker-0', true],
    ]);
    expect(states.every((s) => typeof s.pid === 'number')).toBe(true);

    const environ = fs.readFileSync(`/proc/${states[0]!.pid}/environ`, 'utf8').split('\0');
    expect(environ).toContain(`PGPASSFILE=${lab.env.layout.pgpassFile}`);
    expect(environ.filter((v) => v.startsWith('PGSSLMODE='))).toEqual([]);
  });

  it('names nodes and ports from the spec, on 127.0.0.1', () => {
    const base = lab.spec.basePort;
    const loopback = { host: '127.0.0.1', clusterHost: '127.0.0.1' };
    expect(lab.env.nodes()).toEqual([
      { name: 'coordinator', role: 'coordinator', ...loopback, port: base, clusterPort: base },
      { name: 'worker-0', role: 'worker', ...loopback, port: base + 1, clusterPort: base + 1 },
    ]);
  });

  it('accepts the lab password over TCP and runs with the lab settings', async () => {
    for (const node of lab.env.nodes()) {
      const client = await connectNode(lab, node.name);
      try {
        const show = async (name: string) => (await client.query(`SHOW ${name}`)).rows[0]?.[name];
        expect(await show('port')).toBe(String(node.port));
        expect(await show('listen_addresses')).toBe('127.0.0.1');
        expect(await show('unix_socket_directories')).toBe('');
        expect(await show('wal_level')).toBe('logical');
        expect(await show('password_encryption')).toBe('scram-sha-256');
        expect(await show('max_connections')).toBe('200');
        expect(Number(await show('max_wal_senders'))).toBeGreaterThanOrEqual(10);
        expect(Number(await show('max_replication_slots'))).toBeGreaterThanOrEqual(10);
        expect(await show('shared_preload_libraries')).toBe('');
        const rules = await client.query('SELECT type, address, auth_method FROM pg_hba_file_rules');
        expect(rules.rows).toEqual([
          { type: 'host', address: '127.0.0.1', auth_method: 'scram-sha-256' },
          { type: 'host', address: '127.0.0.1', auth_method: 'scram-sha-256' },
        ]);
      } finally {
        await client.end();
      }
    }
  });

  it('refuses a wrong password', async () => {
    const node = lab.env.nodes()[0]!;
    const { host, port } = node;
    const client = new pg.Client({ host, port, user: 'postgres', password: 'not-the-password', database: 'postgres' });
    await expect(client.connect()).rejects.toMatchObject({ code: '28P01' });
    await client.end().catch(() => undefined);
  });

  it('is idempotent: a second provision and start change nothing', async () => {
    const before = await lab.env.status();
    const client = await connectNode(lab);
    const systemId = async (c: pg.Client) =>
      (await c.query('SELECT system_identifier::text AS id FROM pg_control_system()')).rows[0]?.id;
    const idBefore = await systemId(client);
    await client.end();

    // A fresh instance, as each activity gets one: nothing may live only in memory.
    const again = new LocalEnvironment(lab.spec, { preloadCitus: false });
    await again.preflight();
    expect(await again.provision()).toEqual({ created: [], existing: ['coordinator', 'worker-0'] });
    expect(await again.startNodes()).toEqual({ started: [], alreadyRunning: ['coordinator', 'worker-0'] });
    expect(pidsOf(await again.status())).toEqual(pidsOf(before));
    expect(await again.credentials()).toEqual(await lab.env.credentials());

    const after = await connectNode(lab);
    expect(await systemId(after)).toBe(idBefore); // same cluster: initdb did not run again
    await after.end();
  });

  it('keeps the password in 0600 files and out of logs and lab.json', async () => {
    const { password } = await lab.env.credentials();
    const { layout } = lab.env;
    expect(password.length).toBeGreaterThanOrEqual(32);
    expect(fs.statSync(layout.passwordFile).mode & 0o777).toBe(0o600);
    expect(fs.statSync(layout.secretsDir).mode & 0o777).toBe(0o700);
    const pgpass = fs.statSync(layout.pgpassFile);
    expect(pgpass.mode & 0o777).toBe(0o600);
    expect(pgpass.uid).toBe(resolveServerUser().uid);
    expect(fs.readFileSync(layout.pgpassFile, 'utf8')).toContain(`127.0.0.1:${lab.spec.basePort + 1}:*:postgres:`);
    // initdb's temporary pwfile is gone.
    expect(fs.readdirSync(layout.serverDir)).toEqual(['pgpass']);

    const logs = fs.readdirSync(layout.logsDir);
    expect(logs.sort()).toEqual(['coordinator.log', 'worker-0.log']);
    for (const log of logs) expect(fs.readFileSync(path.join(layout.logsDir, log), 'utf8')).not.toContain(password);
    expect(fs.readFileSync(layout.labFile, 'utf8')).not.toContain(password);
  });

  it('kills a node with injectFault and brings it back with startNodes', async () => {
    const before = pidsOf(await lab.env.status());
    await lab.env.injectFault('worker-0');
    const states = await lab.env.status();
    expect(states.find((s) => s.name === 'worker-0')).toMatchObject({ running: false });
    expect(states.find((s) => s.name === 'coordinator')).toMatchObject({ running: true, pid: before.coordinator });
    await expect(connectNode(lab, 'worker-0')).rejects.toThrow();

    expect(await lab.env.startNodes()).toEqual({ started: ['worker-0'], alreadyRunning: ['coordinator'] });
    const client = await connectNode(lab, 'worker-0');
    expect((await client.query('SELECT 1 AS one')).rows).toEqual([{ one: 1 }]);
    await client.end();
  });

  it('refuses to inject a fault into a node the lab does not have', async () => {
    const err = await rejectionOf(lab.env.injectFault('worker-7'));
    expect(err.type).toBe('UnknownNode');
    expect(err.message).toContain('coordinator, worker-0');
  });

  it('refuses a different base port for an existing lab and leaves it untouched', async () => {
    const movedSpec = parseLabSpec({ ...lab.spec, basePort: lab.spec.basePort + 2 });
    const moved = new LocalEnvironment(movedSpec, { preloadCitus: false });
    const labJson = fs.readFileSync(lab.env.layout.labFile, 'utf8');
    for (const call of [moved.preflight(), moved.provision()]) {
      const err = await rejectionOf(call);
      expect(err.type).toBe('ConfigInvalid');
      expect(err.message).toContain(`--base-port ${lab.spec.basePort}`);
    }
    expect(fs.readFileSync(lab.env.layout.labFile, 'utf8')).toBe(labJson);
    expect(fs.existsSync(moved.layout.nodeDir('worker-1'))).toBe(false);
  });

  it('grows by one worker without touching the existing nodes, and a smaller spec still stops it', async () => {
    const before = pidsOf(await lab.env.status());
    const bigger = new LocalEnvironment({ ...lab.spec, workers: 2 }, { preloadCitus: false });
    await bigger.preflight();
    const progress: string[] = [];
    expect(await bigger.provision((d) => progress.push(d))).toEqual({
      created: ['worker-1'],
      existing: ['coordinator', 'worker-0'],
    });
    expect(progress).toEqual(['initdb worker-1']);
    expect(await bigger.startNodes()).toEqual({ started: ['worker-1'], alreadyRunning: ['coordinator', 'worker-0'] });
    const after = pidsOf(await bigger.status());
    expect(after).toMatchObject(before);
    expect(after['worker-1']).toEqual(expect.any(Number));

    // The new worker reaches the old ones with the pgpass, as Citus will (the file lists every port).
    expect(fs.readFileSync(bigger.layout.pgpassFile, 'utf8')).toContain(`:${lab.spec.basePort + 2}:`);

    await lab.env.stopNodes(); // the one-worker spec
    expect((await bigger.status()).map((s) => s.running)).toEqual([false, false, false]);
  });

  it('tears down without data first, then with it', async () => {
    await lab.env.startNodes();
    await lab.env.teardown({ removeData: false });
    expect((await lab.env.status()).every((s) => !s.running)).toBe(true);
    expect(fs.existsSync(lab.env.layout.passwordFile)).toBe(true);

    await lab.env.teardown({ removeData: true });
    expect(fs.existsSync(lab.env.layout.clusterDir)).toBe(false);
  });
});

describe('LocalEnvironment when a node cannot start', () => {
  let lab: TempLab;
  beforeAll(async () => {
    lab = await makeTempLab({ workers: 1 });
    await lab.env.provision();
  });
  afterAll(async () => {
    await lab?.cleanup();
  });

  it('reports the node and the end of its log, and still starts the healthy nodes', async () => {
    const autoConf = path.join(lab.env.layout.nodeDir('worker-0'), 'postgresql.auto.conf');
    fs.appendFileSync(autoConf, "shared_buffers = 'plenty'\n");
    const err = await rejectionOf(lab.env.startNodes());
    expect(err.type).toBe('NodeNotReady');
    expect(err.message).toContain('PostgreSQL node worker-0 did not start');
    expect(err.message).toContain('invalid value for parameter "shared_buffers"');
    expect((await lab.env.status()).map((s) => [s.name, s.running])).toEqual([
      ['coordinator', true],
      ['worker-0', false],
    ]);
  });
});
