import { citusInstalled } from '../../../src/environments/local/pgBinaries.js';
import { connectNode, startTempLab, type TempLab } from '../../support/localLab.js';

const HAS_CITUS = citusInstalled();
if (!HAS_CITUS) console.log('Skipping Citus tests: Citus is not installed for this PostgreSQL.');

(HAS_CITUS ? describe : describe.skip)('LocalEnvironment with Citus preloaded', () => {
  let lab: TempLab;
  beforeAll(async () => {
    lab = await startTempLab({ workers: 1, preloadCitus: true });
  });
  afterAll(async () => {
    await lab?.cleanup();
  });

  it('creates the extension and distributes a table over node-to-node password auth', async () => {
    const worker = await connectNode(lab, 'worker-0');
    await worker.query('CREATE EXTENSION citus');
    await worker.end();

    const coordinator = await connectNode(lab);
    try {
      await coordinator.query('CREATE EXTENSION citus');
      const [self, workerNode] = lab.env.nodes();
      await coordinator.query('SELECT citus_set_coordinator_host($1, $2)', [self!.clusterHost, self!.clusterPort]);
      // citus_add_node connects from the coordinator to the worker: this needs the postmaster's PGPASSFILE.
      await coordinator.query('SELECT citus_add_node($1, $2)', [workerNode!.clusterHost, workerNode!.clusterPort]);
      await coordinator.query('CREATE TABLE lab_probe (id int PRIMARY KEY)');
      await coordinator.query(`SELECT create_distributed_table('lab_probe', 'id')`);
      await coordinator.query('INSERT INTO lab_probe SELECT generate_series(1, 50)');
      const count = await coordinator.query('SELECT count(*)::int AS n FROM lab_probe');
      expect(count.rows).toEqual([{ n: 50 }]);
      const placements = await coordinator.query(
        'SELECT DISTINCT nodeport FROM pg_dist_shard_placement ORDER BY nodeport',
      );
      expect(placements.rows).toEqual([{ nodeport: workerNode!.clusterPort }]);
    } finally {
      await coordinator.end();
    }
  });
});
