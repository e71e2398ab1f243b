/**
 * The nodes under the API as the coordinator's Citus metadata has them: each node, whether it is
 * active and takes shards, and how many shard placements it holds. On plain PostgreSQL (no Citus
 * extension) there are no nodes to list, and the answer says so instead of failing.
 */
import type pg from 'pg';

export interface ClusterNode {
  readonly host: string;
  readonly port: number;
  readonly role: 'coordinator' | 'worker';
  readonly active: boolean;
  readonly shouldHaveShards: boolean;
  readonly shards: number;
}

export interface ClusterNodes {
  readonly citus: boolean;
  readonly citusVersion?: string;
  readonly message?: string;
  readonly nodes: readonly ClusterNode[];
}

interface NodeRow {
  nodename: string;
  nodeport: number;
  groupid: number;
  isactive: boolean;
  shouldhaveshards: boolean;
  shards: string;
}

// Placements are per group (a node and its replicas); group 0 is the coordinator.
const NODES_SQL = `
SELECT n.nodename, n.nodeport, n.groupid, n.isactive, n.shouldhaveshards,
       (SELECT count(*) FROM pg_dist_placement p WHERE p.groupid = n.groupid) AS shards
  FROM pg_dist_node n
 WHERE n.noderole = 'primary'
 ORDER BY n.groupid, n.nodename, n.nodeport`;

export async function readClusterNodes(db: Pick<pg.Pool, 'query'>): Promise<ClusterNodes> {
  const { rows: ext } = await db.query<{ extversion: string }>("SELECT extversion FROM pg_extension WHERE extname = 'citus'");
  const version = ext[0]?.extversion;
  if (!version) return { citus: false, message: 'Plain PostgreSQL: the citus extension is not installed in this database, so there are no workers or shards.', nodes: [] };
  const { rows } = await db.query<NodeRow>(NODES_SQL);
  return {
    citus: true,
    citusVersion: version,
    nodes: rows.map((r) => ({
      host: r.nodename,
      port: r.nodeport,
      role: r.groupid === 0 ? 'coordinator' : 'worker',
      active: r.isactive,
      shouldHaveShards: r.shouldhaveshards,
      shards: Number(r.shards),
    })),
  };
}
