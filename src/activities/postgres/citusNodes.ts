/**
 * pg_dist_node rows with the lab's names attached (`worker-1` instead of `127.0.0.1:15434`), and the
 * count of hash-distributed shard placements on each: what the rebalance activities reason about.
 */
import type { Client } from 'pg';
import { LabError } from '../../errors.js';
import type { LabEnvironment, LabNode } from '../../environments/labEnvironment.js';
import { clusterAddress, workerNodes } from './registerWorkers.js';

export interface CitusNode {
  nodeId: number;
  /** Lab node name, or the address when the lab does not know the node. */
  name: string;
  address: string;
  host: string;
  port: number;
  isCoordinator: boolean;
  active: boolean;
  shouldHaveShards: boolean;
  /** Hash-distributed shard placements (reference tables are on every node by design). */
  placements: number;
}

export async function readCitusNodes(client: Client, env: LabEnvironment): Promise<CitusNode[]> {
  const names = new Map(env.nodes().map((n) => [clusterAddress(n), n.name]));
  const { rows } = await client.query<{
    nodeid: number;
    nodename: string;
    nodeport: number;
    groupid: number;
    isactive: boolean;
    shouldhaveshards: boolean;
    placements: string;
  }>(
    `SELECT n.nodeid, n.nodename, n.nodeport, n.groupid, n.isactive, n.shouldhaveshards,
            (SELECT count(*) FROM pg_dist_placement p
               JOIN pg_dist_shard s ON s.shardid = p.shardid
               JOIN pg_dist_partition t ON t.logicalrelid = s.logicalrelid
              WHERE p.groupid = n.groupid AND t.partmethod = 'h') AS placements
       FROM pg_dist_node n
      WHERE n.noderole = 'primary'
      ORDER BY n.groupid, n.nodeid`,
  );
  return rows.map((r) => {
    const address = `${r.nodename}:${r.nodeport}`;
    return {
      nodeId: r.nodeid,
      name: names.get(address) ?? address,
      address,
      host: r.nodename,
      port: r.nodeport,
      isCoordinator: r.groupid === 0,
      active: r.isactive,
      shouldHaveShards: r.shouldhaveshards,
      placements: Number(r.placements),
    };
  });
}

/** The lab worker called `nodeName`; UnknownNode for anything else (the coordinator included). */
export function labWorker(env: LabEnvironment, nodeName: string): LabNode {
  const workers = workerNodes(env);
  const worker = workers.find((n) => n.name === nodeName);
  if (!worker) {
    throw new LabError(
      'UnknownNode',
      `${JSON.stringify(nodeName)} is not a worker of lab ${env.spec.cluster}: its workers are ${workers.map((w) => w.name).join(', ') || 'none'}.`,
    );
  }
  return worker;
}

export function citusNodeOf(nodes: readonly CitusNode[], worker: LabNode): CitusNode | undefined {
  return nodes.find((n) => n.address === clusterAddress(worker));
}
