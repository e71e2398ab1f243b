/**
 * The two metadata changes around a drain: mark the node `shouldhaveshards = false` (the flag the
 * background job's drain_only mode empties, and that a later run continues from), and, once it holds
 * no shards, optionally remove it from Citus. Both observe first, so re-running changes nothing.
 */
import { LabError } from '../../../errors.js';
import type { LabEnvironment } from '../../../environments/labEnvironment.js';
import type { DrainState, NodeRemoval } from '../../../workflows/rebalance/rebalanceTypes.js';
import { coordinatorOf, withNodeClient } from '../connect.js';
import { assertCitusExtension } from '../databaseAndExtension.js';
import { citusNodeOf, labWorker, readCitusNodes } from '../citusNodes.js';
import { clusterAddress } from '../registerWorkers.js';

export async function markNodeDraining(env: LabEnvironment, nodeName: string): Promise<DrainState & { changed: boolean }> {
  const worker = labWorker(env, nodeName);
  const coordinator = coordinatorOf(env);
  return withNodeClient(env, coordinator.name, env.spec.database, async (client) => {
    await assertCitusExtension(client, env.spec.database, coordinator.name);
    const citus = citusNodeOf(await readCitusNodes(client, env), worker);
    const base = { node: worker.name, address: clusterAddress(worker) };
    if (!citus) return { ...base, registered: false, shouldHaveShards: false, placements: 0, changed: false };
    if (citus.shouldHaveShards) {
      await client.query(`SELECT citus_set_node_property($1, $2, 'shouldhaveshards', false)`, [citus.host, citus.port]);
    }
    return { ...base, registered: true, shouldHaveShards: false, placements: citus.placements, changed: citus.shouldHaveShards };
  });
}

export async function removeDrainedNode(env: LabEnvironment, nodeName: string): Promise<NodeRemoval> {
  const worker = labWorker(env, nodeName);
  const coordinator = coordinatorOf(env);
  return withNodeClient(env, coordinator.name, env.spec.database, async (client) => {
    await assertCitusExtension(client, env.spec.database, coordinator.name);
    const citus = citusNodeOf(await readCitusNodes(client, env), worker);
    if (!citus) return { node: worker.name, removed: false, message: `${worker.name} is not in Citus' metadata: already removed` };
    if (citus.placements > 0) {
      throw new LabError(
        'CommandFailed',
        `${worker.name} still holds ${citus.placements} shard placements, so it was not removed: run drain again to move them first.`,
        { nonRetryable: true },
      );
    }
    await client.query('SELECT citus_remove_node($1, $2)', [citus.host, citus.port]);
    return {
      node: worker.name,
      removed: true,
      message: `${worker.name} removed from Citus (its process keeps running; register-workers adds it back)`,
    };
  });
}
