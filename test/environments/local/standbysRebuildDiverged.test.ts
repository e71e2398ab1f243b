/**
 * Rebuilding a killed primary that went past the fork point (plain PostgreSQL, no Citus): with
 * synchronous commit, the commit in flight when it was killed is in its WAL and not on the standby.
 * Right after the standby's promotion, pg_rewind (15) would call that "same timeline, no rewind
 * required"; the rebuilt standby then could never follow the new primary, and once synchronous
 * commit was turned on for it every write to the group would wait forever.
 */
import pg from 'pg';
import { makeTempLab, type TempLab } from '../../support/localLab.js';
import { until } from '../../support/polling.js';

describe('rebuilding a primary killed with a commit in flight (plain PostgreSQL)', () => {
  let lab: TempLab;
  const port = (member: string) => lab.env.ha.member(member).node.port;
  const connect = async (member: string, statementTimeoutMs?: number) => {
    const { user, password } = await lab.env.credentials();
    const client = new pg.Client({ host: '127.0.0.1', port: port(member), user, password, database: 'postgres', ...(statementTimeoutMs ? { statement_timeout: statementTimeoutMs } : {}) });
    client.on('error', () => undefined);
    await client.connect();
    return client;
  };
  const sql = async <T extends pg.QueryResultRow>(member: string, text: string, statementTimeoutMs?: number): Promise<T[]> => {
    const client = await connect(member, statementTimeoutMs);
    try {
      return (await client.query<T>(text)).rows;
    } finally {
      await client.end();
    }
  };

  beforeAll(async () => {
    lab = await makeTempLab({ workers: 1, standbys: 1, sync: true });
    await lab.env.preflight();
    await lab.env.provision();
    await lab.env.startNodes();
    await lab.env.ha.ensureStandbys();
  }, 120_000);
  afterAll(async () => {
    await lab?.cleanup();
  });

  it('rewinds it onto the new timeline, so synchronous commits on the new primary complete', async () => {
    await sql('worker-0', 'CREATE TABLE t (id int)');
    // The standby cut off (its walreceiver pointed nowhere): the next commit is written and flushed on
    // the primary, then waits for a standby that never gets it.
    await sql('worker-0-s1', `ALTER SYSTEM SET primary_conninfo = 'host=127.0.0.1 port=1'`);
    await sql('worker-0-s1', 'SELECT pg_reload_conf()');
    await until('the standby is disconnected', async () => {
      const rows = await sql<{ n: number }>('worker-0', 'SELECT count(*)::int AS n FROM pg_stat_replication');
      return rows[0]?.n === 0;
    });
    const writer = await connect('worker-0');
    const inFlight = writer.query('INSERT INTO t VALUES (1)').then(
      () => 'committed',
      () => 'failed',
    );
    await until('the commit waits for the standby', async () => {
      const rows = await sql<{ n: number }>('worker-0', `SELECT count(*)::int AS n FROM pg_stat_activity WHERE wait_event = 'SyncRep'`);
      return rows[0]?.n === 1;
    });
    await lab.env.ha.fence('worker-0', 'kill');
    expect(await inFlight).toBe('failed');
    await lab.env.ha.promote('worker-0-s1');
    // pg_rewind copies postgresql.auto.conf from its source: the rebuilt member must not inherit the cut-off.
    await sql('worker-0-s1', 'ALTER SYSTEM RESET primary_conninfo');

    const rebuilt = await lab.env.ha.rebuild('worker-0', { streamingTimeoutMs: 30_000 });
    expect(rebuilt.method).not.toBe('already-standby');
    // Synchronous commit is on again (the rebuilt member is the group's standby): a commit must come back.
    const settings = await sql<{ s: string }>('worker-0-s1', `SELECT current_setting('synchronous_standby_names') AS s`);
    expect(settings[0]?.s).toContain('worker-0');
    // A cancelled wait for the standby still commits (with a warning), so the bound is the client's own.
    const commit = sql('worker-0-s1', 'INSERT INTO t VALUES (2)').then(() => 'committed', (err: Error) => `failed: ${err.message}`);
    const waited = new Promise<string>((resolve) => setTimeout(() => resolve('still waiting for the synchronous standby after 15 s'), 15_000).unref());
    expect(await Promise.race([commit, waited])).toBe('committed');
    const received = await sql<{ tli: number }>('worker-0', `SELECT received_tli AS tli FROM pg_stat_wal_receiver`);
    expect(received[0]?.tli).toBeGreaterThan(1);
    const rows = await sql<{ id: number }>('worker-0-s1', 'SELECT id FROM t ORDER BY id');
    // The in-flight row was never acknowledged and the standby never had it: only the new one is there.
    expect(rows.map((r) => r.id)).toEqual([2]);
  }, 180_000);
});
