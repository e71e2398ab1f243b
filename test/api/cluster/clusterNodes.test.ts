/** The admin dashboard's node list, read from real Citus metadata (and from plain PostgreSQL). */
import pg from 'pg';
import { readClusterNodes } from '../../../src/api/cluster/clusterNodes.js';
import { describeIfCitus } from '../../support/citus.js';
import { placements, startCitusSampleLab } from '../../support/citusSampleLab.js';
import { startTempLab, type TempLab } from '../../support/localLab.js';

async function poolOn(lab: TempLab, database: string): Promise<pg.Pool> {
  const node = lab.env.nodes().find((n) => n.name === 'coordinator');
  if (!node) throw new Error('no coordinator');
  const { user, password } = await lab.env.credentials();
  return new pg.Pool({ host: node.host, port: node.port, user, password, database, max: 1 });
}

describe('readClusterNodes on plain PostgreSQL', () => {
  let lab: TempLab;
  beforeAll(async () => {
    lab = await startTempLab({ workers: 1, preloadCitus: false });
  });
  afterAll(async () => lab?.cleanup());

  test('says there is no Citus instead of failing', async () => {
    const pool = await poolOn(lab, 'postgres');
    try {
      const nodes = await readClusterNodes(pool);
      expect(nodes.citus).toBe(false);
      expect(nodes.nodes).toEqual([]);
      expect(nodes.message).toMatch(/citus extension is not installed/);
    } finally {
      await pool.end();
    }
  });
});

describeIfCitus('readClusterNodes on a Citus lab', () => {
  let lab: TempLab;
  beforeAll(async () => {
    lab = await startCitusSampleLab({ workers: 2, registered: 2, prefix: 'dash' });
  }, 240_000);
  afterAll(async () => lab?.cleanup());

  test('lists both workers with the shard placements Citus has for them', async () => {
    const pool = await poolOn(lab, lab.spec.database);
    try {
      const overview = await readClusterNodes(pool);
      expect(overview.citus).toBe(true);
      expect(overview.citusVersion).toMatch(/^\d+\.\d+/);
      const workers = overview.nodes.filter((n) => n.role === 'worker');
      expect(workers).toHaveLength(2);
      expect(workers.every((w) => w.active && w.shouldHaveShards)).toBe(true);
      // Hash-distributed placements per worker, as the lab's own helper counts them; reference
      // tables add one placement per node on top, so each worker has at least that many.
      const hashed = await placements(lab);
      for (const w of workers) {
        const name = lab.env.nodes().find((n) => n.clusterPort === w.port)?.name ?? '?';
        expect(w.shards).toBeGreaterThanOrEqual(hashed[name] ?? 0);
        expect(w.shards).toBeGreaterThan(0);
      }
      const total = workers.reduce((sum, w) => sum + w.shards, 0);
      const [{ n }] = (await pool.query<{ n: string }>('SELECT count(*) AS n FROM pg_dist_placement p JOIN pg_dist_node d ON d.groupid = p.groupid WHERE d.groupid <> 0')).rows as [{ n: string }];
      expect(total).toBe(Number(n));
    } finally {
      await pool.end();
    }
  });
});
