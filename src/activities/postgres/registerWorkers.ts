/**
 * Citus node metadata on the coordinator: where the coordinator itself is reachable, which workers are
 * registered, which are active. Every function observes pg_dist_node first and changes only what differs,
 * using the cluster-facing host:port (what the other nodes can reach, never `localhost`).
 */
import { LabError } from '../../errors.js';
import type { LabEnvironment, LabNode } from '../../environments/labEnvironment.js';
import type { ActiveWorkers, CoordinatorHost, WorkerRegistration } from '../results.js';
import { coordinatorOf, withNodeClient } from './connect.js';
import { assertCitusExtension } from './databaseAndExtension.js';

/** Citus keeps the coordinator in group 0 of pg_dist_node. */
const COORDINATOR_GROUP = 0;

export function clusterAddress(node: Pick<LabNode, 'clusterHost' | 'clusterPort'>): string {
  return `${node.clusterHost}:${node.clusterPort}`;
}

export function workerNodes(env: LabEnvironment): LabNode[] {
  return env.nodes().filter((n) => n.role === 'worker');
}

export async function setCoordinatorHost(env: LabEnvironment): Promise<CoordinatorHost> {
  const coordinator = coordinatorOf(env);
  const host = coordinator.clusterHost;
  const port = coordinator.clusterPort;
  return withNodeClient(env, coordinator.name, env.spec.database, async (client) => {
    await assertCitusExtension(client, env.spec.database, coordinator.name);
    const { rows } = await client.query<{ nodename: string; nodeport: number }>(
      'SELECT nodename, nodeport FROM pg_dist_node WHERE groupid = $1',
      [COORDINATOR_GROUP],
    );
    const current = rows[0];
    if (current && current.nodename === host && current.nodeport === port) return { host, port, changed: false };
    await client.query('SELECT citus_set_coordinator_host($1, $2)', [host, port]);
    return { host, port, changed: true };
  });
}

function workerOf(env: LabEnvironment, nodeName: string): LabNode {
  const worker = workerNodes(env).find((n) => n.name === nodeName);
  if (!worker) {
    const workers = workerNodes(env).map((n) => n.name).join(', ') || 'none';
    throw new LabError(
      'UnknownNode',
      `${JSON.stringify(nodeName)} is not a worker of lab ${env.spec.cluster}: its workers are ${workers}.`,
    );
  }
  return worker;
}

export async function registerWorker(env: LabEnvironment, nodeName: string): Promise<WorkerRegistration> {
  const worker = workerOf(env, nodeName);
  const host = worker.clusterHost;
  const port = worker.clusterPort;
  return withNodeClient(env, coordinatorOf(env).name, env.spec.database, async (client, coordinator) => {
    await assertCitusExtension(client, env.spec.database, coordinator.name);
    const { rows } = await client.query<{ nodeid: number; isactive: boolean }>(
      'SELECT nodeid, isactive FROM pg_dist_node WHERE nodename = $1 AND nodeport = $2',
      [host, port],
    );
    const existing = rows[0];
    if (existing?.isactive) return { node: worker.name, host, port, nodeId: existing.nodeid, action: 'existing' };
    if (existing) {
      const activated = await client.query<{ nodeid: number }>('SELECT citus_activate_node($1, $2) AS nodeid', [host, port]);
      return { node: worker.name, host, port, nodeId: activated.rows[0]?.nodeid ?? existing.nodeid, action: 'reactivated' };
    }
    const added = await client.query<{ nodeid: number }>('SELECT citus_add_node($1, $2) AS nodeid', [host, port]);
    const nodeId = added.rows[0]?.nodeid;
    if (nodeId === undefined) throw new LabError('CommandFailed', `citus_add_node(${host}, ${port}) returned no node id.`);
    return { node: worker.name, host, port, nodeId, action: 'added' };
  });
}

export async function checkActiveWorkers(env: LabEnvironment): Promise<ActiveWorkers> {
  const expected = workerNodes(env).map(clusterAddress).sort();
  const active = await activeWorkerAddresses(env);
  const missing = expected.filter((a) => !active.includes(a));
  const extra = active.filter((a) => !expected.includes(a));
  if (missing.length || extra.length) {
    const parts = [missing.length ? `missing ${missing.join(', ')}` : '', extra.length ? `unexpected ${extra.join(', ')}` : '']
      .filter(Boolean)
      .join('; ');
    throw new LabError(
      'WorkerSetMismatch',
      `Citus's active workers differ from lab ${env.spec.cluster}'s (${parts}): run register-workers, and ` +
        'start or remove the nodes listed.',
      { details: { expected, active, missing, extra } },
    );
  }
  return { expected, active };
}

export async function activeWorkerAddresses(env: LabEnvironment): Promise<string[]> {
  return withNodeClient(env, coordinatorOf(env).name, env.spec.database, async (client, coordinator) => {
    await assertCitusExtension(client, env.spec.database, coordinator.name);
    const { rows } = await client.query<{ node_name: string; node_port: number }>(
      'SELECT node_name, node_port FROM citus_get_active_worker_nodes()',
    );
    return rows.map((r) => clusterAddress({ clusterHost: r.node_name, clusterPort: r.node_port })).sort();
  });
}
