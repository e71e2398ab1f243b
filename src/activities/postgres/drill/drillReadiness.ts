/**
 * Before a drill touches anything: the node exists, every node runs, the coordinator holds the lab's
 * distributed data and the target worker is an active Citus node. Each refusal is one sentence with
 * the fix, and non-retryable: waiting does not deploy a lab.
 */
import { LabError, isLabError } from '../../../errors.js';
import type { LabEnvironment } from '../../../environments/labEnvironment.js';
import { coordinatorOf, errorMessage, findNode, withNodeClient } from '../connect.js';
import { assertCitusExtension } from '../databaseAndExtension.js';
import type { DrillReadiness } from './drillTypes.js';

const CONNECT_TIMEOUT_MS = 3_000;

function notDeployed(env: LabEnvironment, why: string): LabError {
  return new LabError('ConfigInvalid', `lab ${env.spec.cluster} (${env.spec.env}) is not deployed (${why}): run deploy first.`);
}

export async function checkDrillReady(env: LabEnvironment, nodeName: string): Promise<DrillReadiness> {
  const node = findNode(env, nodeName);
  const states = await env.status();
  const down = states.filter((s) => !s.running);
  if (down.length === states.length) throw notDeployed(env, 'no node is running');
  if (down.length > 0) {
    throw new LabError(
      'NodeNotReady',
      `${down.map((s) => `${s.name} (${s.detail ?? 'stopped'})`).join(', ')} of lab ${env.spec.cluster} not running: ` +
        'a drill needs every node up to measure its own fault; run deploy, which starts them, then the drill again.',
      { nonRetryable: true },
    );
  }

  const coordinator = coordinatorOf(env);
  try {
    await withNodeClient(
      env,
      coordinator.name,
      env.spec.database,
      async (client) => {
        await assertCitusExtension(client, env.spec.database, coordinator.name);
        const { rowCount } = await client.query(`SELECT 1 FROM pg_dist_partition WHERE logicalrelid = to_regclass('pacientes')`);
        if (!rowCount) throw notDeployed(env, `no distributed pacientes table in ${env.spec.database}`);
        if (node.role !== 'worker') return;
        const { rows } = await client.query<{ isactive: boolean }>(
          `SELECT isactive FROM pg_dist_node WHERE nodename = $1 AND nodeport = $2 AND noderole = 'primary'`,
          [node.clusterHost, node.clusterPort],
        );
        if (rows[0]?.isactive !== true) {
          throw new LabError(
            'ConfigInvalid',
            `${node.name} is ${rows[0] ? 'registered but inactive' : 'not registered'} in Citus: run register-workers, then the drill again.`,
          );
        }
      },
      { connectTimeoutMs: CONNECT_TIMEOUT_MS, statementTimeoutMs: 10_000 },
    );
  } catch (err) {
    if (isLabError(err) && (err.type === 'CitusNotInstalled' || err.details?.code === '3D000')) {
      throw notDeployed(env, errorMessage(err).replace(/: run deploy.*$/, ''));
    }
    throw err;
  }
  return { node: node.name, role: node.role, nodes: states.length };
}
