/**
 * Streaming standbys of a local lab on real PostgreSQL (no Citus needed): base backup with a slot,
 * catching up, the password only in the pgpass, fencing, promotion and rebuilding the old primary.
 */
import fs from 'node:fs';
import path from 'node:path';
import pg from 'pg';
import { REPLICATION_CONF, STANDBY_SIGNAL } from '../../../src/environments/local/standbys/replicationConf.js';
import { readTopology } from '../../../src/environments/local/standbys/groupTopology.js';
import { makeTempLab, type TempLab } from '../../support/localLab.js';
import { until } from '../../support/polling.js';

async function query<T extends pg.QueryResultRow>(lab: TempLab, port: number, text: string, values: unknown[] = []): Promise<T[]> {
  const { user, password } = await lab.env.credentials();
  const client = new pg.Client({ host: '127.0.0.1', port, user, password, database: 'postgres' });
  await client.connect();
  try {
    return (await client.query<T>(text, values)).rows;
  } finally {
    await client.end();
  }
}

describe('local standbys (plain PostgreSQL)', () => {
  let lab: TempLab;

  beforeAll(async () => {
    lab = await makeTempLab({ workers: 1, standbys: 1, sync: true });
    await lab.env.preflight();
    await lab.env.provision();
    await lab.env.startNodes();
  }, 120_000);
  afterAll(async () => {
    await lab?.cleanup();
  });

  const port = (member: string) => lab.env.ha.member(member).node.port;

  it('creates one streaming standby per group with a slot, and commits wait for it', async () => {
    const result = await lab.env.ha.ensureStandbys();
    expect(result.created.sort()).toEqual(['coordinator-s1', 'worker-0-s1']);
    expect(port('worker-0-s1')).toBe(lab.spec.basePort + 1 + 100);

    const repl = await query<{ application_name: string; state: string; sync_state: string }>(
      lab,
      port('worker-0'),
      'SELECT application_name, state, sync_state FROM pg_stat_replication',
    );
    expect(repl).toEqual([{ application_name: 'worker-0-s1', state: 'streaming', sync_state: 'quorum' }]);
    const slots = await query<{ slot_name: string; active: boolean }>(lab, port('worker-0'), 'SELECT slot_name, active FROM pg_replication_slots');
    expect(slots).toEqual([{ slot_name: 'citus_lab_worker_0_s1', active: true }]);

    await query(lab, port('worker-0'), 'CREATE TABLE t (id int primary key)');
    await query(lab, port('worker-0'), 'INSERT INTO t SELECT generate_series(1, 1000)');
    // Synchronous: the commit returned after the standby flushed it; replay follows within moments.
    await until('the standby replays the insert', async () => {
      const rows = await query<{ n: number }>(lab, port('worker-0-s1'), 'SELECT count(*)::int AS n FROM t');
      return rows[0]?.n === 1000;
    });
    const inRecovery = await query<{ r: boolean }>(lab, port('worker-0-s1'), 'SELECT pg_is_in_recovery() AS r');
    expect(inRecovery[0]?.r).toBe(true);
  }, 120_000);

  it('leaves running standbys running on a second run (a re-run deploy)', async () => {
    const pidFile = path.join(lab.env.layout.nodeDir('worker-0-s1'), 'postmaster.pid');
    const before = fs.readFileSync(pidFile, 'utf8').split('\n')[0];
    const again = await lab.env.ha.ensureStandbys();
    expect(again).toEqual({ created: [], started: [], existing: expect.arrayContaining(['coordinator-s1', 'worker-0-s1']) as unknown });
    // Its lock file too: without it the next start saw a stranger on the port.
    expect(fs.readFileSync(pidFile, 'utf8').split('\n')[0]).toBe(before);
  }, 60_000);

  it('keeps the password out of every configuration file', async () => {
    const { password } = await lab.env.credentials();
    const pgdata = lab.env.layout.nodeDir('worker-0-s1');
    const conf = fs.readFileSync(path.join(pgdata, REPLICATION_CONF), 'utf8');
    expect(conf).toContain(`passfile=${lab.env.layout.pgpassFile}`);
    for (const file of ['postgresql.conf', 'postgresql.auto.conf', 'citus-lab.conf', REPLICATION_CONF]) {
      const text = fs.existsSync(path.join(pgdata, file)) ? fs.readFileSync(path.join(pgdata, file), 'utf8') : '';
      expect(text).not.toContain(password);
    }
    expect(fs.statSync(lab.env.layout.pgpassFile).mode & 0o777).toBe(0o600);
  });

  it('fences the primary, promotes the standby, and rebuilds the old primary as its standby', async () => {
    const fenced = await lab.env.ha.fence('worker-0', 'kill');
    expect(fenced.wasRunning).toBe(true);
    expect(fs.existsSync(path.join(lab.env.layout.nodeDir('worker-0'), STANDBY_SIGNAL))).toBe(true);
    expect(lab.env.mayRestart('worker-0')).toBe(false);

    const promoted = await lab.env.ha.promote('worker-0-s1');
    expect(promoted.alreadyPrimary).toBe(false);
    expect(readTopology(lab.env.layout.clusterDir)['worker-0']?.primary).toBe('worker-0-s1');
    // The group's name now leads to the promoted member.
    expect(lab.env.nodes().find((n) => n.name === 'worker-0')?.port).toBe(port('worker-0-s1'));
    // Degraded until the rebuild: no synchronous standby, so this commit does not block.
    await query(lab, port('worker-0-s1'), 'INSERT INTO t VALUES (1001)');
    expect((await lab.env.ha.promote('worker-0-s1')).alreadyPrimary).toBe(true);

    const rebuilt = await lab.env.ha.rebuild('worker-0');
    // Rewound, not copied afresh: a fallback to pg_basebackup would hide a rewind that did nothing.
    expect(rebuilt).toMatchObject({ method: 'rewind' });
    expect(rebuilt.note).toBeUndefined();
    expect(lab.env.mayRestart('worker-0')).toBe(true);
    const repl = await query<{ application_name: string; sync_state: string }>(
      lab,
      port('worker-0-s1'),
      'SELECT application_name, sync_state FROM pg_stat_replication',
    );
    expect(repl).toEqual([{ application_name: 'worker-0', sync_state: 'quorum' }]);
    await query(lab, port('worker-0-s1'), 'INSERT INTO t VALUES (1002)');
    await until('the rebuilt standby has every row', async () => {
      const rows = await query<{ n: number }>(lab, port('worker-0'), 'SELECT count(*)::int AS n FROM t');
      return rows[0]?.n === 1002;
    });
    expect((await lab.env.ha.rebuild('worker-0')).method).toBe('already-standby');
  }, 180_000);
});
